"""Reading every inbound message on arrival, and letting risk raise severity.

The engine is the one named by `CAREDESK_EMOTION_ENGINE` (a dotted path), else the library's
default (``polar``), which is fast enough to read each message as it arrives. A slower engine
named by `CAREDESK_EMOTION_REFINE_ENGINE` (none by default: ``minilm`` added nothing on real
text, docs/emotion-training.md) then reads each message again in the background and its reading
replaces the first: the inbox is never without a reading.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from caredesk import jobs
from caredesk.conversations import lifecycle
from caredesk.conversations.events import plan_record
from caredesk.conversations.models import Conversation, Direction, EventKind, Message
from caredesk.empathy.types import Reading
from caredesk.text import clean_body

log = logging.getLogger(__name__)

# The sweep refines only among the newest inbound messages; older ones keep their first reading.
REFINE_WINDOW = 5_000

# The background refines this many messages per engine batch, each kept in its own transaction.
REFINE_BATCH = 16

# Leads are told at once about fresh risks only; a back-dated message is history.
NOTIFY_WITHIN = timedelta(hours=1)


@lru_cache(maxsize=4)
def _engine(path: str) -> Any:
    from caredesk.empathy.emotion import get_engine

    return get_engine(path or None, model_dir=settings.CAREDESK_MINILM_DIR)


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


@dataclass(frozen=True)
class ReadAhead:
    """A customer's text, cleaned as the services clean it, with its reading made before the
    caller's own transaction opened. Callers that must store something else atomically with the
    message (inbound mail marks its row stored) wrap the service in a transaction of their own;
    reading there would hold the write lock for the engine's time, so they read ahead and pass
    this in. It counts only for the text it was made for."""

    text: str
    reading: Reading | None


def read_ahead(text: str) -> ReadAhead:
    cleaned = clean_body(text)
    return ReadAhead(cleaned, inbound_read(cleaned))


def inbound_read_once(text: str, ahead: ReadAhead | None) -> Reading | None:
    """`ahead`'s reading when it was made for this very text, else a fresh `inbound_read`."""
    if ahead is not None and ahead.text == text:
        return ahead.reading
    return inbound_read(text)


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
    """After the service stored a new message with the reading computed before the transaction
    (`inbound_read`; what it does was decided by the lifecycle), queue a background read for a
    slow engine; with a refine engine, queue a second read. Reads nothing itself."""
    if reading is None and not _reads_inline_or_broken():
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
    """Keep an inbound message's late or second reading and let risk raise severity; call it
    inside a short transaction, with the reading already computed. A second reading (the refine
    engine's) acts only on signals the first did not have: a severity an agent has since lowered
    is not raised again, nor the leads told twice."""
    known = set((message.reading or {}).get("signals", ()))
    message.reading = reading.to_dict()
    message.save(update_fields=["reading"])
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("team")
        .get(pk=message.conversation_id)
    )
    newest = (
        conversation.messages.filter(direction=Direction.INBOUND)
        .exclude(pk=message.pk)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    plan = lifecycle.message_read(
        conversation,
        reading=reading,
        known=known,
        latest=lifecycle.is_latest(message.created_at, newest),
        at=message.created_at,
    )
    plan_record(plan)
    escalation_alert(plan)


def escalation_alert(plan: lifecycle.Plan) -> None:
    """Tell the leads (after the commit) when a fresh risk made a conversation urgent; an
    import of old mail pages no one."""
    for event in plan.events:
        if event.kind == EventKind.ESCALATED and timezone.now() - event.at < NOTIFY_WITHIN:
            jobs.publish(jobs.LEADS_ALERT, conversation=plan.conversation.pk)
            return
