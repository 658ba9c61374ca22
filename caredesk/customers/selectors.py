"""Reads about customers: their whole history, so no one asks them to repeat themselves."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from caredesk.conversations.models import Conversation, Direction, Message
from caredesk.customers.models import Customer

HISTORY_LIMIT = 50


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
    messages = Message.objects.exclude(direction=Direction.NOTE).select_related("author")
    return qs.order_by("-created_at").prefetch_related(Prefetch("messages", queryset=messages))[
        :limit
    ]
