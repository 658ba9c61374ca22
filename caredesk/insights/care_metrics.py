"""The two metrics the care work makes possible, read from its own small tables.

"Share of at-risk customers reached" counts `OutreachTask`s (one open task per customer; the
care app's `outreach_summary` counts the same way: customers once each, reached if a task of
theirs was reached or recovered) and "self-service resolution rate" counts
`SelfServiceResolution`s with the knowledge app's rule (`self_service_outcomes`: it held if the
customer opened no conversation within 7 days). Neither reads the event history: each is one
aggregate query over a range of its own table, grouped by the database.

Outreach splits by the team, channel, severity and owner of the conversation it started from
(its agent for the agent's own figures); a self-service resolution has no conversation, so it
splits only by its article's team, and has no cases for one agent, channel or severity.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, Model, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate

from caredesk.care.models import OutreachOutcome, OutreachTask
from caredesk.care.outreach_selectors import REACHED
from caredesk.conversations.models import Conversation
from caredesk.insights.facts import desk_zone
from caredesk.knowledge.models import SelfServiceResolution
from caredesk.knowledge.selectors import RESOLUTION_HOLDS

Figure = tuple[float | None, int, dict[str, int]]  # value, cases, details
Bucket = tuple[str, datetime]  # a time bucket's key and the moment it ends
Total = Literal["", "sum", "query"]  # how a time grouping's whole period is counted, if at all
ALL = "all"  # the key of the whole period's figures
MAX_CASES = 200  # more time buckets than this (days over a long period): grouped by day
EMPTY: dict[str, Figure] = {
    "at_risk_reached": (None, 0, {"reached": 0, "recovered": 0, "lost": 0, "open": 0}),
    "self_service_rate": (None, 0, {"resolutions": 0, "held": 0, "returned": 0, "pending": 0}),
}

# The conversation fields outreach is split by, per rollup grouping field.
_OUTREACH_FIELD = {
    "team_id": "conversation__team_id",
    "channel": "conversation__channel",
    "severity": "conversation__severity",
    "agent_id": "agent_id",
}


def _outreach_figure(row: dict[str, Any]) -> Figure:
    n = row["customers"]
    details = {name: row[name] for name in ("reached", "recovered", "lost", "open")}
    return (row["reached"] / n if n else None), n, details


def _self_service_figure(row: dict[str, Any]) -> Figure:
    decided = row["held"] + row["returned"]
    details = {
        "resolutions": row["resolutions"],
        "held": row["held"],
        "returned": row["returned"],
        "pending": row["resolutions"] - decided,
    }
    return (row["held"] / decided if decided else None), decided, details


def _bucket_of(model: type[Model], at: str, buckets: Sequence[Bucket]) -> RawSQL:
    """The index of the bucket a row's moment falls in: a CASE over the buckets' ends, written
    out here because the ORM took longer to compile a year's 53 `When`s than to run them."""
    ops = connection.ops
    column = f"{ops.quote_name(model._meta.db_table)}.{ops.quote_name(at)}"
    whens = " ".join(f"WHEN {column} < %s THEN {i}" for i in range(len(buckets)))
    ends = [ops.adapt_datetimefield_value(until) for _, until in buckets]
    return RawSQL(f"CASE {whens} END", ends, output_field=IntegerField())  # noqa: S611


def _grouped(
    rows: QuerySet[Any],
    at: str,
    by: str | None,
    buckets: Sequence[Bucket],
    sums: dict[str, Any],
    total: Total = "",
) -> dict[str, dict[str, Any]]:
    """`sums` per group, counted by the database: per time bucket (a CASE over the buckets'
    ends, or the day itself for a day grouping), per `by` field, or all together. `total` adds
    the whole period as ALL to a time grouping: "sum" adds up the buckets (plain counts),
    "query" has the database count it in the same statement (a count of distinct customers
    does not add up: one customer may be at risk in two weeks)."""
    if by is None:
        return {ALL: rows.aggregate(**sums)}
    if buckets and len(buckets) <= MAX_CASES:
        keys = [key for key, _ in buckets]
        group: Any = _bucket_of(rows.model, at, buckets)
    elif buckets:  # many days: the database turns each moment into its day in the desk's zone
        keys, group = [], TruncDate(at, tzinfo=desk_zone())
    else:
        keys, group, total = [], F(by), ""
    found = rows.annotate(g=group).values("g").annotate(**sums)
    if total == "query":  # a constant is not grouped by: one row, the whole period's
        whole = rows.annotate(g=Value(None, output_field=group.output_field))
        found = found.union(whole.values("g").annotate(**sums), all=True)
    out = {}
    for row in found:
        g = row.pop("g")
        if g is None and total == "query":
            out[ALL] = row
        elif keys:
            if g is not None:  # every row lies in a bucket: the last one ends at `until`
                out[keys[g]] = row
        else:
            out[g.isoformat() if buckets else str(g if g is not None else 0)] = row
    if total == "sum":
        out[ALL] = {name: sum(row[name] for row in out.values()) for name in sums}
    return out


