"""What one conversation adds to the daily rollups, from its events alone: a pure function.

The incremental path (a conversation's events arrived) and the rebuild (every conversation) both
call `contribution`, so a rollup rebuilt from scratch equals the one kept up to date.

Rules the metrics rely on (the definitions in `insights/metrics.py` say the same in words):
- A merged-away duplicate counts only as `merged`: the problem lives on in the conversation it
  joined, so it is not opened, resolved or rated twice.
- A customer writing after resolution reopens the conversation (the lifecycle), but for the
  metrics it is a reopen only if the desk had work to do: a message read as gratitude ("thank
  you, that worked") or one resolved again without an agent's reply is not a reopen, and the
  resolution before it stands. An agent's reopen always counts.
- Team, channel, severity and agent are the conversation's current ones: a conversation
  transferred across teams counts for the team that has it now.
- Durations (first response, resolution) are counted by `elapsed`: business time where the
  conversation's team has business hours (the care app's), wall-clock time otherwise.
- Each figure lands on the day (the desk's time zone) of the moment it describes: opened and
  complaints on the day opened, first response on its day, first-contact resolution and
  reopens on the first resolution's day, time to resolution, people-per-problem, ratings and
  retention on the day of the (last) resolution.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from caredesk.conversations.models import EventKind
from caredesk.conversations.selectors import AGENT_EVENT_KEYS

FCR_WINDOW = timedelta(days=7)
RETURN_WINDOW = timedelta(days=90)
BAD_SATISFACTION = 2  # a rating of 1 or 2 out of 5 is a bad experience
CUSTOMER_REOPEN = (
    "customer wrote again"  # the lifecycle's reason when the customer's message reopens
)

Contribution = dict[str, dict[str, Any]]
Elapsed = Callable[[datetime, datetime], int]  # seconds counted between two moments


def wall_clock(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds())


@dataclass(frozen=True)
class EventRow:
    kind: str
    at: datetime
    data: dict[str, Any]


@dataclass
class _Walk:
    """The conversation's history folded into the moments the metrics need."""

    created_at: datetime | None = None
    first_reply_at: datetime | None = None
    replies: int = 0
    replies_at_first_resolution: int | None = None
    resolutions: list[datetime] = field(default_factory=list)
    counted_reopens: list[datetime] = field(default_factory=list)
    merged_away: bool = False
    rating: tuple[int, int] | None = None
    backlog: list[tuple[datetime, int, int]] = field(default_factory=list)  # (at, ±1, since)
    open_since: datetime | None = None
    pending: dict[str, Any] | None = None  # a customer's reopen, judged when it ends


def desk_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_of(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).date().isoformat()


def _enter(walk: _Walk, at: datetime) -> None:
    if walk.open_since is None:
        walk.open_since = at
        walk.backlog.append((at, 1, int(at.timestamp())))


def _leave(walk: _Walk, at: datetime) -> None:
    if walk.open_since is not None:
        walk.backlog.append((at, -1, -int(walk.open_since.timestamp())))
        walk.open_since = None


def _judge_pending(walk: _Walk, thanks: Callable[[int | None], bool], *, at_end: bool) -> bool:
    """Whether the pending customer reopen counts; clears it. At a resolution it counts only if
    an agent replied meanwhile; still open at the end, unless the message reads as thanks."""
    pending = walk.pending
    assert pending is not None
    walk.pending = None
    if thanks(pending["message"]):
        return False
    if at_end:
        walk.counted_reopens.append(pending["at"])
        return True
    if walk.replies > pending["replies"]:
        walk.counted_reopens.append(pending["at"])
        return True
    return False


def _step(walk: _Walk, event: EventRow, thanks: Callable[[int | None], bool]) -> None:
    kind, at, data = event.kind, event.at, event.data
    if kind == EventKind.CREATED:
        walk.created_at = at
        _enter(walk, at)
    elif kind == EventKind.REPLIED:
        walk.replies += 1
        if walk.first_reply_at is None:
            walk.first_reply_at = at
    elif kind == EventKind.RESOLVED:
        _leave(walk, at)
        if walk.pending is not None and not _judge_pending(walk, thanks, at_end=False):
            return  # a thank-you: the resolution before it stands
        if not walk.resolutions:
            walk.replies_at_first_resolution = walk.replies
        walk.resolutions.append(at)
    elif kind == EventKind.REOPENED:
        _enter(walk, at)
        if data.get("reason") == CUSTOMER_REOPEN:
            walk.pending = {"at": at, "message": None, "replies": walk.replies}
        else:
            walk.counted_reopens.append(at)
    elif kind == EventKind.CUSTOMER_REPLIED:
        if walk.pending is not None and walk.pending["message"] is None:
            walk.pending["message"] = data.get("message")
    elif kind == EventKind.MERGED and data.get("into"):
        walk.merged_away = True
        _leave(walk, at)
    elif kind == EventKind.RATED:
        walk.rating = (int(data["satisfaction"]), int(data["effort"]))


