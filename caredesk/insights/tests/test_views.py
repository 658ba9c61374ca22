"""The insights pages over HTTP: who sees what, filters, CSV, goals set by a lead, the review."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from caredesk.conftest import login
from caredesk.insights import goals
from caredesk.insights.models import Goal, ReviewSchedule
from caredesk.insights.tests.desk import fcr_day, rollup_row
from caredesk.people.models import Agent, Team

pytestmark = pytest.mark.django_db

START, END = date(2026, 3, 2), date(2026, 3, 29)
PERIOD = {"start": "2026-03-02", "end": "2026-03-29", "grouping": "week"}


def _chart_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html)
    assert found is not None
    return json.loads(found.group(1))


def test_the_lead_sees_weekly_trends_with_definitions_tables_and_charts(lead: Agent) -> None:
    fcr_day(date(2026, 3, 3), resolved=20, fcr=10)
    fcr_day(date(2026, 3, 24), resolved=30, fcr=24)
    response = login(Client(), lead.user.email).get(reverse("insights:dashboard"), PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    data = _chart_data(html)
    fcr = data["first_contact_resolution"]
    assert fcr["x"] == ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23"]
    assert fcr["y"] == [50.0, None, None, 80.0] and fcr["unit"] == "%"
    assert fcr["cases"] == [20, 0, 0, 30]
    assert "resolved after exactly one agent reply and not reopened within 7 days" in html
    assert "on 50 conversations first resolved" in html  # volume beside the rate
    assert html.count('class="table-view"') == len(data)
    assert "/static/insights/vendor/plotly.min.js" in html
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy


def test_plotly_is_served_from_the_installed_package(client: Client) -> None:
    found = finders.find("insights/vendor/plotly.min.js")
    assert isinstance(found, str) and found.endswith("package_data/plotly.min.js")
    response = client.get("/static/insights/vendor/plotly.min.js")
    assert response.status_code == 200
    assert b"plotly.js v" in b"".join(response.streaming_content)[:200]  # type: ignore[attr-defined]


def test_an_agent_sees_only_their_own_figures(agent: Agent, other_team: Team) -> None:
    rollup_row(date(2026, 3, 3), agent=agent.pk, team=other_team.pk, opened=3)
    rollup_row(date(2026, 3, 3), agent=agent.pk + 1000, team=other_team.pk, opened=5)
    client = login(Client(), agent.user.email)
    # A team asked for is no filter of theirs: it is ignored, and their own figures shown.
    response = client.get(reverse("insights:dashboard"), {**PERIOD, "team": other_team.pk})
    assert response.status_code == 200
    assert sum(_chart_data(response.content.decode())["opened"]["y"]) == 3
    assert 'name="team"' not in response.content.decode()
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("insights:csv"), {**PERIOD, "metric": "opened"}).content.decode()
            )
        )
    )
    assert rows[0][:5] == ["period_start", "period_end", "metric", "title", "value"]
    assert [r[4] for r in rows[1:]] == ["3", "0", "0", "0"]


def test_the_csv_refuses_an_unknown_metric_and_bad_dates(lead: Agent) -> None:
    client = login(Client(), lead.user.email)
    assert (
        client.get(reverse("insights:csv"), {**PERIOD, "metric": "handle_time"}).status_code == 400
    )
    bad = client.get(reverse("insights:dashboard"), {"start": "2026-03-10", "end": "2026-03-01"})
    assert bad.status_code == 400 and "ends before it starts" in bad.content.decode()


def test_reports_is_the_dashboard(lead: Agent) -> None:
    response = login(Client(), lead.user.email).get("/reports/")
    assert response.status_code == 302 and response["Location"] == reverse("insights:dashboard")


def test_a_lead_sets_a_goal_and_an_agent_may_not(lead: Agent, agent: Agent, team: Team) -> None:
    url = reverse("insights:goals")
    form = {
        "metric": "first_contact_resolution",
        "team": team.pk,
        "target": "0.8",
        "start": "2026-01-01",
        "end": "2026-03-31",
        "cadence": "month",
    }
    assert login(Client(), agent.user.email).post(url, form).status_code == 403
    client = login(Client(), lead.user.email)
    refused = client.post(url, {**form, "end": "2025-12-01"})
    assert refused.status_code == 400 and not Goal.objects.exists()
    response = client.post(url, form)
    goal = Goal.objects.get()
    assert response["Location"] == reverse("insights:goal", args=[goal.pk])
    assert (goal.team, goal.target, goal.checkpoints.count()) == (team, 0.8, 3)
    page = login(Client(), agent.user.email).get(url)  # goals are tracked in the open
    assert page.status_code == 200 and "First-contact resolution: 80%" in page.content.decode()


def test_the_dashboard_celebrates_a_reached_checkpoint(lead: Agent) -> None:
    today = timezone.now().date()
    start = today.replace(day=1) - timedelta(days=40)
    goal = goals.goal_create(
        actor=lead,
        metric="first_contact_resolution",
        team=None,
        target=0.5,
        start=start,
        end=today + timedelta(days=60),
        cadence="month",
        at=timezone.now(),
    )
    first = goal.checkpoints.all()[0]
    fcr_day(first.start, resolved=20, fcr=15)
    goals.checkpoints_judge(at=timezone.now(), today=today)
    html = login(Client(), lead.user.email).get(reverse("insights:dashboard")).content.decode()
    assert 'class="celebrate"' in html and "The desk reached the checkpoint" in html


def test_the_review_page_csv_and_schedule(lead: Agent) -> None:
    fcr_day(date(2026, 3, 10), resolved=20, fcr=15)
    client = login(Client(), lead.user.email)
    page = client.get(reverse("insights:review"), {"start": "2026-03-01", "end": "2026-03-31"})
    html = page.content.decode()
    assert page.status_code == 200 and "The review: 1 Mar 2026 – 31 Mar 2026" in html
    assert "insights/insights.css" in html and "data-print" in html
    assert client.get(reverse("insights:review"), {"start": "2026-03-01"}).status_code == 400
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    reverse("insights:review_csv"), {"start": "2026-03-01", "end": "2026-03-31"}
                ).content.decode()
            )
        )
    )
    assert ["Problems resolved", "First-contact resolution", "75%", "20"] in [r[:4] for r in rows]
    assert client.get(reverse("insights:review"), {"preset": "quarter"}).status_code == 200
    response = client.post(
        reverse("insights:schedules"), {"cadence": "month", "to": "boss@desk.example.com"}
    )
    assert response.status_code == 302
    schedule = ReviewSchedule.objects.get()
    assert (schedule.cadence, schedule.to, schedule.active) == (
        "month",
        "boss@desk.example.com",
        True,
    )
    client.post(reverse("insights:schedule_stop", args=[schedule.pk]))
    schedule.refresh_from_db()
    assert not schedule.active


def test_correlations_say_when_the_data_is_too_thin(lead: Agent) -> None:
    response = login(Client(), lead.user.email).get(reverse("insights:correlations"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("Not enough data") == 5


def test_dashboard_query_count_does_not_grow_with_the_history(
    lead: Agent, django_assert_max_num_queries: Any
) -> None:
    for week in range(12):
        fcr_day(START + timedelta(days=7 * week), resolved=20, fcr=10)
    client = login(Client(), lead.user.email)
    client.get(reverse("insights:dashboard"), PERIOD)  # warm the session
    with django_assert_max_num_queries(20):
        assert client.get(reverse("insights:dashboard"), PERIOD).status_code == 200
