"""Business-time arithmetic: pure functions, no database, no clock.

A team's SLA clock runs only while the team is open: its weekday hours in its own time zone
(so a daylight-saving change moves the hours with the wall clock, not with UTC), never on a
holiday. Every datetime in and out is timezone-aware.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# A clock that cannot find enough open time within this many days has hours that are never open.
HORIZON_DAYS = 800

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class Hours:
    """Opening hours: per weekday (Monday first) minutes from midnight (start, end), end up to
    1440, or None when closed; the zone they are read in; the dates closed all day."""

    zone: ZoneInfo
    week: tuple[tuple[int, int] | None, ...]
    holidays: frozenset[date] = frozenset()


ALWAYS_OPEN = Hours(zone=ZoneInfo("UTC"), week=((0, 1440),) * 7)


def _minutes(text: object, *, day: str) -> int:
    if not isinstance(text, str):
        raise ValidationError({"week": f"{day}: write times as HH:MM, e.g. 09:00."})
    if text == "24:00":
        return 1440
    try:
        parsed = time.fromisoformat(text)
    except ValueError:
        raise ValidationError({"week": f"{day}: “{text}” is not a time like 09:00."}) from None
    return parsed.hour * 60 + parsed.minute


def hours_parse(*, time_zone: str, week: object, holidays: object) -> Hours:
    """Stored or typed settings as `Hours`, or a `ValidationError` that says what is wrong."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            {"time_zone": f"“{time_zone}” is not a time zone; use a name like Europe/Berlin."}
        ) from None
    if not isinstance(week, list | tuple) or len(week) != 7:
        raise ValidationError({"week": "Give the hours of all seven days, Monday first."})
    days: list[tuple[int, int] | None] = []
    for day, entry in zip(DAYS, week, strict=True):
        if entry is None or entry == [] or entry == ():
            days.append(None)
            continue
        if not isinstance(entry, list | tuple) or len(entry) != 2:
            raise ValidationError({"week": f"{day}: give an opening and a closing time."})
        start, end = _minutes(entry[0], day=day), _minutes(entry[1], day=day)
        if start >= end:
            raise ValidationError({"week": f"{day}: the closing time must be after the opening."})
        days.append((start, end))
    if all(d is None for d in days):
        raise ValidationError({"week": "Open on at least one day, or the clock never runs."})
    return Hours(zone=zone, week=tuple(days), holidays=frozenset(_dates(holidays)))


def _dates(values: object) -> list[date]:
    if not isinstance(values, list | tuple):
        raise ValidationError({"holidays": "Give holidays as a list of dates."})
    found = []
    for value in values:
        try:
            found.append(date.fromisoformat(str(value)))
        except ValueError:
            raise ValidationError(
                {"holidays": f"“{value}” is not a date like 2026-12-25."}
            ) from None
    return found


def _local(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """A wall-clock time of a day in the zone, as UTC (24:00 is the next midnight)."""
    if minutes >= 1440:
        day, minutes = day + timedelta(days=1), 0
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone).astimezone(UTC)


def open_spans(hours: Hours, start: datetime, end: datetime | None = None) -> Iterator[Span]:
    """The open spans (UTC) from `start` on, clipped to `end` when given, in order."""
    day = start.astimezone(hours.zone).date() - timedelta(days=1)
    last = end.astimezone(hours.zone).date() if end else day + timedelta(days=HORIZON_DAYS)
    while day <= last:
        slot = hours.week[day.weekday()]
        if slot is not None and day not in hours.holidays:
            lo = max(_local(day, slot[0], hours.zone), start)
            hi = _local(day, slot[1], hours.zone)
            if end is not None:
                hi = min(hi, end)
            if lo < hi:
                yield lo, hi
        day += timedelta(days=1)


def business_time(hours: Hours, spans: Iterable[Span]) -> timedelta:
    """The open time inside the given (running) spans."""
    total = timedelta(0)
    for start, end in spans:
        if start < end:
            total += sum((hi - lo for lo, hi in open_spans(hours, start, end)), timedelta(0))
    return total


def business_add(hours: Hours, start: datetime, amount: timedelta) -> datetime:
    """The moment `amount` of open time has passed after `start`."""
    left = amount
    if left <= timedelta(0):
        return start
    for lo, hi in open_spans(hours, start):
        if hi - lo >= left:
            return lo + left
        left -= hi - lo
    raise ValueError("these business hours are never open")


def spans_minus(spans: Sequence[Span], holes: Sequence[Span]) -> list[Span]:
    """`spans` with the time of `holes` cut out (both sorted, each without overlaps)."""
    out: list[Span] = []
    for start, end in spans:
        cursor = start
        for lo, hi in holes:
            if hi <= cursor or lo >= end:
                continue
            if lo > cursor:
                out.append((cursor, lo))
            cursor = max(cursor, hi)
        if cursor < end:
            out.append((cursor, end))
    return out
