"""Recording events: the one history the timeline and every metric derive from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from caredesk import jobs
from caredesk.conversations.models import Conversation, Event, EventKind
from caredesk.people.models import Agent, User


def event_record(
    *,
    conversation: Conversation,
    kind: EventKind,
    actor: User | None = None,
    at: datetime | None = None,
    **data: Any,
) -> Event:
    event = Event.objects.create(
        conversation=conversation,
        kind=kind,
        actor=actor,
        created_at=at or timezone.now(),
        data=data,
    )
    jobs.publish(f"event.{kind}", conversation=conversation.pk, event=event.pk, kind=str(kind))
    return event


def assigned_record(
    *,
    conversation: Conversation,
    agent: Agent,
    actor: User | None,
    how: str,
    at: datetime | None = None,
) -> Event:
    """An agent now owns the conversation; `how` says by what (take_next, auto, replied…)."""
    return event_record(
        conversation=conversation,
        kind=EventKind.ASSIGNED,
        actor=actor,
        at=at,
        agent=agent.pk,
        agent_name=agent.name,
        how=how,
    )
