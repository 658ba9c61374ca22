"""Metric values for a period, a scope and a grouping, read from the daily rollups only.

No selector here reads an event: pages, the API, the CSV and the review all come through
`metrics_for`, which has the database sum the rollup rows per group (one aggregate query over
an indexed range, plus one for the backlog carried in from before the period) and turns the sums
into the registry's metrics. Time groupings are summed per day in the database and the few
hundred day rows folded into weeks, months or quarters here: the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, Sum
from django.utils import timezone

from caredesk.insights.care_metrics import ALL, EMPTY, Figure, care_figures
from caredesk.insights.facts import desk_zone
from caredesk.insights.metrics import BY_NAME, METRICS, THIN, Metric, histogram_percentile
from caredesk.insights.models import HISTOGRAMS, SUMMED, DailyRollup, RollupRow, TeamRollup
from caredesk.people.models import User
from caredesk.people.selectors import agent_of

MAX_DAYS = 3 * 366  # the longest period one request may ask for


class Grouping(StrEnum):
    NONE = "none"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    TEAM = "team"
    CHANNEL = "channel"
    SEVERITY = "severity"
    AGENT = "agent"


TIME_GROUPINGS = (Grouping.DAY, Grouping.WEEK, Grouping.MONTH, Grouping.QUARTER)
# The rollup column each grouping is summed by in the database (none: one total).
_GROUP_FIELD: dict[Grouping, str | None] = {
    Grouping.NONE: None,
    **dict.fromkeys(TIME_GROUPINGS, "day"),
    Grouping.TEAM: "team_id",
    Grouping.CHANNEL: "channel",
    Grouping.SEVERITY: "severity",
    Grouping.AGENT: "agent_id",
}


@dataclass(frozen=True)
class Scope:
    """Which part of the desk: all of it, or a team, an agent, a channel, a severity."""

    team: int | None = None
    agent: int | None = None
    channel: str | None = None
    severity: int | None = None

    def q(self) -> Q:
        q = Q()
        if self.team is not None:
            q &= Q(team_id=self.team)
        if self.agent is not None:
            q &= Q(agent_id=self.agent)
        if self.channel is not None:
            q &= Q(channel=self.channel)
        if self.severity is not None:
            q &= Q(severity=self.severity)
        return q


@dataclass(frozen=True)
class Value:
    metric: Metric
    value: float | None
    cases: int
    thin: bool
    details: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Group:
    key: str
    start: date
    end: date
    values: list[Value]


def scope_for(user: User | Any, scope: Scope) -> Scope:
    """An agent sees their own figures; a lead or admin any part of the desk."""
    agent = agent_of(user)
    if agent is None:
        raise PermissionDenied("Only agents may read the desk's metrics.")
    if agent.sees_everything:
        return scope
    if scope.team is not None or scope.agent not in (None, agent.pk):
        raise PermissionDenied("An agent sees their own metrics; leads see every team and agent.")
    return Scope(agent=agent.pk, channel=scope.channel, severity=scope.severity)


def _bucket(day: date, grouping: Grouping) -> tuple[date, date]:
    if grouping == Grouping.DAY:
        return day, day
    if grouping == Grouping.WEEK:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    first_month = day.month if grouping == Grouping.MONTH else 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    months = 1 if grouping == Grouping.MONTH else 3
    year, month = divmod(first_month - 1 + months, 12)
    return start, date(day.year + year, month + 1, 1) - timedelta(days=1)


def _key(row: dict[str, Any], grouping: Grouping) -> str:
    if grouping in TIME_GROUPINGS:
        return _bucket(row["day"], grouping)[0].isoformat()
    field_name = _GROUP_FIELD[grouping]
    return "all" if field_name is None else str(row[field_name])


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _values(
    sums: dict[str, Any], backlog: tuple[int, int], at: datetime, care: dict[str, Figure]
) -> list[Value]:
    """Every metric of the registry from one group's sums (and the care app's two)."""
    s = defaultdict(int, sums)
    frt = [s[column] for column in HISTOGRAMS["frt"]]
    ttr = [s[column] for column in HISTOGRAMS["ttr"]]
    open_now, since_sum = backlog
    age = at.timestamp() - since_sum / open_now if open_now > 0 else None
    figures: dict[str, Figure] = {
        "opened": (s["opened"], s["opened"], {"merged": s["merged"]}),
        "first_response_median": (histogram_percentile(frt, 0.5), sum(frt), {}),
        "first_response_p90": (histogram_percentile(frt, 0.9), sum(frt), {}),
        "resolution_median": (histogram_percentile(ttr, 0.5), sum(ttr), {}),
        "resolution_p90": (histogram_percentile(ttr, 0.9), sum(ttr), {}),
        "first_contact_resolution": (
            _share(s["fcr"], s["first_resolved"]),
            s["first_resolved"],
            {"resolved_first_contact": s["fcr"]},
        ),
        "reopen_rate": (
            _share(s["reopened"], s["first_resolved"]),
            s["first_resolved"],
            {"reopened": s["reopened"], "reopens": s["reopens"]},
        ),
        "people_per_problem": (_share(s["people_sum"], s["resolved"]), s["resolved"], {}),
        "people_many_share": (
            _share(s["people_many"], s["resolved"]),
            s["resolved"],
            {"more_than_one": s["people_many"]},
        ),
        "satisfaction": (_share(s["satisfaction_sum"], s["rated"]), s["rated"], {}),
        "effort": (_share(s["effort_sum"], s["rated"]), s["rated"], {}),
        "rating_response_rate": (
            _share(s["rated"], s["resolved"]),
            s["resolved"],
            {"rated": s["rated"]},
        ),
        "backlog": (open_now, open_now, {}),
        "backlog_age": (age, open_now, {}),
        "complaints": (s["complaints"], s["opened"], {}),
        "complaints_resolved_share": (
            _share(s["complaints_resolved"], s["complaints"]),
            s["complaints"],
            {
                "resolved": s["complaints_resolved"],
                "resolved_after_reopen": s["complaints_reopened"],
                "open": s["complaints_open"],
            },
        ),
        "retention": (
            _share(s["came_back"], s["bad_experiences"]),
            s["bad_experiences"],
            {"came_back": s["came_back"], "silent": s["bad_experiences"] - s["came_back"]},
        ),
        **care,
    }
    return _in_order(figures)


def _in_order(figures: dict[str, Figure]) -> list[Value]:
    """The registry's metrics in its order, each flagged thin under `THIN` cases if a rate."""
    out = []
    for metric in METRICS:
        value, cases, details = figures[metric.name]
        out.append(Value(metric, value, cases, metric.rate and cases < THIN, details))
    return out


