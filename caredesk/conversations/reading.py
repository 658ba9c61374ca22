"""Reading every inbound message on arrival, and letting risk raise severity.

The engine is the one named by `CAREDESK_EMOTION_ENGINE` (a dotted path), else the library's
default, which is fast enough to read each message as it arrives. A more accurate but slower
engine, `CAREDESK_EMOTION_REFINE_ENGINE` (``minilm`` unless set empty), then reads each message
again in the background and its reading replaces the first: the inbox is never without a reading,
and a second later it is the best one we have.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from caredesk.conversations.events import event_record
from caredesk.conversations.models import Conversation, Direction, EventKind, Message, Severity
from caredesk.empathy.types import Reading
from caredesk.people.models import Agent, Role

log = logging.getLogger(__name__)

# The sweep refines only among the newest inbound messages; older ones keep their first reading.
REFINE_WINDOW = 5_000

# Leads are told at once about fresh risks only; a back-dated message is history.
NOTIFY_WITHIN = timedelta(hours=1)

# Which signal lifts a conversation to which severity, unless the team sets its own policy.
DEFAULT_SIGNAL_POLICY: dict[str, int] = {
    "safety": Severity.URGENT,
    "legal_threat": Severity.URGENT,
    "public_escalation": Severity.URGENT,
    "churn_intent": Severity.HIGH,
    "repeated_contact": Severity.HIGH,
    "long_wait": Severity.HIGH,
    "urgency": Severity.HIGH,
}


@lru_cache(maxsize=4)
def _engine(path: str) -> Any:
    from caredesk.empathy.emotion import get_engine

    return get_engine(path or None)


def engine() -> Any:
    return _engine(settings.CAREDESK_EMOTION_ENGINE or "")


def engine_named(name: str) -> Any:
    """An engine by name or dotted path, built once (the API lets a caller choose)."""
    return _engine(name)


def analyze(text: str) -> Reading:
    reading: Reading = engine().analyze(text)
    return reading


def refine_engine() -> Any | None:
    """The background engine that re-reads each message, or None when there is none to use."""
    path = settings.CAREDESK_EMOTION_REFINE_ENGINE
    if not path or path == settings.CAREDESK_EMOTION_ENGINE:
        return None
    return _refine_engine(path)


@lru_cache(maxsize=4)
def _refine_engine(path: str) -> Any | None:
    from caredesk.empathy.emotion.minilm import ModelMissing

    better = _engine(path)
    try:
        getattr(better, "ready", lambda: None)()
    except ModelMissing as error:
        log.warning("emotion readings are not refined: %s", error)
        return None
    return better


def signal_policy(conversation: Conversation) -> dict[str, int]:
    policy = dict(DEFAULT_SIGNAL_POLICY)
    team = conversation.team
    if team is not None and team.signal_policy:
        for signal, severity in team.signal_policy.items():
            if severity in Severity.values:
                policy[signal] = int(severity)
    return policy


def reads_inline() -> bool:
    """Fast engines read on arrival; a slow one (say, a large model) reads in the background."""
    return bool(getattr(engine(), "inline", True))


def message_arrived(*, message: Message) -> None:
    """Read a new inbound message now, or queue it; the message itself is already stored.
    With a refine engine, a background task reads it again."""
    from caredesk.conversations.tasks import read_message_task, refine_message_task

    if reads_inline():
        message_read(message=message)
    else:
        transaction.on_commit(lambda: read_message_task(message.pk))
    if refine_engine() is not None:
        transaction.on_commit(lambda: refine_message_task(message.pk))


def unread_message_ids(*, limit: int) -> list[int]:
    return list(
        Message.objects.filter(direction=Direction.INBOUND, reading__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def message_read_by_id(message_id: int) -> Reading | None:
    message = Message.objects.select_related("conversation__team").filter(pk=message_id).first()
    if message is None or message.reading is not None:
        return None
    with transaction.atomic():
        return message_read(message=message)


def unrefined_message_ids(*, limit: int) -> list[int]:
    """Inbound messages the refine engine has not read yet, newest first, among the newest
    REFINE_WINDOW: the sweep's cost stays bounded however long the history grows."""
    better = refine_engine()
    if better is None:
        return []
    inbound = Message.objects.filter(direction=Direction.INBOUND).order_by("-pk")
    floor = list(inbound.values_list("pk", flat=True)[REFINE_WINDOW - 1 : REFINE_WINDOW])
    if floor:
        inbound = inbound.filter(pk__gte=floor[0])
    return list(inbound.exclude(reading__engine=better.name).values_list("pk", flat=True)[:limit])


