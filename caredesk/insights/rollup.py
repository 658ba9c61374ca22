"""Keeping the daily rollups: as events arrive, and from scratch.

Each conversation's contribution (`insights/facts.py`, a pure function of its events) is kept in
`ConversationFact`; a refresh takes the old contribution off the rollup rows and adds the new one
in one short transaction, so the rollups are always the sum of the facts. It works by batch: a
batch is counted outside the transaction with one query per table, and the transaction checks
the batch's newest events in one query and writes each changed rollup row once. The rebuild computes
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
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import F, Max, Q

from caredesk.conversations.models import NOT_DONE_STATUSES, Conversation, Event, EventKind
from caredesk.insights.facts import RETURN_WINDOW, Contribution, parse_day
from caredesk.insights.inputs import TOTALS, Coaching, Facts, Key, facts_for
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
from caredesk.rows import Table, sequences_reset

STATE = "events"
BATCH = 2000
REFRESH_BATCH = 200  # conversations per refresh transaction: short, yet one query per table
REBUILD_BEHIND = 100_000  # events: further behind, the sweep rebuilds rather than catch up
M = TypeVar("M", bound=models.Model)


# -- the incremental path ---------------------------------------------------------------------


Deltas = dict[str, int]  # column -> how much it moves
Changes = dict[tuple[int, str, tuple[Any, ...]], Deltas]  # (table, day, key) -> its columns


def _column_deltas(into: Deltas, add: dict[str, Any], remove: dict[str, Any]) -> None:
    """Counters move by the difference; each duration's seconds move one count in its bucket."""
    for name in COUNTERS:
        delta = add.get(name, 0) - remove.get(name, 0)
        if delta:
            into[name] = into.get(name, 0) + delta
    for name in DURATIONS:
        columns = HISTOGRAMS[name]
        for sign, values in ((-1, remove.get(name, ())), (1, add.get(name, ()))):
            for seconds in values:
                column = columns[duration_bucket(seconds)]
                into[column] = into.get(column, 0) + sign


def _row_add(row: RollupSums, deltas: Deltas) -> None:
    for column, delta in deltas.items():
        setattr(row, column, getattr(row, column) + delta)


def _row_apply(row: RollupSums, add: dict[str, Any], remove: dict[str, Any]) -> None:
    deltas: Deltas = {}
    _column_deltas(deltas, add, remove)
    _row_add(row, deltas)


def _is_empty(row: RollupSums) -> bool:
    return not any(getattr(row, n) for n in SUMMED)


# Each rollup table and the key fields it keeps, in the order of `Key` (the team rows drop the
# agent, the last part of the key).
TABLES: tuple[tuple[type[RollupRow], tuple[str, ...]], ...] = (
    (DailyRollup, ("team_id", "channel", "severity", "agent_id")),
    (TeamRollup, ("team_id", "channel", "severity")),
)


def _move(
    changes: Changes, old_key: Key | None, old: Contribution, new_key: Key, new: Contribution
) -> None:
    """Add to `changes` taking `old` off the rows of `old_key` and adding `new` to those of
    `new_key`, in every rollup table (summed over a batch: a row is written once)."""
    for table, (_, fields) in enumerate(TABLES):
        width = len(fields)
        if old_key is not None:
            for day, counts in old.items():
                _column_deltas(changes.setdefault((table, day, old_key[:width]), {}), {}, counts)
        for day, counts in new.items():
            _column_deltas(changes.setdefault((table, day, new_key[:width]), {}), counts, {})


def _rows_write(changes: Changes) -> None:
    """Each changed rollup row, locked in (table, day, key) order: every refresh locks rows in
    the same order, so two workers wait for each other rather than deadlock."""
    for (table, day, key), deltas in sorted(changes.items()):
        moved = {column: delta for column, delta in deltas.items() if delta}
        if not moved:
            continue
        model, fields = TABLES[table]
        lookup = {"day": parse_day(day), **dict(zip(fields, key, strict=True))}
        row = _locked(model, lookup, model(**lookup))
        _row_add(row, moved)
        if _is_empty(row):
            row.delete()
        else:
            row.save(update_fields=list(moved))


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


CoachChanges = dict[tuple[str, int, str], int]  # (day, author, category) -> replies


def _coach_move(changes: CoachChanges, old: Coaching, new: Coaching) -> None:
    for sign, coaching in ((-1, old), (1, new)):
        for day, authors in coaching.items():
            for author, categories in authors.items():
                for category, n in categories.items():
                    changes[(day, int(author), category)] += sign * n


def _coach_write(changes: CoachChanges) -> None:
    """The coaching counts moved on `CoachDay` (locked rows, in key order, after the rollup
    rows: every refresh locks in the same order)."""
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


def _last_events(ids: Sequence[int]) -> dict[int, int]:
    """Each conversation's newest event (one query): what its facts were counted from."""
    rows = (
        Event.objects.filter(conversation_id__in=ids)
        .order_by()
        .values("conversation_id")
        .annotate(last=Max("pk"))
        .values_list("conversation_id", "last")
    )
    return dict(rows)


def _facts_locked(ids: Sequence[int]) -> dict[int, ConversationFact]:
    """The facts of these conversations, locked in id order; a missing one is inserted first
    as a placeholder (an empty key: nothing counted yet), a conflict ignored, as `_locked`."""
    ConversationFact.objects.bulk_create(
        [ConversationFact(conversation_id=pk, key=[], contribution={}) for pk in ids],
        ignore_conflicts=True,
    )
    locked = ConversationFact.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {fact.pk: fact for fact in locked}