def _people(events: Sequence[EventRow]) -> int:
    agents: set[int] = set()
    for event in events:
        for key in AGENT_EVENT_KEYS.get(EventKind(event.kind), ()):  # type: ignore[call-overload]
            if event.data.get(key):
                agents.add(int(event.data[key]))
    return len(agents)


def _add(out: Contribution, day: str, name: str, value: Any = 1) -> None:
    counts = out.setdefault(day, {})
    if isinstance(value, list):
        counts.setdefault(name, []).extend(value)
    else:
        counts[name] = counts.get(name, 0) + value


def contribution(
    events: Sequence[EventRow],
    *,
    thanks: Callable[[int | None], bool],
    complaint: bool,
    came_back: Callable[[datetime], bool],
    zone: ZoneInfo,
    elapsed: Elapsed = wall_clock,
) -> Contribution:
    """Per day, what this conversation adds to the rollup row of its team, channel, severity
    and agent. `events`: its events in order; `thanks(message id)`: whether that message reads
    as gratitude; `complaint`: whether its first message read negative; `came_back(at)`: whether
    the customer opened another conversation within 90 days after `at`; `elapsed(a, b)`: the
    seconds counted between two moments (business time where the team keeps hours)."""
    walk = _Walk()
    for event in events:
        _step(walk, event, thanks)
    if walk.pending is not None:
        _judge_pending(walk, thanks, at_end=True)
    out: Contribution = {}
    if walk.created_at is None:
        return out
    opened_day = day_of(walk.created_at, zone)
    for at, delta, since in walk.backlog:
        _add(out, day_of(at, zone), "backlog_delta", delta)
        _add(out, day_of(at, zone), "backlog_since_delta", since)
    if walk.merged_away:
        _add(out, opened_day, "merged")
        return out
    _add(out, opened_day, "opened")
    if walk.first_reply_at is not None:
        seconds = elapsed(walk.created_at, walk.first_reply_at)
        _add(out, day_of(walk.first_reply_at, zone), "first_responses")
        _add(out, day_of(walk.first_reply_at, zone), "frt", [seconds])
    last_reopen = max(walk.counted_reopens, default=None)
    resolved = bool(walk.resolutions) and (
        last_reopen is None or last_reopen < walk.resolutions[-1]
    )
    if walk.resolutions:
        _first_resolution(out, walk, zone)
    if complaint:
        _complaint(out, opened_day, walk, resolved=resolved)
    if resolved:
        _resolution(out, walk, events, complaint=complaint, came_back=came_back, zone=zone)
        last = walk.resolutions[-1]
        _add(out, day_of(last, zone), "ttr", [elapsed(walk.created_at, last)])
    return out


def _first_resolution(out: Contribution, walk: _Walk, zone: ZoneInfo) -> None:
    first = walk.resolutions[0]
    day = day_of(first, zone)
    _add(out, day, "first_resolved")
    reopens = [at for at in walk.counted_reopens if at >= first]
    if reopens:
        _add(out, day, "reopened")
        _add(out, day, "reopens", len(reopens))
    early = [at for at in reopens if at - first <= FCR_WINDOW]
    if walk.replies_at_first_resolution == 1 and not early:
        _add(out, day, "fcr")


def _complaint(out: Contribution, day: str, walk: _Walk, *, resolved: bool) -> None:
    _add(out, day, "complaints")
    if not resolved:
        _add(out, day, "complaints_open")
    elif walk.counted_reopens:
        _add(out, day, "complaints_reopened")
    else:
        _add(out, day, "complaints_resolved")


def _resolution(
    out: Contribution,
    walk: _Walk,
    events: Sequence[EventRow],
    *,
    complaint: bool,
    came_back: Callable[[datetime], bool],
    zone: ZoneInfo,
) -> None:
    assert walk.created_at is not None
    last = walk.resolutions[-1]
    day = day_of(last, zone)
    _add(out, day, "resolved")
    people = _people(events)
    _add(out, day, "people_sum", people)
    if people > 1:
        _add(out, day, "people_many")
    if walk.rating is not None:
        _add(out, day, "rated")
        _add(out, day, "satisfaction_sum", walk.rating[0])
        _add(out, day, "effort_sum", walk.rating[1])
    bad = complaint or (walk.rating is not None and walk.rating[0] <= BAD_SATISFACTION)
    if bad:
        _add(out, day, "bad_experiences")
        if came_back(last):
            _add(out, day, "came_back")


def contribution_totals(contribution: Contribution) -> dict[str, Any]:
    """A conversation's figures summed over its days (durations: their seconds, in order)."""
    out: dict[str, Any] = {}
    for counts in contribution.values():
        for name, value in counts.items():
            if isinstance(value, list):
                out.setdefault(name, []).extend(value)
            else:
                out[name] = out.get(name, 0) + value
    return out


def parse_day(text: str) -> date:
    return date.fromisoformat(text)
