"""Keeping the daily rollups: as events arrive, and from scratch.

Each conversation's contribution (`insights/facts.py`, a pure function of its events) is kept in
`ConversationFact`; a refresh takes the old contribution off the rollup rows and adds the new one
in one short transaction, so the rollups are always the sum of the facts. The rebuild computes
every contribution with the same loader and the same function, in batches, and writes the sums:
the property test checks the two paths give equal rows.

Percentiles: a conversation's facts keep the exact seconds of its first response and resolution
(the correlations read them), while a rollup row counts them per fixed bucket
(`metrics.DURATION_EDGES`). Exact lists made every read decode and merge one JSON list per row in
Python (1.9 s for a 90-day dashboard at 20,000 conversations); bucket counts are integer columns
that add and subtract exactly, so rebuild and refresh still agree and a read is one `Sum` query.

How far it got: every event publishes `event.<kind>`; the handler marks the conversation dirty
(`DirtyConversation`, an upsert) and enqueues a drain only when none is pending, so a burst of
events is one task, not one per event, on a one-worker desk. A five-minute sweep drains what is
left (a drain killed half-way) and refreshes the conversations of every event after
`RollupState.last_event_id`, moving that mark on, so a lost enqueue is caught up too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import F, Max, Q

from caredesk.conversations.models import NOT_DONE_STATUSES, Conversation, Event, EventKind
from caredesk.insights.facts import RETURN_WINDOW, Contribution, parse_day
from caredesk.insights.inputs import Coaching, Facts, Key, facts_for
from caredesk.insights.metrics import duration_bucket
from caredesk.insights.models import (
    COUNTERS,
    DURATIONS,
    HISTOGRAMS,
    SUMMED,
    CoachDay,
    ConversationFact,
    DailyRollup,
    DirtyConversation,
    RollupRow,
    RollupState,
    RollupSums,
    TeamRollup,
)

STATE = "events"
BATCH = 2000
REBUILD_BEHIND = 100_000  # events: further behind, the sweep rebuilds rather than catch up
M = TypeVar("M", bound=models.Model)


# -- the incremental path ---------------------------------------------------------------------


def _row_apply(row: RollupSums, add: dict[str, Any], remove: dict[str, Any]) -> None:
    """Counters move by the difference; each duration's seconds move one count in its bucket."""
    for name in COUNTERS:
        delta = add.get(name, 0) - remove.get(name, 0)
        if delta:
            setattr(row, name, getattr(row, name) + delta)
    for name in DURATIONS:
        columns = HISTOGRAMS[name]
        for sign, values in ((-1, remove.get(name, ())), (1, add.get(name, ()))):
            for seconds in values:
                column = columns[duration_bucket(seconds)]
                setattr(row, column, getattr(row, column) + sign)


def _is_empty(row: RollupSums) -> bool:
    return not any(getattr(row, n) for n in SUMMED)


# Each rollup table and the key fields it keeps, in the order of `Key` (the team rows drop the
# agent, the last part of the key).
TABLES: tuple[tuple[type[RollupRow], tuple[str, ...]], ...] = (
    (DailyRollup, ("team_id", "channel", "severity", "agent_id")),
    (TeamRollup, ("team_id", "channel", "severity")),
)


def _move(old_key: Key | None, old: Contribution, new_key: Key, new: Contribution) -> None:
    """Take `old` off the rows of `old_key` and add `new` to those of `new_key` (locked), in
    every rollup table."""
    for model, fields in TABLES:
        width = len(fields)
        changes: dict[tuple[str, tuple[Any, ...]], tuple[dict[str, Any], dict[str, Any]]] = {}
        if old_key is not None:
            for day, counts in old.items():
                changes[(day, old_key[:width])] = ({}, counts)
        for day, counts in new.items():
            _, remove = changes.get((day, new_key[:width]), ({}, {}))
            changes[(day, new_key[:width])] = (counts, remove)
        for (day, key), (add, remove) in sorted(changes.items()):
            if add != remove:
                _row_change(model, parse_day(day), dict(zip(fields, key, strict=True)), add, remove)


def _row_change(
    model: type[RollupRow],
    day: date,
    key: dict[str, Any],
    add: dict[str, Any],
    remove: dict[str, Any],
) -> None:
    row = _locked(model, {"day": day, **key}, model(day=day, **key))
    _row_apply(row, add, remove)
    if _is_empty(row):
        row.delete()
    else:
        row.save()


def _locked(model: type[M], lookup: dict[str, Any], empty: M) -> M:
    """The row at `lookup`, locked; inserted empty first when missing (a conflict ignored).

    Two workers counting conversations of one new key at once both saw no row and both
    inserted it, one failing on the unique key (seen with two workers on PostgreSQL). Inserting
    with ON CONFLICT DO NOTHING and then locking makes the second wait for the first's commit
    and then update the row it made; the loop covers a row deleted while we waited."""
    while True:
        row = model._default_manager.select_for_update().filter(**lookup).first()
        if row is not None:
            return row
        model._default_manager.bulk_create([empty], ignore_conflicts=True)


