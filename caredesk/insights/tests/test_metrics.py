"""Each metric against values computed by hand on the fixed history (tests/history.py)."""

from __future__ import annotations

import itertools
import math
from datetime import date
from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from caredesk.insights import rollup
from caredesk.insights.metrics import (
    DURATION_EDGES,
    METRICS,
    bucket_bounds,
    duration_bucket,
    histogram_percentile,
)
from caredesk.insights.models import DailyRollup, TeamRollup
from caredesk.insights.selectors import Grouping, Scope, metrics_for
from caredesk.insights.tests.history import History, history_build
from caredesk.people.models import Role
from caredesk.people.tests.factories import AgentFactory

START, END = date(2026, 3, 27), date(2026, 4, 2)
HOUR = 3600


@pytest.fixture
def history(settings: Any, db: None, django_capture_on_commit_callbacks: Any) -> History:
    settings.TIME_ZONE = "Europe/Berlin"
    with django_capture_on_commit_callbacks(execute=True):
        return history_build()


def _rows() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for model in (DailyRollup, TeamRollup):
        fields = [f.name for f in model._meta.fields if f.name != "id"]
        out += [{"table": model.__name__, **row} for row in model.objects.values(*fields)]
    return sorted(out, key=lambda r: repr(sorted(r.items())))


DESK = Scope()


def assert_in_bucket_of(value: float | None, exact: float) -> None:
    """A percentile read from the duration buckets lies in the bucket of the exact value."""
    low, high = bucket_bounds(duration_bucket(int(exact)))
    assert value is not None and low < value <= high, (value, exact, low, high)


def _by_name(scope: Scope = DESK, **kwargs: Any) -> dict[str, Any]:
    (group,) = metrics_for(start=START, end=END, scope=scope, **kwargs)
    return {v.metric.name: v for v in group.values}


def test_each_metric_matches_the_hand_computed_values(history: History) -> None:
    m = _by_name()
    # Opened: C1 C2 C3 C4 C5 C7; C6 merged into C1 is counted apart.
    assert (m["opened"].value, m["opened"].details) == (6, {"merged": 1})
    # First responses: C7 10 min, C5 30 min, C1 and C2 1 h; C3 and C4 never answered. The
    # median is the nearest rank (the 2nd of 4: 30 min), the 90th percentile the 4th (1 h);
    # both read from the buckets, so within the bucket of the exact value.
    assert_in_bucket_of(m["first_response_median"].value, 30 * 60)
    assert_in_bucket_of(m["first_response_p90"].value, HOUR)
    assert (m["first_response_median"].cases, m["first_response_p90"].cases) == (4, 4)
    # Resolutions: C1 1 h, C4 1 h, C5 2 h (the thank-you did not move it), C2 48 h over the DST
    # change (09:00 winter time to 10:00 summer time, not 49 h).
    assert_in_bucket_of(m["resolution_median"].value, HOUR)
    assert_in_bucket_of(m["resolution_p90"].value, 48 * HOUR)
    assert (m["resolution_median"].cases, m["resolution_p90"].cases) == (4, 4)
    # First resolved: C1 C2 C4 C5; only C1 had one reply and stayed resolved.
    assert (m["first_contact_resolution"].value, m["first_contact_resolution"].cases) == (0.25, 4)
    # Only C2 reopened (twice); C5's thank-you is not a reopen.
    assert m["reopen_rate"].value == 0.25
    assert m["reopen_rate"].details == {"reopened": 1, "reopens": 2}
    # People: C1 1, C2 1, C4 1, C5 2 (transferred from a1 to a2).
    assert m["people_per_problem"].value == 5 / 4
    assert m["people_many_share"].value == 1 / 4
    # Ratings: C1 5/1, C4 2/4 (rated without a reply); 2 of 4 resolved rated.
    assert (m["satisfaction"].value, m["effort"].value) == (3.5, 2.5)
    assert (m["rating_response_rate"].value, m["rating_response_rate"].cases) == (0.5, 4)
    # Complaints: C2 (resolved after reopens) and C3 (never answered, open).
    assert m["complaints"].value == 2
    assert m["complaints_resolved_share"].value == 0
    assert m["complaints_resolved_share"].details == {
        "resolved": 0,
        "resolved_after_reopen": 1,
        "open": 1,
    }
    # Bad experiences: C2 (complaint; its customer came back with C7), C4 (rated 2; silent).
    assert m["retention"].value == 0.5
    assert m["retention"].details == {"came_back": 1, "silent": 1}
    # Backlog at the end of 2 April (22:00 UTC): C3 open 47.5 h, C7 open 15 h.
    assert m["backlog"].value == 2
    assert m["backlog_age"].value == (47.5 + 15) / 2 * HOUR


def test_every_rate_on_few_cases_says_so(history: History) -> None:
    m = _by_name()
    assert all(m[x.name].thin for x in METRICS if x.rate)
    assert not m["opened"].thin and not m["backlog"].thin
    assert set(m) == {x.name for x in METRICS}
    assert not any("handle" in x.name for x in METRICS)


