"""Reads about customers: their logins and proven addresses (their conversation history is
`conversations.selectors.customer_history`)."""

from __future__ import annotations

from caredesk.customers.models import Customer, Identity, IdentityKind
from caredesk.people.models import User


def email_verified(user: User) -> bool:
    """Whether the user has proven, by following a link we mailed, that their address is theirs."""
    return Identity.objects.filter(
        customer__user=user, kind=IdentityKind.EMAIL, value=user.email, verified=True
    ).exists()


def email_awaits_verification(user: User) -> bool:
    """A portal login whose address is not proven yet (agents have no customer record)."""
    return Customer.objects.filter(user=user).exists() and not email_verified(user)


def user_by_email(email: str) -> User | None:
    """The login with this address, if any (addresses are stored lower-case)."""
    return User.objects.filter(email=email.strip().lower()).first()


def customer_identities(customer: Customer) -> list[Identity]:
    """Every way we know the customer (e-mail addresses first), for their page."""
    order = {kind: i for i, kind in enumerate(IdentityKind.values)}
    return sorted(customer.identities.all(), key=lambda i: (order.get(i.kind, 99), i.value))