def _end_instant(day: date) -> datetime:
    """The end of `day` in the desk's time zone, or now if that is still to come."""
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=desk_zone())
    return min(end, timezone.now())


def _sum_rows(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Add up already summed groups (the days of a week, say): a few hundred at most."""
    total = dict.fromkeys(SUMMED, 0)
    for row in rows:
        for name in SUMMED:
            total[name] += row[name]
    return total


def _table(scope: Scope, by: str | None) -> type[RollupRow]:
    """The rows without the agent unless the read is about agents: far fewer to sum."""
    return DailyRollup if scope.agent is not None or by == "agent_id" else TeamRollup


def _rows(start: date, end: date, scope: Scope, by: str | None) -> list[dict[str, Any]]:
    """The period's rollup rows summed by the database: one row per value of `by`, or one."""
    if end < start:
        raise ValidationError({"end": "The period ends before it starts."})
    if (end - start).days >= MAX_DAYS:
        raise ValidationError({"end": f"Ask for at most {MAX_DAYS} days at a time."})
    rows = _table(scope, by).objects.filter(scope.q(), day__gte=start, day__lte=end).order_by()
    # Aliased: an annotation may not take the name of the column it sums.
    sums = {f"sum_{name}": Sum(name) for name in SUMMED}
    found = [rows.aggregate(**sums)] if by is None else rows.values(by).annotate(**sums)
    return [
        {**({by: row[by]} if by else {}), **{n: row[f"sum_{n}"] or 0 for n in SUMMED}}
        for row in found
    ]


def metrics_for(
    *, start: date, end: date, scope: Scope, grouping: Grouping = Grouping.NONE
) -> list[Group]:
    """The registry's metrics for the days `start`..`end` (inclusive, the desk's time zone)."""
    rows = _rows(start, end, scope, _GROUP_FIELD[grouping])
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[_key(row, grouping)].append(row)
    carried = _backlog_before(start, scope, grouping)
    care = _care(start, end, scope, grouping)
    return _groups(groups, carried, care, start, end, grouping)


def metrics_trend(
    *, start: date, end: date, scope: Scope, grouping: Grouping
) -> tuple[list[Group], Group]:
    """A time grouping's buckets and the whole period's values, from one read of the rollups
    (the dashboard shows both: reading the rows twice doubled its time)."""
    if grouping not in TIME_GROUPINGS:
        raise ValueError(f"{grouping} is not a time grouping")
    rows = _rows(start, end, scope, "day")
    buckets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        buckets[_key(row, grouping)].append(row)
    carried = _backlog_before(start, scope, Grouping.NONE)  # the same for every time grouping
    care = _care(start, end, scope, grouping, total=True)  # the buckets' and the period's
    trend = _groups(buckets, carried, care, start, end, grouping)
    (total,) = _groups({ALL: rows}, carried, care, start, end, Grouping.NONE)
    return trend, total


def _care(
    start: date, end: date, scope: Scope, grouping: Grouping, *, total: bool = False
) -> dict[str, dict[str, Figure]]:
    """The outreach and self-service figures per group key, from the care app's own tables;
    with `total`, the whole period's too (key ALL) from the same queries."""
    zone = desk_zone()
    fields: dict[str, Any] = {"team_id": scope.team, "agent_id": scope.agent}
    fields |= {"channel": scope.channel, "severity": scope.severity}
    buckets = []
    day = start
    while grouping in TIME_GROUPINGS and day <= end:
        bucket_start, bucket_end = _bucket(day, grouping)
        until = datetime.combine(min(bucket_end, end) + timedelta(days=1), time.min, tzinfo=zone)
        buckets.append((bucket_start.isoformat(), until))
        day = bucket_end + timedelta(days=1)
    return care_figures(
        since=datetime.combine(start, time.min, tzinfo=zone),
        until=datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
        scope={name: value for name, value in fields.items() if value is not None},
        by=_GROUP_FIELD[grouping],
        buckets=buckets,
        now=timezone.now(),
        total=total,
    )


def _backlog_before(start: date, scope: Scope, grouping: Grouping) -> dict[str, tuple[int, int]]:
    """The backlog carried into the period, per group (all of it for a time grouping)."""
    by_field = {"team": "team_id", "agent": "agent_id", "channel": "channel"}
    name = by_field.get(grouping.value, "severity" if grouping == Grouping.SEVERITY else "")
    qs = _table(scope, name or None).objects.filter(scope.q(), day__lt=start)
    totals = Sum("backlog_delta"), Sum("backlog_since_delta")
    if not name:
        found = qs.aggregate(n=totals[0], s=totals[1])
        return {"": (found["n"] or 0, found["s"] or 0)}
    return {
        str(row[name]): (row["n"] or 0, row["s"] or 0)
        for row in qs.values(name).annotate(n=totals[0], s=totals[1])
    }


def _groups(
    groups: dict[str, list[dict[str, Any]]],
    carried: dict[str, tuple[int, int]],
    care: dict[str, dict[str, Figure]],
    start: date,
    end: date,
    grouping: Grouping,
) -> list[Group]:
    out = []
    if grouping in TIME_GROUPINGS:
        open_now, since = carried.get("", (0, 0))
        day = start
        while day <= end:
            bucket_start, bucket_end = _bucket(day, grouping)
            key = bucket_start.isoformat()
            rows = groups.get(key, [])
            sums = _sum_rows(rows)
            open_now += sums.get("backlog_delta", 0)
            since += sums.get("backlog_since_delta", 0)
            last = min(bucket_end, end)
            backlog = (open_now, since)
            out.append(
                Group(
                    bucket_start.isoformat(),
                    max(bucket_start, start),
                    last,
                    _values(sums, backlog, _end_instant(last), care.get(key, EMPTY)),
                )
            )
            day = bucket_end + timedelta(days=1)
        return out
    for key in sorted(set(groups) | {k for k in carried if k}):
        sums = _sum_rows(groups.get(key, []))
        before = carried.get(key, carried.get("", (0, 0)) if grouping == Grouping.NONE else (0, 0))
        backlog = (
            before[0] + sums.get("backlog_delta", 0),
            before[1] + sums.get("backlog_since_delta", 0),
        )
        figures = care.get(key, EMPTY)
        out.append(Group(key, start, end, _values(sums, backlog, _end_instant(end), figures)))
    return out


def metric_named(name: str) -> Metric:
    return BY_NAME[name]
