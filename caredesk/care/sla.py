"""SLA clocks and what is due: pure functions over a conversation's stored events.

Whose move it is comes from the events the lifecycle records (a reply sets "waiting on the
customer", the customer's answer sets "waiting on us", resolving and reopening stop and start);
the clocks count only business time while it is the team's move. Nothing here queries or asks
the clock: the selectors load the events, the services lock and record what is decided here.

A policy applies from when it took effect, never retroactively: no clock counts before its
policy's `effective_from` (`Targets.since`). A conversation opened earlier counts its running
time from that moment, and a target changed later counts from the change, so a team adopting
SLAs, or a lead tightening a target, does not instantly breach the open backlog. A run already
breached stays breached.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from caredesk.care.business_hours import Hours, Span, business_add, business_time
from caredesk.care.models import SlaTarget
from caredesk.conversations.models import ACTIVE_STATUSES, DONE_STATUSES, EventKind

# The events that move a clock or record what the SLA task did.
CLOCK_KINDS = (
    EventKind.CREATED,
    EventKind.ASSIGNED,
    EventKind.TRANSFERRED,
    EventKind.REPLIED,
    EventKind.CUSTOMER_REPLIED,
    EventKind.STATUS_CHANGED,
    EventKind.RESOLVED,
    EventKind.REOPENED,
    EventKind.MERGED,
    EventKind.SLA_WARNED,
    EventKind.SLA_BREACHED,
    EventKind.RETURNED,
)
_ON_US = {str(s) for s in ACTIVE_STATUSES}
DONE = {str(s) for s in DONE_STATUSES}


@dataclass(frozen=True)
class Mark:
    """One stored event, as the clocks read it."""

    kind: str
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Targets:
    """One team's targets at one severity, its business hours, and since when these targets
    count (None: since always, a policy saved before that was recorded)."""

    hours: Hours
    first_response: timedelta
    next_response: timedelta
    resolution: timedelta
    since: datetime | None = None

    def limit(self, target: str) -> timedelta:
        return getattr(self, target)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Clock:
    """One run of one target: `cycle` names the run (its start), so each run is warned and
    breached at most once whatever the task does."""

    target: str
    cycle: str
    started: datetime
    stopped: datetime | None
    limit: timedelta
    elapsed: timedelta
    running: bool
    due: datetime | None

    @property
    def left(self) -> timedelta:
        return self.limit - self.elapsed

    @property
    def key(self) -> str:
        """Names the run in the events that act on it: its target and cycle."""
        return f"{self.target} {self.cycle}"

    @property
    def breached(self) -> bool:
        return self.elapsed > self.limit

    @property
    def met(self) -> bool:
        return self.stopped is not None and not self.breached

    @property
    def label(self) -> str:
        return SlaTarget(self.target).label


def running_spans(marks: Sequence[Mark], created_at: datetime, now: datetime) -> list[Span]:
    """When it was the team's move (new, open, waiting on us) from creation to `now`."""
    spans: list[Span] = []
    on_since: datetime | None = created_at
    for mark in marks:
        if mark.at > now:
            break
        on = _on_us_after(mark)
        if on is None:
            continue
        if on and on_since is None:
            on_since = mark.at
        elif not on and on_since is not None:
            spans.append((on_since, mark.at))
            on_since = None
    if on_since is not None and on_since < now:
        spans.append((on_since, now))
    return spans


def _on_us_after(mark: Mark) -> bool | None:
    """Whose move it is after this event: True ours, False not, None unchanged."""
    if mark.kind == EventKind.STATUS_CHANGED:
        return str(mark.data.get("new")) in _ON_US
    if mark.kind == EventKind.RESOLVED:
        return False
    if mark.kind == EventKind.REOPENED:
        return True
    if mark.kind == EventKind.MERGED and "into" in mark.data:
        return False  # folded into another conversation: closed
    return None


def _ends(mark: Mark) -> bool:
    """Resolved, closed or merged away: every clock stops."""
    if mark.kind == EventKind.STATUS_CHANGED:
        return str(mark.data.get("new")) in DONE
    return mark.kind == EventKind.RESOLVED or (
        mark.kind == EventKind.MERGED and "into" in mark.data
    )


