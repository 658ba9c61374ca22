"""Filtering and sorting a list of conversations, for the API (and any export of the same list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from caredesk.conversations.models import Conversation, Direction, Message

# The sorts a client may ask for, and the column each one keys on (then the id, for a stable order).
SORTS = {
    "-updated": "-last_message_at",
    "updated": "last_message_at",
    "-created": "-created_at",
    "created": "created_at",
    "-severity": "-severity",
    "severity": "severity",
}


@dataclass(frozen=True)
class ConversationFilters:
    status: str | None = None
    team: int | None = None
    owner: int | None = None
    severity: int | None = None
    channel: str | None = None
    customer: int | None = None
    updated_since: datetime | None = None
    q: str = ""


def conversations_filter(
    qs: QuerySet[Conversation], filters: ConversationFilters, *, include_notes: bool
) -> QuerySet[Conversation]:
    """Narrow `qs` (already limited to what the caller may see). `q` looks in the subject and in
    the messages' text; a customer's search never looks into internal notes."""
    exact = {
        "status": filters.status,
        "team_id": filters.team,
        "owner_id": filters.owner,
        "severity": filters.severity,
        "channel": filters.channel,
        "customer_id": filters.customer,
    }
    qs = qs.filter(**{field: value for field, value in exact.items() if value is not None})
    if filters.updated_since is not None:
        qs = qs.filter(last_message_at__gte=filters.updated_since)
    words = filters.q.split()
    for word in words:
        messages = Message.objects.filter(text__icontains=word)
        if not include_notes:
            messages = messages.exclude(direction=Direction.NOTE)
        qs = qs.filter(Q(subject__icontains=word) | Q(pk__in=messages.values("conversation_id")))
    return qs
