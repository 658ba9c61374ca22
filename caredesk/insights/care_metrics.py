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
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, IntegerField, Model, OuterRef, Q, QuerySet
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
    rows: QuerySet[Any], at: str, by: str | None, buckets: Sequence[Bucket], **sums: Any
) -> dict[str, dict[str, Any]]:
    """`sums` per group, counted by the database: per time bucket (a CASE over the buckets'
    ends, or the day itself for a day grouping), per `by` field, or all together."""
    if by is None:
        return {"all": rows.aggregate(**sums)}
    if buckets and len(buckets) <= MAX_CASES:
        found = rows.annotate(g=_bucket_of(rows.model, at, buckets)).values("g").annotate(**sums)
        return {buckets[row.pop("g")][0]: row for row in found if row["g"] is not None}
    if buckets:  # many days: the database turns each moment into its day in the desk's zone
        found = rows.annotate(g=TruncDate(at, tzinfo=desk_zone())).values("g").annotate(**sums)
        return {row.pop("g").isoformat(): row for row in found}
    found = rows.values(by).annotate(**sums)
    return {str(row.pop(by) if row[by] is not None else 0): row for row in found}


def _outreach(
    since: datetime,
    until: datetime,
    scope: dict[str, Any],
    by: str | None,
    buckets: Sequence[Bucket],
) -> dict[str, Figure]:
    tasks = OutreachTask.objects.filter(opened_at__gte=since, opened_at__lt=until).order_by()
    tasks = tasks.filter(**{_OUTREACH_FIELD[name]: value for name, value in scope.items()})
    field = None if by is None else _OUTREACH_FIELD.get(by, "opened_at")
    counts = _grouped(
        tasks,
        "opened_at",
        field,
        buckets,
        customers=Count("customer", distinct=True),
        reached=Count("customer", distinct=True, filter=Q(outcome__in=REACHED)),
        recovered=Count("customer", distinct=True, filter=Q(outcome=OutreachOutcome.RECOVERED)),
        lost=Count("customer", distinct=True, filter=Q(outcome=OutreachOutcome.LOST)),
        open=Count("customer", distinct=True, filter=Q(outcome="")),
    )
    return {key: _outreach_figure(row) for key, row in counts.items()}


def _self_service(
    since: datetime,
    until: datetime,
    scope: dict[str, Any],
    by: str | None,
    buckets: Sequence[Bucket],
    now: datetime,
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
    counts = _grouped(
        rows,
        "created_at",
        field,
        buckets,
        resolutions=Count("pk"),
        returned=Count("pk", filter=Q(came_back=True)),
        held=Count("pk", filter=Q(came_back=False, created_at__lte=now - RESOLUTION_HOLDS)),
    )
    return {key: _self_service_figure(row) for key, row in counts.items()}


def care_figures(
    *,
    since: datetime,
    until: datetime,
    scope: dict[str, Any],
    by: str | None,
    buckets: Sequence[Bucket] = (),
    now: datetime,
) -> dict[str, dict[str, Figure]]:
    """Per group key: the two metrics' value, cases and details over [since, until).
    `scope`: rollup field -> value (team_id, channel, severity, agent_id); `by`: the rollup
    field grouped by, or None for one group ("all"); `buckets`: for a time grouping, each
    bucket's key and the moment it ends, in order."""
    outreach = _outreach(since, until, scope, by, buckets)
    self_service = _self_service(since, until, scope, by, buckets, now)
    return {
        key: {
            "at_risk_reached": outreach.get(key, EMPTY["at_risk_reached"]),
            "self_service_rate": self_service.get(key, EMPTY["self_service_rate"]),
        }
        for key in set(outreach) | set(self_service)
    }
