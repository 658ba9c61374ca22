"""The token in an e-mail verification link: signed, expiring, spent once the address is proven."""

from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator

from caredesk.customers.selectors import email_verified
from caredesk.people.models import User


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset-token machinery (HMAC of the user's state, PASSWORD_RESET_TIMEOUT expiry).

    The state includes whether the address is already verified and the password hash, so a link
    stops working once it has been followed, or once the password changes.
    """

    key_salt = "caredesk.customers.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:  # type: ignore[override]
        return f"{user.pk}{user.password}{user.email}{email_verified(user)}{timestamp}"


email_verification_token = EmailVerificationTokenGenerator()
