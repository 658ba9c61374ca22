"""Mail about accounts (verification links, sign-up attempts) and the login-throttling hooks.

The sign-up page looks the same whether or not an address already has a login; what differs is
only the mail its owner receives, which a stranger typing the address cannot read.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from caredesk.channels.tasks import mail_send_task
from caredesk.customers.selectors import email_awaits_verification, user_by_email
from caredesk.customers.services import SignupOutcome
from caredesk.customers.tokens import email_verification_token
from caredesk.people.models import User

# One account mail per address per minute at most, so the sign-up and resend forms cannot be used
# to flood someone's mailbox. Kept in the cache: a restart forgets it, which is harmless.
MAIL_INTERVAL_SECONDS = 60


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account a login attempt is for, as django-axes counts it.

    Our forms post `username`, the test client and scripts pass `email`; either way the address is
    compared lower-case, as it is stored, so changing its case does not dodge the count.
    """
    data = credentials or getattr(request, "POST", {}) or {}
    value = data.get("username") or data.get("email")
    return value.strip().lower() if isinstance(value, str) else None


def client_address(request: HttpRequest) -> str | None:
    """The client address failed logins are counted against (django-axes' AXES_CLIENT_IP_CALLABLE).

    With no proxy (CAREDESK_PROXY_COUNT=0) it is the connection's address. Behind N proxies that
    each append the address they saw to X-Forwarded-For, it is the N-th entry from the right: the
    one our outermost proxy wrote, which a client cannot forge (entries further left can be).
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.CAREDESK_PROXY_COUNT
    if not count:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    return hops[-count] if len(hops) >= count else remote


def lockout_response(
    request: HttpRequest, response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """The page a locked-out login form answers with (django-axes' AXES_LOCKOUT_CALLABLE)."""
    cooloff = settings.AXES_COOLOFF_TIME
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": round(cooloff.total_seconds() / 60) if cooloff else None,
    }
    return render(request, "auth/locked_out.html", context, status=429)


def verification_link(request: HttpRequest, user: User) -> str:
    path = reverse(
        "signup_verify",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": email_verification_token.make_token(user),
        },
    )
    return request.build_absolute_uri(path)


def _send(request: HttpRequest, user: User, template: str, context: dict[str, Any]) -> bool:
    if not cache.add(f"caredesk:account-mail:{user.email}", 1, MAIL_INTERVAL_SECONDS):
        return False
    context = {
        "user": user,
        "login_url": request.build_absolute_uri(reverse("login")),
        "reset_url": request.build_absolute_uri(reverse("password_reset")),
        **context,
    }
    subject = render_to_string(f"auth/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"auth/email/{template}.txt", context)
    mail_send_task(subject, body, [user.email])
    return True


def signup_mail_send(request: HttpRequest, outcome: SignupOutcome) -> None:
    """A new login gets its verification link; an existing one is told someone tried its address."""
    user = outcome.user
    if outcome.created:
        verification_mail_send(request, user)
        return
    # The owner may have signed up before and lost the first mail: give them the link again.
    link = verification_link(request, user) if email_awaits_verification(user) else ""
    _send(request, user, "signup_exists", {"verify_url": link})


def verification_mail_send(request: HttpRequest, user: User) -> bool:
    return _send(request, user, "verify", {"verify_url": verification_link(request, user)})


def verification_resend(request: HttpRequest, email: str) -> None:
    """Send a fresh link if this address has a login still waiting for one; otherwise nothing."""
    user = user_by_email(email)
    if user is not None and user.is_active and email_awaits_verification(user):
        verification_mail_send(request, user)
