"""Reading every inbound message on arrival, and letting risk raise severity.

The engine is the one named by `CAREDESK_EMOTION_ENGINE` (a dotted path), else the library's
default, which is fast enough to read each message as it arrives. A more accurate but slower
engine, `CAREDESK_EMOTION_REFINE_ENGINE` (``minilm`` unless set empty), then reads each message
again in the background and its reading replaces the first: the inbox is never without a reading,
and a second later it is the best one we have.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from caredesk import jobs
from caredesk.conversations.events import event_record
from caredesk.conversations.models import Conversation, Direction, EventKind, Message, Severity
from caredesk.empathy.types import Reading
from caredesk.people.models import Agent, Role

log = logging.getLogger(__name__)

# The sweep refines only among the newest inbound messages; older ones keep their first reading.
REFINE_WINDOW = 5_000

# The background refines this many messages per engine batch, each kept in its own transaction.
REFINE_BATCH = 16

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


def text_read(text: str, *, using: Any | None = None) -> Reading | None:
    """The engine's reading of one text, or None if the engine failed or gave something that is
    not a reading: a reading is never worth losing a customer's message, so this never raises
    (the failure is logged, and the sweep reads the message again later)."""
    try:
        result = (using or engine()).analyze(text)
        return _checked(result)
    except Exception:
        log.exception("the emotion engine could not read a message; it stays unread for now")
        return None


def _checked(result: object) -> Reading:
    """Refuse what would fail to store (inside the write's transaction) or mislead the desk."""
    if not isinstance(result, Reading):
        raise TypeError(f"the engine returned {type(result).__name__}, not a Reading")
    if not isinstance(result.emotion, str) or not result.emotion:
        raise ValueError(f"a reading with no emotion: {result.emotion!r}")
    if not math.isfinite(float(result.intensity)):
        raise ValueError(f"a reading with intensity {result.intensity!r}")
    if not all(isinstance(s, str) for s in result.signals):
        raise ValueError(f"a reading with signals {result.signals!r}")
    json.dumps(result.to_dict(), allow_nan=False)  # what the JSON column will hold
    return result


def inbound_read(text: str) -> Reading | None:
    """The reading of a customer's text before the service stores it, computed outside its
    transaction; None when the engine reads in the background, or failed (the sweep reads it)."""
    _refines()  # loads a refine engine's model here the first time, not in the transaction
    # An engine that cannot load counts as inline: `text_read` logs its failure and gives None.
    return text_read(text) if _reads_inline_or_broken() else None


_refine_held: ContextVar[bool] = ContextVar("refine_held", default=False)


@contextmanager
def refine_tasks_held() -> Iterator[None]:
    """Inside this block new messages queue no refine task: the caller refines them in bulk
    afterwards (the demo seed does), so the worker is not left hours of catch-up."""
    token = _refine_held.set(True)
    try:
        yield
    finally:
        _refine_held.reset(token)


def message_arrived(*, message: Message, reading: Reading | None) -> None:
    """Keep the reading computed before the transaction (`inbound_read`) with the new message,
    or queue a background read for a slow engine; with a refine engine, queue a second read.
    Runs inside the service's transaction; reads nothing itself."""
    if reading is not None:
        reading_keep(message=message, reading=reading)
    elif not _reads_inline_or_broken():
        jobs.publish(jobs.MESSAGE_UNREAD, message=message.pk)
    if not _refine_held.get() and _refines():
        jobs.publish(jobs.MESSAGE_REFINE, message=message.pk)


def _refines() -> bool:
    """Whether there is a refine engine; one that cannot even load refines nothing (logged)."""
    try:
        return refine_engine() is not None
    except Exception:
        log.exception("the refine engine could not be loaded; messages keep their first reading")
        return False


def _reads_inline_or_broken() -> bool:
    """An engine that fails to load counts as inline: the sweep reads what it missed."""
    try:
        return reads_inline()
    except Exception:
        return True


def unread_message_ids(*, limit: int) -> list[int]:
    return list(
        Message.objects.filter(direction=Direction.INBOUND, reading__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def message_read_by_id(message_id: int) -> Reading | None:
    """Read a message that has no reading yet (a slow engine's task, the sweep): the engine runs
    first, then a short transaction keeps the reading unless someone read it meanwhile."""
    found = (
        Message.objects.filter(pk=message_id, direction=Direction.INBOUND, reading__isnull=True)
        .values_list("text", flat=True)
        .first()
    )
    if found is None:
        return None
    result = text_read(found)
    if result is None:
        return None
    with transaction.atomic():
        message = _locked(message_id)
        if message is None or message.reading is not None:
            return None
        reading_keep(message=message, reading=result)
    return result


def _locked(message_id: int) -> Message | None:
    return Message.objects.select_for_update().filter(pk=message_id).first()


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


def messages_refine(message_ids: Sequence[int], *, batch: int = REFINE_BATCH) -> int:
    """Refine many messages, `batch` at a time: an engine that batches (``prime``) reads a batch
    at once, outside any transaction; then each reading is kept in its own short transaction."""
    better = refine_engine()
    if better is None:
        return 0
    ids = list(message_ids)
    return sum(
        len(_refine_batch(better, ids[start : start + batch]))
        for start in range(0, len(ids), max(1, batch))
    )


def message_refine_by_id(message_id: int) -> Reading | None:
    """Read a message again with the refine engine; its reading replaces the first one."""
    better = refine_engine()
    if better is None:
        return None
    kept = _refine_batch(better, [message_id])
    return kept[0] if kept else None


def _refine_batch(better: Any, message_ids: Sequence[int]) -> list[Reading]:
    rows = Message.objects.filter(pk__in=message_ids, direction=Direction.INBOUND).values_list(
        "pk", "text", "reading"
    )
    todo = [(pk, text) for pk, text, old in rows if (old or {}).get("engine") != better.name]
    if len(todo) > 1 and hasattr(better, "prime"):
        try:
            better.prime([text for _, text in todo])
        except Exception:
            log.exception("the refine engine could not read a batch; reading one by one")
    kept = []
    for pk, text in todo:
        result = text_read(text, using=better)
        if result is not None and _refined_keep(pk, result, better.name):
            kept.append(result)
    return kept


def _refined_keep(message_id: int, result: Reading, engine_name: str) -> bool:
    with transaction.atomic():
        message = _locked(message_id)
        if message is None or (message.reading or {}).get("engine") == engine_name:
            return False  # gone, or another worker refined it meanwhile
        reading_keep(message=message, reading=result)
    return True


def reading_keep(*, message: Message, reading: Reading) -> None:
    """Keep an inbound message's reading and let risk raise severity; call it inside a short
    transaction, with the reading already computed. A second reading (the refine engine's)
    acts only on signals the first did not have: a severity an agent has since lowered is not
    raised again, nor the leads told twice."""
    known = set((message.reading or {}).get("signals", ()))
    message.reading = reading.to_dict()
    message.save(update_fields=["reading"])
    conversation = message.conversation
    fresh = [s for s in reading.signals if s not in known]
    latest = conversation.messages.filter(direction=Direction.INBOUND).order_by("-created_at")
    if latest.values_list("pk", flat=True).first() == message.pk:
        conversation.emotion = reading.emotion
        conversation.intensity = round(reading.intensity, 3)
        conversation.signals = list(reading.signals)
        conversation.save(update_fields=["emotion", "intensity", "signals"])
    # An older message read late (its engine failed on arrival and the customer wrote again
    # since) keeps the newest reading on show, but a risk in it still acts.
    _apply_signal_policy(conversation, fresh, message.created_at)


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
            jobs.publish(jobs.LEADS_ALERT, conversation=conversation.pk)


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
