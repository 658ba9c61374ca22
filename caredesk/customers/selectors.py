"""Reads about customers: their whole history, so no one asks them to repeat themselves."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Substr

from caredesk.conversations.models import Conversation, Direction, Message
from caredesk.customers.models import Customer, Identity, IdentityKind
from caredesk.people.models import User

HISTORY_LIMIT = 50
# Twice what the side panel shows, so `truncatechars` still sees where the text goes on.
PREVIEW_CHARS = 600


def customer_history(
    customer: Customer, *, exclude: Conversation | None = None, limit: int = HISTORY_LIMIT
) -> QuerySet[Conversation]:
    """Every conversation of the customer with its messages (not internal notes), newest first.

    Shown whole on every conversation page, whichever team handled it, so that no agent asks the
    customer to repeat what they already told another team.
    """
    qs = Conversation.objects.filter(customer=customer).select_related("owner__user", "team")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    # Only what a history shows: no readings, findings or HTML to decode, and a short preview
    # for the conversation page's side panel (truncating a long text whole is costly).
    messages = (
        Message.objects.exclude(direction=Direction.NOTE)
        .select_related("author")
        .defer("html", "reading", "findings")
        .annotate(preview=Substr("text", 1, PREVIEW_CHARS))
    )
    return qs.order_by("-created_at").prefetch_related(Prefetch("messages", queryset=messages))[
        :limit
    ]


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