def _coach_move(old: Coaching, new: Coaching) -> None:
    """Take a conversation's old coaching counts off `CoachDay` and add the new (locked rows,
    in key order, after the rollup rows: every refresh locks in the same order)."""
    changes: dict[tuple[str, int, str], int] = defaultdict(int)
    for sign, coaching in ((-1, old), (1, new)):
        for day, authors in coaching.items():
            for author, categories in authors.items():
                for category, n in categories.items():
                    changes[(day, int(author), category)] += sign * n
    for (day, author_id, category), delta in sorted(changes.items()):
        if not delta:
            continue
        lookup = {"day": parse_day(day), "author_id": author_id, "category": category}
        row = _locked(CoachDay, lookup, CoachDay(**lookup))
        row.replies += delta
        if row.replies:
            row.save(update_fields=["replies"])
        else:
            row.delete()


def _unchanged(fact: ConversationFact, new: Facts) -> bool:
    return (
        fact.key == list(new.key)
        and fact.contribution == new.contribution
        and fact.coaching == new.coaching
        and all(getattr(fact, name) == value for name, value in new.totals.items())
    )


def _last_event(conversation: int) -> int | None:
    """The conversation's newest event: what its facts were counted from."""
    return Event.objects.filter(conversation_id=conversation).aggregate(last=Max("pk"))["last"]


def conversations_refresh(*, conversation_ids: Iterable[int]) -> int:
    """Bring these conversations' facts up to date (one short transaction each)."""
    done = 0
    for pk in sorted(set(conversation_ids)):
        # Counted before the transaction: on SQLite every transaction holds the one write lock
        # from its start (IMMEDIATE), and counting a conversation takes milliseconds the web
        # requests would wait. Under the lock only a new event since then means counting again.
        seen = _last_event(pk)
        computed = list(facts_for([pk]))
        with transaction.atomic():
            # A fact with an empty key is the placeholder `_locked` made: nothing counted yet.
            fact = _locked(
                ConversationFact,
                {"conversation_id": pk},
                ConversationFact(conversation_id=pk, key=[], contribution={}),
            )
            if _last_event(pk) != seen:
                computed = list(facts_for([pk]))
            old_key = tuple(fact.key) if fact.key else None
            if not computed:  # the conversation is gone: take its counts away
                if old_key is not None:
                    _move(old_key, fact.contribution, old_key, {})
                _coach_move(fact.coaching, {})
                fact.delete()
                continue
            new = computed[0]
            if _unchanged(fact, new):
                continue
            _move(old_key, fact.contribution, new.key, new.contribution)
            _coach_move(fact.coaching, new.coaching)
            fact.key, fact.contribution, fact.coaching = (
                list(new.key),
                new.contribution,
                new.coaching,
            )
            for name, value in new.totals.items():
                setattr(fact, name, value)
            fact.save()
            done += 1
    return done


def conversation_refresh_after_event(*, conversation: int, kind: str) -> int:
    """After an event: this conversation, and when it is a new one, the customer's recent
    resolved conversations (whether the customer came back after a bad experience)."""
    ids = {conversation}
    if kind == EventKind.CREATED:
        row = Conversation.objects.filter(pk=conversation).values("customer_id", "created_at")
        for found in row:
            ids.update(
                # Still open ones too: a thank-you reopened them, yet they count as resolved.
                Conversation.objects.filter(
                    Q(resolved_at__gte=found["created_at"] - RETURN_WINDOW)
                    | Q(status__in=NOT_DONE_STATUSES),
                    customer_id=found["customer_id"],
                ).values_list("pk", flat=True)
            )
    return conversations_refresh(conversation_ids=ids)


# -- coalescing: events mark, one pending drain refreshes ------------------------------------

DRAIN = "drain"  # its `last_event_id`: the event whose mark enqueued the pending drain, 0: none
DRAIN_STALE = timedelta(minutes=10)  # a claim this old is taken over: its task may be lost


def conversation_mark(*, conversation: int, kind: str) -> None:
    """An event changed this conversation: mark it for the drain (an upsert; a new
    conversation also marks that the customer's recent ones need a look)."""
    new = kind == EventKind.CREATED
    changes: dict[str, Any] = {"marks": F("marks") + 1, **({"customer_new": True} if new else {})}
    if DirtyConversation.objects.filter(pk=conversation).update(**changes):
        return
    DirtyConversation.objects.bulk_create(
        [DirtyConversation(conversation_id=conversation, customer_new=new)], ignore_conflicts=True
    )


def drain_claim(*, token: int, now: datetime) -> bool:
    """Whether the caller should enqueue a drain: no drain is pending (or the pending one's
    claim is stale). A conditional update, so of many callers at once only one wins."""
    claim = RollupState.objects.filter(name=DRAIN).filter(
        Q(last_event_id=0) | Q(updated_at__lt=now - DRAIN_STALE)
    )
    pending = RollupState.objects.filter(name=DRAIN).exclude(
        Q(last_event_id=0) | Q(updated_at__lt=now - DRAIN_STALE)
    )
    if pending.exists():  # the usual case in a burst: a read, no write
        return False
    if claim.update(last_event_id=token, updated_at=now):
        return True
    if RollupState.objects.filter(name=DRAIN).exists():
        return False
    RollupState.objects.bulk_create([RollupState(name=DRAIN)], ignore_conflicts=True)
    return bool(claim.update(last_event_id=token, updated_at=now))


