"""`GET /api/metrics`: every metric as open data, each value with its definition and its cases."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, P, QueryEx, Router
from pydantic import BaseModel

from caredesk.apikit import MAX_ID, responses, user_of
from caredesk.conversations.models import Channel
from caredesk.insights import selectors
from caredesk.insights.facts import desk_zone
from caredesk.insights.selectors import Grouping, Scope
from caredesk.people.models import Severity

router = Router(tags=["metrics"])

EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
DEFAULT_DAYS = 30

Day = QueryEx[
    date | None,
    P(ge=EARLIEST, le=LATEST, description="A day (YYYY-MM-DD) in the desk's time zone."),
]


# Plain pydantic models, not ninja's `Schema`: its wrapper around every object took longer to
# check a year by week's thousand values than the selectors took to compute them.
class ValueOut(BaseModel):
    name: str
    title: str
    definition: str = Field(description="What the metric means, in plain words.")
    computed: str = Field(description="How it is computed from the conversations' history.")
    unit: str
    better: str = Field(description="higher, lower or neither")
    value: float | None = Field(description="null when there are no cases")
    cases: int = Field(description="How many cases the value stands on.")
    cases_are: str = Field(description="What one case is.")
    thin: bool = Field(description="A rate on fewer than 20 cases: too few to read much into.")
    details: dict[str, int]


class GroupOut(BaseModel):
    key: str = Field(description="'all', the first day of a time bucket, or the group's id")
    start: date
    end: date
    values: list[ValueOut]


class MetricsOut(BaseModel):
    start: date
    end: date
    grouping: Grouping
    team: int | None
    agent: int | None
    channel: str | None
    severity: int | None
    groups: list[GroupOut]


def _value_out(v: selectors.Value) -> dict[str, Any]:
    m = v.metric
    return {
        "name": m.name,
        "title": m.title,
        "definition": m.definition,
        "computed": m.computed,
        "unit": m.unit,
        "better": m.better.value,
        "value": v.value,
        "cases": v.cases,
        "cases_are": m.cases,
        "thin": v.thin,
        "details": v.details,
    }


@router.get("/metrics", response=responses({200: MetricsOut}, 400, 403, 422))
def metrics_get(
    request: HttpRequest,
    start: Day = None,
    end: Day = None,
    grouping: QueryEx[Grouping, P(description="How to group the values.")] = Grouping.NONE,
    team: QueryEx[int | None, P(ge=1, le=MAX_ID, description="A team's id (leads)")] = None,
    agent: QueryEx[int | None, P(ge=1, le=MAX_ID, description="An agent's id")] = None,
    channel: Channel | None = None,
    severity: Severity | None = None,
) -> Any:
    """The metrics for the days `start`..`end` (default: the last 30 days), for the desk or a
    team, agent, channel or severity, grouped by time or by one of those. An agent sees their
    own figures; leads see all."""
    today = timezone.now().astimezone(desk_zone()).date()
    end = end or today
    start = start or max(EARLIEST, end - timedelta(days=DEFAULT_DAYS - 1))
    asked = Scope(
        team=team,
        agent=agent,
        channel=channel.value if channel else None,
        severity=int(severity) if severity is not None else None,
    )
    scope = selectors.scope_for(user_of(request), asked)
    groups = selectors.metrics_for(start=start, end=end, scope=scope, grouping=grouping)
    return {
        "start": start,
        "end": end,
        "grouping": grouping,
        "team": scope.team,
        "agent": scope.agent,
        "channel": scope.channel,
        "severity": scope.severity,
        "groups": [
            {
                "key": g.key,
                "start": g.start,
                "end": g.end,
                "values": [_value_out(v) for v in g.values],
            }
            for g in groups
        ],
    }