FACT_FIELDS = ("key", "contribution", "coaching", *TOTALS)


def conversations_refresh(*, conversation_ids: Iterable[int], batch: int = REFRESH_BATCH) -> int:
    """Bring these conversations' facts up to date, a batch per transaction; returns how many
    changed."""
    ids = sorted(set(conversation_ids))
    return sum(_refresh(ids[at : at + batch]) for at in range(0, len(ids), batch))


def _refresh(ids: Sequence[int]) -> int:
    """One batch: counted before the transaction, written in one short one.

    On SQLite every transaction holds the one write lock from its start (IMMEDIATE), and
    counting takes milliseconds the web requests would wait: the batch is counted first (a few
    queries for all of it), and under the lock one query finds the conversations with an event
    since; only those are counted again."""
    seen = _last_events(ids)
    computed = {facts.conversation: facts for facts in facts_for(ids)}
    with transaction.atomic():
        facts = _facts_locked(ids)
        now = _last_events(ids)
        moved = [pk for pk in ids if now.get(pk) != seen.get(pk)]
        if moved:
            for pk in moved:
                computed.pop(pk, None)
            computed.update((f.conversation, f) for f in facts_for(moved))
        changes: Changes = {}
        coach: CoachChanges = defaultdict(int)
        changed: list[ConversationFact] = []
        gone: list[int] = []
        for pk in ids:
            fact, new = facts[pk], computed.get(pk)
            old_key = tuple(fact.key) if fact.key else None
            if new is None:  # the conversation is gone: take its counts away
                if old_key is not None:
                    _move(changes, old_key, fact.contribution, old_key, {})
                _coach_move(coach, fact.coaching, {})
                gone.append(pk)
            elif not _unchanged(fact, new):
                _move(changes, old_key, fact.contribution, new.key, new.contribution)
                _coach_move(coach, fact.coaching, new.coaching)
                fact.key, fact.contribution, fact.coaching = (
                    list(new.key),
                    new.contribution,
                    new.coaching,
                )
                for name, value in new.totals.items():
                    setattr(fact, name, value)
                changed.append(fact)
        _rows_write(changes)
        _coach_write(coach)
        ConversationFact.objects.filter(pk__in=gone).delete()
        ConversationFact.objects.bulk_update(changed, FACT_FIELDS)
    return len(changed)


def _with_customers_recent(ids: Iterable[int], new: Sequence[int]) -> set[int]:
    """These conversations, and for each new one the customer's recent resolved conversations
    (whether the customer came back after a bad experience): two queries for a batch."""
    out = set(ids)
    since: dict[int, datetime] = {}
    for customer, created in Conversation.objects.filter(pk__in=new).values_list(
        "customer_id", "created_at"
    ):
        since[customer] = min(created - RETURN_WINDOW, since.get(customer, created))
    if not since:
        return out
    # Still open ones too: a thank-you reopened them, yet they count as resolved.
    for pk, customer, resolved_at, status in Conversation.objects.filter(
        Q(resolved_at__gte=min(since.values())) | Q(status__in=NOT_DONE_STATUSES),
        customer_id__in=since,
    ).values_list("pk", "customer_id", "resolved_at", "status"):
        if status in NOT_DONE_STATUSES or (resolved_at and resolved_at >= since[customer]):
            out.add(pk)
    return out


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
        new = [pk for pk, _, customer_new in rows if customer_new]
        conversations_refresh(conversation_ids=_with_customers_recent((r[0] for r in rows), new))
        by_marks: dict[int, list[int]] = defaultdict(list)
        for pk, marks, _ in rows:
            by_marks[marks].append(pk)
        for marks, pks in by_marks.items():  # a mark that moved meanwhile stays
            DirtyConversation.objects.filter(pk__in=pks, marks=marks).delete()
        done += len(rows)
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
    """Insert the rebuilt rows with the driver's executemany (`rows.Table`): tens of thousands
    of rows of some sixty columns each, where `bulk_create` spent most of the rebuild."""
    for model, fields in TABLES:
        rows: dict[tuple[str, tuple[Any, ...]], RollupRow] = {}
        for (day, key), total in sums.items():
            at = (day, key[: len(fields)])
            if at not in rows:
                rows[at] = model(day=parse_day(day), **dict(zip(fields, at[1], strict=True)))
            _row_apply(rows[at], total, {})
        _instances_insert(model, [r for r in rows.values() if not _is_empty(r)])
    _instances_insert(
        CoachDay,
        [
            CoachDay(day=parse_day(day), author_id=author, category=category, replies=n)
            for (day, author, category), n in sorted(coach.items())
            if n
        ],
    )


def _instances_insert(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert unsaved instances in order, their ids counted on from the table's highest."""
    table = Table(model)
    first = table.next_id()
    for pk, obj in enumerate(objs, start=first):
        obj.pk = pk
        table.add_instance(obj)
    table.insert()
    sequences_reset([table])


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
    table = Table(ConversationFact)
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        for facts in facts_for(batch):
            table.add(
                {
                    "conversation_id": facts.conversation,
                    "key": list(facts.key),
                    "contribution": facts.contribution,
                    "coaching": facts.coaching,
                    **facts.totals,
                }
            )
            _rebuild_sum(sums, facts)
            _coach_sum(coach, facts.coaching)
        table.insert()
        if progress is not None:
            progress(len(batch))
    _rebuild_write(sums, coach)
    RollupState.objects.update_or_create(name=STATE, defaults={"last_event_id": mark})
    return len(ids)


def conversation_count() -> int:
    return Conversation.objects.count()