def _clip(spans: Sequence[Span], start: datetime, end: datetime) -> list[Span]:
    return [(max(a, start), min(b, end)) for a, b in spans if b > start and a < end]


@dataclass(frozen=True)
class Raise:
    """A breach that raised the severity: when, and the time each other live run had left then
    (business seconds by `Clock.key`), under the targets it was judged by until then."""

    at: datetime
    left: Mapping[str, int]


def raises_and_breaches(marks: Sequence[Mark], now: datetime) -> tuple[list[Raise], set[str]]:
    """The breaches that raised the severity, and which runs (`Clock.key`) were breached."""
    raises: list[Raise] = []
    breached: set[str] = set()
    for mark in marks:
        if mark.at > now:
            break
        if mark.kind == EventKind.SLA_BREACHED:
            breached.add(f"{mark.data.get('target', '')} {mark.data.get('cycle', '')}")
            if mark.data.get("raised"):
                left = mark.data.get("left")
                raises.append(Raise(mark.at, left if isinstance(left, dict) else {}))
    return raises, breached


def _clock(
    target: str,
    started: datetime,
    stopped: datetime | None,
    *,
    spans: Sequence[Span],
    targets: Targets,
    now: datetime,
    raises: Sequence[Raise] = (),
    breached: Collection[str] = (),
) -> Clock:
    """One run of a target at the current severity (a run live at a raise: see `clocks`),
    counted from no earlier than its policy took effect (the module's docstring)."""
    end = stopped or now
    key = f"{target} {started.isoformat()}"
    limit = targets.limit(target)
    counting = started
    raised = [r for r in raises if started < r.at <= end]
    if raised and key not in breached:
        counting = raised[-1].at
        had = raised[-1].left.get(key)
        if isinstance(had, int):
            limit = min(limit, timedelta(seconds=max(had, 0)))
    if targets.since is not None and targets.since > counting and key not in breached:
        counting, limit = targets.since, targets.limit(target)
    elapsed = business_time(targets.hours, _clip(spans, counting, end))
    running = stopped is None and bool(spans) and spans[-1][1] == now
    due = None
    if running and elapsed < limit:
        due = business_add(targets.hours, now, limit - elapsed)
    return Clock(
        target=target,
        cycle=started.isoformat(),
        started=started,
        stopped=stopped,
        limit=limit,
        elapsed=elapsed,
        running=running,
        due=due,
    )


def clocks(
    marks: Sequence[Mark], *, created_at: datetime, targets: Targets, now: datetime
) -> list[Clock]:
    """Every run of every target: first response, each next response, resolution.

    One late answer is one breach, not a cascade. A breach raises the severity one step; every
    other run still live then was judged at the old severity's targets until that breach, and
    from it counts against the new severity's stricter target or the time it had left, whichever
    is less: the raise never gives more time, and the wait already judged is not judged again.
    A breached run stays breached and is never breached again (`actions`). So normal → high →
    urgent takes a second miss, measured from the first breach.
    """
    spans = running_spans(marks, created_at, now)
    raises, breached = raises_and_breaches(marks, now)
    done_at: datetime | None = None
    first_reply: datetime | None = None
    cycles: list[tuple[datetime, datetime | None]] = []
    waiting_since: datetime | None = None
    for mark in marks:
        if mark.at > now:
            break
        if mark.kind == EventKind.REPLIED:
            if first_reply is None:
                first_reply = mark.at
            elif waiting_since is not None:
                cycles.append((waiting_since, mark.at))
            waiting_since = None
        elif mark.kind == EventKind.CUSTOMER_REPLIED and first_reply is not None:
            waiting_since = waiting_since or mark.at
        if mark.kind == EventKind.REOPENED:
            done_at = None
        elif _ends(mark):
            done_at = done_at or mark.at
    if waiting_since is not None:
        cycles.append((waiting_since, done_at))
    runs = [(SlaTarget.FIRST_RESPONSE, created_at, first_reply or done_at)]
    runs += [(SlaTarget.NEXT_RESPONSE, a, b) for a, b in cycles]
    runs.append((SlaTarget.RESOLUTION, created_at, done_at))
    return [
        _clock(
            target,
            a,
            b,
            spans=spans,
            targets=targets,
            now=now,
            raises=raises,
            breached=breached,
        )
        for target, a, b in runs
    ]


