"""Collision detection: who else has a conversation open, who is typing, and what was written
since an agent's page loaded.

Presence is a `Viewer` row the open page renews every few seconds (htmx polling, so it works
behind gunicorn without a websocket server); a row older than the time to live no longer counts,
so presence ends by itself when a tab closes or a laptop sleeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from caredesk.conversations.models import Conversation, Message, Viewer
from caredesk.people.models import Agent

VIEWER_TTL = timedelta(seconds=15)  # three missed polls of five seconds
TYPING_TTL = timedelta(seconds=8)
STALE_AFTER = timedelta(hours=1)  # rows this old are deleted when the conversation is next viewed


@dataclass(frozen=True)
class OtherViewer:
    agent: Agent
    typing: bool


def viewer_mark(
    *, conversation: Conversation, agent: Agent, typing: bool, at: datetime | None = None
) -> None:
    """Record that `agent` has the page open (and is typing a reply, when `typing`)."""
    now = at or timezone.now()
    fields: dict[str, object] = {"seen_at": now}
    if typing:
        fields["typing_at"] = now
    updated = Viewer.objects.filter(conversation=conversation, agent=agent).update(**fields)
    if not updated:
        Viewer.objects.bulk_create(
            [Viewer(conversation=conversation, agent=agent, **fields)],
            ignore_conflicts=True,  # the same agent's other tab made it a moment ago
        )
        Viewer.objects.filter(conversation=conversation, seen_at__lt=now - STALE_AFTER).delete()


def viewers_other(
    conversation: Conversation, agent: Agent, *, at: datetime | None = None
) -> list[OtherViewer]:
    """The other agents with this conversation open now, and whether each is typing."""
    now = at or timezone.now()
    rows = (
        Viewer.objects.filter(conversation=conversation, seen_at__gte=now - VIEWER_TTL)
        .exclude(agent=agent)
        .select_related("agent__user")
        .order_by("agent__user__first_name", "agent_id")
    )
    return [
        OtherViewer(
            agent=row.agent,
            typing=row.typing_at is not None and row.typing_at >= now - TYPING_TTL,
        )
        for row in rows
    ]


def messages_since(conversation: Conversation, agent: Agent, *, after: int) -> list[Message]:
    """What the customer or a colleague wrote after message `after` (the last one the agent's
    page showed): the agent's own messages do not count."""
    return list(
        conversation.messages.filter(pk__gt=after)
        .exclude(author=agent.user)
        .select_related("author")
        .order_by("created_at", "pk")[:10]
    )