def dirty_drain(*, token: int = 0, batch: int = 500) -> int:
    """Refresh every marked conversation once, in one pass by id; returns how many.

    The pending claim is released first, so a mark made from now on enqueues the next drain:
    a conversation marked again meanwhile keeps its mark (removed only if `marks` did not
    move) for that one. Two drains at once refresh under the fact's row lock, and a refresh
    is idempotent; a drain killed half-way leaves its marks to the next drain or the sweep."""
    if token:
        RollupState.objects.filter(name=DRAIN, last_event_id=token).update(last_event_id=0)
    done, after = 0, -1
    while True:
        rows = list(
            DirtyConversation.objects.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "marks", "customer_new")[:batch]
        )
        if not rows:
            return done
        for pk, marks, customer_new in rows:
            kind = EventKind.CREATED if customer_new else ""
            conversation_refresh_after_event(conversation=pk, kind=kind)
            DirtyConversation.objects.filter(pk=pk, marks=marks).delete()
            done += 1
        after = rows[-1][0]


def events_behind() -> int:
    """How many events the rollups have not seen yet (by id, past the mark)."""
    state = RollupState.objects.filter(name=STATE).first()
    return Event.objects.filter(pk__gt=state.last_event_id if state else 0).count()


def events_catch_up(*, limit: int = 5000) -> int:
    """Refresh the conversations of events after the mark and move the mark on."""
    state, _ = RollupState.objects.get_or_create(name=STATE)
    rows = list(
        Event.objects.filter(pk__gt=state.last_event_id)
        .order_by("pk")
        .values_list("pk", "conversation_id")[:limit]
    )
    if not rows:
        return 0
    conversations_refresh(conversation_ids=[conv for _, conv in rows])
    RollupState.objects.filter(name=STATE).update(last_event_id=rows[-1][0])
    return len(rows)


# -- the rebuild ------------------------------------------------------------------------------


def _rebuild_sum(sums: dict[tuple[str, Key], dict[str, Any]], facts: Facts) -> None:
    for day, counts in facts.contribution.items():
        total = sums.setdefault((day, facts.key), {})
        for name, value in counts.items():
            if name in DURATIONS:
                total.setdefault(name, []).extend(value)
            else:
                total[name] = total.get(name, 0) + value


def _coach_sum(coach: dict[tuple[str, int, str], int], coaching: Coaching) -> None:
    for day, authors in coaching.items():
        for author, categories in authors.items():
            for category, n in categories.items():
                coach[(day, int(author), category)] += n


def _rebuild_write(
    sums: dict[tuple[str, Key], dict[str, Any]], coach: dict[tuple[str, int, str], int]
) -> None:
    for model, fields in TABLES:
        rows: dict[tuple[str, tuple[Any, ...]], RollupRow] = {}
        for (day, key), total in sums.items():
            at = (day, key[: len(fields)])
            if at not in rows:
                rows[at] = model(day=parse_day(day), **dict(zip(fields, at[1], strict=True)))
            _row_apply(rows[at], total, {})
        kept: list[Any] = [r for r in rows.values() if not _is_empty(r)]  # mypy: rows of `model`
        model.objects.bulk_create(kept, batch_size=500)
    CoachDay.objects.bulk_create(
        [
            CoachDay(day=parse_day(day), author_id=author, category=category, replies=n)
            for (day, author, category), n in sorted(coach.items())
            if n
        ],
        batch_size=500,
    )


def rollups_rebuild(*, progress: Callable[[int], None] | None = None) -> int:
    """Recompute every rollup from the events, in batches; returns how many conversations.
    The mark is taken first: events that arrive meanwhile are caught up by the sweep."""
    mark = Event.objects.aggregate(m=Max("pk"))["m"] or 0
    sums: dict[tuple[str, Key], dict[str, Any]] = {}
    coach: dict[tuple[str, int, str], int] = defaultdict(int)
    with transaction.atomic():
        ConversationFact.objects.all().delete()
        CoachDay.objects.all().delete()
        for model, _ in TABLES:
            model.objects.all().delete()
    ids = list(Conversation.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        rows = []
        for facts in facts_for(batch):
            rows.append(
                ConversationFact(
                    conversation_id=facts.conversation,
                    key=list(facts.key),
                    contribution=facts.contribution,
                    coaching=facts.coaching,
                    **facts.totals,
                )
            )
            _rebuild_sum(sums, facts)
            _coach_sum(coach, facts.coaching)
        ConversationFact.objects.bulk_create(rows, batch_size=500)
        if progress is not None:
            progress(len(batch))
    _rebuild_write(sums, coach)
    RollupState.objects.update_or_create(name=STATE, defaults={"last_event_id": mark})
    return len(ids)


def conversation_count() -> int:
    return Conversation.objects.count()