def live(found: Sequence[Clock]) -> list[Clock]:
    """The clocks still counting or paused (not stopped): what the desk and the task act on."""
    return [c for c in found if c.stopped is None]


def most_pressing(found: Sequence[Clock]) -> Clock | None:
    """The live clock with the least time left (the one the inbox shows)."""
    candidates = live(found)
    return min(candidates, key=lambda c: c.left) if candidates else None


@dataclass(frozen=True)
class Action:
    """What the SLA task must do for one conversation now."""

    kind: str  # "warn", "breach" or "return"
    target: str = ""
    cycle: str = ""
    due: datetime | None = None
    over: timedelta = timedelta(0)
    # A breach: the time the other live runs have left (business seconds by `Clock.key`), kept
    # on its event so the raised severity's targets never give them more (`clocks`).
    left: Mapping[str, int] = field(default_factory=dict)


def recorded(marks: Sequence[Mark]) -> set[tuple[str, str, str]]:
    """(kind, target, cycle) of every warning and breach already recorded."""
    return {
        (m.kind, str(m.data.get("target", "")), str(m.data.get("cycle", "")))
        for m in marks
        if m.kind in (EventKind.SLA_WARNED, EventKind.SLA_BREACHED)
    }


def owner_silence(
    marks: Sequence[Mark],
    *,
    owner_id: int | None,
    hours: Hours,
    now: datetime,
    since: datetime | None = None,
) -> timedelta | None:
    """How long (in business time) the owner has left the customer waiting on them: since the
    later of their taking it, the customer's latest unanswered message and `since` (when the
    team's SLA took effect: a silence before it is not held against them). None when it is not
    their move (no owner, their reply is the latest word, or waiting on the customer)."""
    if owner_id is None:
        return None
    taken: datetime | None = None
    waiting: datetime | None = None
    on_us = True
    for mark in marks:
        if mark.at > now:
            break
        to = mark.data.get("agent" if mark.kind == EventKind.ASSIGNED else "to_agent")
        if mark.kind in (EventKind.ASSIGNED, EventKind.TRANSFERRED) and to == owner_id:
            taken = mark.at
        elif mark.kind in (EventKind.CREATED, EventKind.CUSTOMER_REPLIED):
            waiting = waiting or mark.at
        elif mark.kind == EventKind.REPLIED:
            waiting = None
        on = _on_us_after(mark)
        on_us = on_us if on is None else on
    if taken is None or waiting is None or not on_us:
        return None
    start = max(taken, waiting, since or taken)
    return business_time(hours, [(start, now)] if start < now else [])


def actions(
    found: Sequence[Clock],
    *,
    done: Collection[tuple[str, str, str]],
    warn_before: timedelta,
    silence: timedelta | None,
    silence_limit: timedelta,
) -> list[Action]:
    """What is due now, decided from the clocks and what was recorded before: a target past
    its limit is breached once; one within `warn_before` of it is warned once (never after its
    breach); an owner silent past the limit gives the conversation back."""
    due: list[Action] = []
    for clock in live(found):
        key = (clock.target, clock.cycle)
        if (EventKind.SLA_BREACHED, *key) in done:
            continue
        if clock.breached:
            left = {
                other.key: int(other.left.total_seconds())
                for other in live(found)
                if other is not clock and not other.breached
            }
            over = clock.elapsed - clock.limit
            due.append(Action("breach", clock.target, clock.cycle, over=over, left=left))
        elif (
            clock.running and clock.left <= warn_before and (EventKind.SLA_WARNED, *key) not in done
        ):
            due.append(Action("warn", clock.target, clock.cycle, due=clock.due))
    if silence is not None and silence >= silence_limit:
        due.append(Action("return", over=silence - silence_limit))
    return due