def test_days_are_the_desks_days_across_the_month_and_the_clock_change(history: History) -> None:
    days = {
        g.key: {v.metric.name: v for v in g.values}
        for g in metrics_for(start=START, end=END, scope=Scope(), grouping=Grouping.DAY)
    }
    assert len(days) == 7
    # C3 opened at 00:30 on 1 April in Berlin (still 31 March in UTC).
    assert days["2026-03-31"]["opened"].value == 0
    assert days["2026-04-01"]["opened"].value == 1
    # C2's last resolution on 30 March; its first (and the reopen rate) on 28 March.
    assert days["2026-03-28"]["reopen_rate"].value == 1
    assert_in_bucket_of(days["2026-03-30"]["resolution_p90"].value, 48 * HOUR)
    # The backlog runs on from day to day.
    assert [days[d]["backlog"].value for d in sorted(days)] == [0, 0, 0, 0, 0, 1, 2]
    weeks = metrics_for(start=START, end=END, scope=Scope(), grouping=Grouping.WEEK)
    assert [(g.key, g.start, g.end) for g in weeks] == [
        ("2026-03-23", START, date(2026, 3, 29)),
        ("2026-03-30", date(2026, 3, 30), END),
    ]
    months = metrics_for(start=START, end=END, scope=Scope(), grouping=Grouping.MONTH)
    opened = [next(v.value for v in g.values if v.metric.name == "opened") for g in months]
    assert opened == [4, 2]


@given(
    st.lists(st.integers(min_value=0, max_value=400 * 86400), min_size=1, max_size=200),
    st.sampled_from([0.5, 0.9]),
)
def test_a_percentile_read_from_the_buckets_lies_in_the_exact_values_bucket(
    values: list[int], share: float
) -> None:
    counts = [0] * len(DURATION_EDGES)
    for seconds in values:
        counts[duration_bucket(seconds)] += 1
    exact = sorted(values)[math.ceil(share * len(values)) - 1]
    assert_in_bucket_of(histogram_percentile(counts, share), exact)


def test_the_buckets_are_at_most_one_and_a_half_times_apart() -> None:
    assert DURATION_EDGES[0] == 60 and DURATION_EDGES[-1] == 365 * 86400
    assert all(1 < b / a <= 1.5 for a, b in itertools.pairwise(DURATION_EDGES))
    assert histogram_percentile([0] * len(DURATION_EDGES), 0.5) is None


def test_a_transferred_conversation_counts_for_the_team_that_has_it(history: History) -> None:
    technical = _by_name(Scope(team=history.technical.pk))
    assert technical["opened"].value == 2  # C4 and C5
    assert technical["people_per_problem"].value == 1.5
    by_team = metrics_for(start=START, end=END, scope=Scope(), grouping=Grouping.TEAM)
    assert {g.key for g in by_team} == {str(history.billing.pk), str(history.technical.pk)}
    # Read from the rows with the agent: a2 owns C4 and C5, the same two.
    by_agent = metrics_for(start=START, end=END, scope=Scope(), grouping=Grouping.AGENT)
    opened = {g.key: next(v.value for v in g.values if v.metric.name == "opened") for g in by_agent}
    assert opened[str(history.a2.pk)] == 2 and sum(v or 0 for v in opened.values()) == 6


def test_the_rebuild_gives_the_rows_kept_up_to_date(history: History) -> None:
    kept = _rows()
    assert kept
    assert rollup.rollups_rebuild() == 7
    assert _rows() == kept


def test_the_api_serves_each_metric_with_its_definition_and_cases(
    history: History, client: Client
) -> None:
    lead = AgentFactory(role=Role.LEAD)
    client.force_login(lead.user)
    answer = client.get("/api/metrics", {"start": START, "end": END})
    assert answer.status_code == 200
    (group,) = answer.json()["groups"]
    fcr = next(v for v in group["values"] if v["name"] == "first_contact_resolution")
    assert (fcr["value"], fcr["cases"], fcr["thin"]) == (0.25, 4, True)
    assert "one agent reply" in fcr["definition"]


def test_an_agent_sees_their_own_figures_only(history: History, client: Client) -> None:
    client.force_login(history.a2.user)
    mine = client.get("/api/metrics", {"start": START, "end": END}).json()
    assert mine["agent"] == history.a2.pk
    opened = next(v for v in mine["groups"][0]["values"] if v["name"] == "opened")
    assert opened["value"] == 2  # C4 and C5, which a2 owns
    by_agent = client.get("/api/metrics", {"start": START, "end": END, "grouping": "agent"})
    assert [g["key"] for g in by_agent.json()["groups"]] == [str(history.a2.pk)]
    other = client.get("/api/metrics", {"agent": history.a1.pk})
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "forbidden"
    assert client.get("/api/metrics", {"start": END, "end": START}).status_code == 400
