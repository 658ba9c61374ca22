"""Recording events: the one history the timeline and every metric derive from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from caredesk import jobs
from caredesk.conversations.lifecycle import Plan
from caredesk.conversations.models import Conversation, Event, EventKind
from caredesk.people.models import User


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


def plans_record(plans: list[Plan]) -> list[list[Event]]:
    """`plan_record` for many plans at once: the events inserted together (a sweep that finds
    thousands records them in one statement per batch), each published after the commit."""
    for plan in plans:
        fields = plan.apply()
        if fields:
            plan.conversation.save(update_fields=fields)
    made = [
        [
            Event(
                conversation=plan.conversation,
                kind=e.kind,
                actor=e.actor,
                created_at=e.at,
                data=e.data,
            )
            for e in plan.events
        ]
        for plan in plans
    ]
    Event.objects.bulk_create([event for events in made for event in events])
    for events in made:
        for event in events:
            jobs.publish(
                f"event.{event.kind}",
                conversation=event.conversation_id,
                event=event.pk,
                kind=str(event.kind),
            )
    return made


def plan_record(plan: Plan) -> list[Event]:
    """Save what the lifecycle decided for one conversation: its changed fields, then each
    event (which publishes `event.<kind>` after the commit)."""
    conversation = plan.conversation
    fields = plan.apply()
    if fields:
        conversation.save(update_fields=fields)
    return [
        event_record(conversation=conversation, kind=e.kind, actor=e.actor, at=e.at, **e.data)
        for e in plan.events
    ]
