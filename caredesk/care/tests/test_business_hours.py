"""Business-time arithmetic across a weekend, a holiday and a daylight-saving change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from caredesk.care.business_hours import (
    ALWAYS_OPEN,
    business_add,
    business_time,
    hours_parse,
    spans_minus,
)

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = [["09:00", "17:00"]] * 5 + [None, None]


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_the_clock_skips_the_weekend_and_follows_the_wall_clock_across_dst() -> None:
    hours = hours_parse(time_zone="Europe/Berlin", week=WEEKDAYS, holidays=[])
    # Friday 16:30 CET; summer time starts on Sunday 29 March 2026.
    start = berlin(2026, 3, 27, 16, 30)
    due = business_add(hours, start, timedelta(hours=1))
    # 30 minutes on Friday, 30 on Monday from 09:00 *summer* time (07:00 UTC, not 08:00).
    assert due == berlin(2026, 3, 30, 9, 30)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 7, 30, tzinfo=UTC)
    assert business_time(hours, [(start, due)]) == timedelta(hours=1)


def test_a_holiday_is_closed_all_day() -> None:
    hours = hours_parse(time_zone="Europe/Berlin", week=WEEKDAYS, holidays=["2026-03-30"])
    due = business_add(hours, berlin(2026, 3, 27, 16, 30), timedelta(hours=1))
    assert due == berlin(2026, 3, 31, 9, 30)
    assert business_time(hours, [(berlin(2026, 3, 30, 8), berlin(2026, 3, 30, 18))]) == (
        timedelta(0)
    )


def test_a_day_open_around_the_clock_is_23_hours_long_when_summer_time_starts() -> None:
    hours = hours_parse(time_zone="Europe/Berlin", week=[["00:00", "24:00"]] * 7, holidays=[])
    day = [(berlin(2026, 3, 29, 0), berlin(2026, 3, 30, 0))]
    assert business_time(hours, day) == timedelta(hours=23)
    assert business_time(ALWAYS_OPEN, day) == timedelta(hours=23)  # the same instants in UTC


def test_time_before_opening_counts_from_the_opening() -> None:
    hours = hours_parse(time_zone="UTC", week=WEEKDAYS, holidays=[])
    monday_early = datetime(2026, 3, 30, 6, tzinfo=UTC)
    assert business_add(hours, monday_early, timedelta(minutes=15)) == datetime(
        2026, 3, 30, 9, 15, tzinfo=UTC
    )
    assert business_add(hours, monday_early, timedelta(0)) == monday_early


def test_pauses_are_cut_out_of_the_running_time() -> None:
    t = [datetime(2026, 3, 30, h, tzinfo=UTC) for h in range(24)]
    spans = spans_minus([(t[9], t[17])], [(t[10], t[11]), (t[13], t[14])])
    assert spans == [(t[9], t[10]), (t[11], t[13]), (t[14], t[17])]
    assert business_time(ALWAYS_OPEN, spans) == timedelta(hours=6)


@pytest.mark.parametrize(
    ("changed", "field", "says"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", "is not a time zone"),
        ({"week": [["9am", "17:00"]] * 7}, "week", "is not a time like 09:00"),
        ({"week": [["17:00", "09:00"]] * 7}, "week", "closing time must be after"),
        ({"week": [None] * 7}, "week", "at least one day"),
        ({"week": [["09:00", "17:00"]] * 5}, "week", "all seven days"),
        ({"holidays": ["25 December"]}, "holidays", "is not a date"),
    ],
)
def test_bad_hours_are_refused_with_a_clear_reason(
    changed: dict[str, object], field: str, says: str
) -> None:
    given: dict[str, object] = {"time_zone": "UTC", "week": WEEKDAYS, "holidays": []}
    given.update(changed)
    with pytest.raises(ValidationError) as caught:
        hours_parse(**given)  # type: ignore[arg-type]
    assert says in " ".join(caught.value.message_dict[field])