def _outreach(
    since: datetime,
    until: datetime,
    scope: dict[str, Any],
    by: str | None,
    buckets: Sequence[Bucket],
    total: bool,
) -> dict[str, Figure]:
    tasks = OutreachTask.objects.filter(opened_at__gte=since, opened_at__lt=until).order_by()
    tasks = tasks.filter(**{_OUTREACH_FIELD[name]: value for name, value in scope.items()})
    field = None if by is None else _OUTREACH_FIELD.get(by, "opened_at")
    sums = {
        "customers": Count("customer", distinct=True),
        "reached": Count("customer", distinct=True, filter=Q(outcome__in=REACHED)),
        "recovered": Count("customer", distinct=True, filter=Q(outcome=OutreachOutcome.RECOVERED)),
        "lost": Count("customer", distinct=True, filter=Q(outcome=OutreachOutcome.LOST)),
        "open": Count("customer", distinct=True, filter=Q(outcome="")),
    }
    counts = _grouped(tasks, "opened_at", field, buckets, sums, "query" if total else "")
    return {key: _outreach_figure(row) for key, row in counts.items()}


def _self_service(
    since: datetime,
    until: datetime,
    scope: dict[str, Any],
    by: str | None,
    buckets: Sequence[Bucket],
    now: datetime,
    total: bool,
) -> dict[str, Figure]:
    if set(scope) - {"team_id"} or by not in (None, "day", "team_id"):
        return {}  # no conversation, so no channel, severity or agent to split by
    came_back = Conversation.objects.filter(
        customer=OuterRef("customer"),
        created_at__gte=OuterRef("created_at"),
        created_at__lt=OuterRef("created_at") + RESOLUTION_HOLDS,
    )
    rows = SelfServiceResolution.objects.filter(created_at__gte=since, created_at__lt=until)
    if "team_id" in scope:
        rows = rows.filter(article__team_id=scope["team_id"])
    rows = rows.annotate(came_back=Exists(came_back)).order_by()
    field = {None: None, "day": "created_at", "team_id": "article__team_id"}[by]
    sums = {
        "resolutions": Count("pk"),
        "returned": Count("pk", filter=Q(came_back=True)),
        "held": Count("pk", filter=Q(came_back=False, created_at__lte=now - RESOLUTION_HOLDS)),
    }
    counts = _grouped(rows, "created_at", field, buckets, sums, "sum" if total else "")
    return {key: _self_service_figure(row) for key, row in counts.items()}


def care_figures(
    *,
    since: datetime,
    until: datetime,
    scope: dict[str, Any],
    by: str | None,
    buckets: Sequence[Bucket] = (),
    now: datetime,
    total: bool = False,
) -> dict[str, dict[str, Figure]]:
    """Per group key: the two metrics' value, cases and details over [since, until).
    `scope`: rollup field -> value (team_id, channel, severity, agent_id); `by`: the rollup
    field grouped by, or None for one group ("all"); `buckets`: for a time grouping, each
    bucket's key and the moment it ends, in order; `total`: with a time grouping, the whole
    period's figures too, as ALL, from the same statements (the dashboard shows both)."""
    outreach = _outreach(since, until, scope, by, buckets, total)
    self_service = _self_service(since, until, scope, by, buckets, now, total)
    return {
        key: {
            "at_risk_reached": outreach.get(key, EMPTY["at_risk_reached"]),
            "self_service_rate": self_service.get(key, EMPTY["self_service_rate"]),
        }
        for key in set(outreach) | set(self_service)
    }