def messages_refine(message_ids: Sequence[int]) -> int:
    """Refine many messages; an engine that batches (``prime``) reads them all at once first."""
    better = refine_engine()
    if better is None or not message_ids:
        return 0
    if hasattr(better, "prime"):
        texts = Message.objects.filter(pk__in=message_ids).values_list("text", flat=True)
        better.prime(list(texts))
    return sum(message_refine_by_id(pk) is not None for pk in message_ids)


def message_refine_by_id(message_id: int) -> Reading | None:
    """Read a message again with the refine engine; its reading replaces the first one."""
    better = refine_engine()
    message = Message.objects.select_related("conversation__team").filter(pk=message_id).first()
    if better is None or message is None:
        return None
    if (message.reading or {}).get("engine") == better.name:
        return None
    with transaction.atomic():
        return message_read(message=message, using=better)


def message_read(*, message: Message, using: Any | None = None) -> Reading | None:
    """Read an inbound message, keep the reading, and raise severity if a risk calls for it."""
    if message.direction != Direction.INBOUND:
        return None
    reading: Reading = (using or engine()).analyze(message.text)
    # A second reading (the refine engine's) acts only on signals the first did not have: a
    # severity an agent has since lowered is not raised again, nor the leads told twice.
    known = set((message.reading or {}).get("signals", ()))
    message.reading = reading.to_dict()
    message.save(update_fields=["reading"])
    conversation = message.conversation
    latest = conversation.messages.filter(direction=Direction.INBOUND).order_by("-created_at")
    if latest.values_list("pk", flat=True).first() != message.pk:
        return reading  # an older message read late: the conversation shows the newest reading
    conversation.emotion = reading.emotion
    conversation.intensity = round(reading.intensity, 3)
    conversation.signals = list(reading.signals)
    conversation.save(update_fields=["emotion", "intensity", "signals"])
    fresh = [s for s in reading.signals if s not in known]
    _apply_signal_policy(conversation, fresh, message.created_at)
    return reading


def risk_raise(conversation: Conversation, signals: Sequence[str]) -> tuple[int, str] | None:
    """The severity a reading's signals call for, and the reason, if above the current one."""
    policy = signal_policy(conversation)
    raised = [(policy[s], s) for s in signals if s in policy]
    if not raised:
        return None
    target, _ = max(raised)
    if target <= conversation.severity:
        return None
    reasons = ", ".join(sorted(s.replace("_", " ") for sev, s in raised if sev == target))
    return target, f"risk signal: {reasons}"


def _apply_signal_policy(conversation: Conversation, signals: Sequence[str], at: datetime) -> None:
    raise_to = risk_raise(conversation, signals)
    if raise_to is None:
        return
    target, reason = raise_to
    from caredesk.conversations.services import severity_change

    severity_change(
        conversation=conversation,
        actor=None,
        severity=target,
        reason=reason,
        at=at,
    )
    conversation.refresh_from_db(fields=["severity"])
    if target >= Severity.URGENT:
        event_record(
            conversation=conversation,
            kind=EventKind.ESCALATED,
            actor=None,
            at=at,
            signals=sorted(signals),
            reason=reason,
        )
        if timezone.now() - at < NOTIFY_WITHIN:  # an import of old mail pages no one
            from caredesk.conversations.tasks import notify_leads_task

            transaction.on_commit(lambda: notify_leads_task(conversation.pk))


def leads_notify(conversation_id: int) -> int:
    """Tell every lead at once about a conversation a risk made urgent, so it never goes public."""
    conversation = Conversation.objects.select_related("customer").get(pk=conversation_id)
    leads = list(
        Agent.objects.filter(role__in=(Role.LEAD, Role.ADMIN), user__is_active=True).values_list(
            "user__email", flat=True
        )
    )
    if not leads:
        return 0
    signals = ", ".join(s.replace("_", " ") for s in conversation.signals) or "risk"
    return send_mail(
        subject=f"[Caredesk] Urgent: #{conversation.pk} {conversation.subject}",
        message=(
            f"{conversation.customer.name}'s conversation #{conversation.pk} was raised to urgent "
            f"({signals}).\nAny agent may take it; please make sure someone does now.\n\n"
            f"{conversation.get_absolute_url()}\n"
        ),
        from_email=None,
        recipient_list=leads,
    )
