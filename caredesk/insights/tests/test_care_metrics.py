"""What the care work adds to the metrics: at-risk customers reached, self-service that held,
and durations counted in a team's business hours; each computed by hand."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from caredesk.care.outreach_services import outreach_close
from caredesk.care.tests.factories import OutreachTaskFactory, make_sla
from caredesk.conftest import login
from caredesk.conversations import services
from caredesk.conversations.models import Conversation
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.insights import review, rollup
from caredesk.insights.facts import contribution_totals
from caredesk.insights.metrics import bucket_bounds, duration_bucket
from caredesk.insights.models import ConversationFact, DailyRollup, TeamRollup
from caredesk.insights.selectors import Grouping, Scope, metrics_for, metrics_trend
from caredesk.knowledge.tests.factories import SelfServiceResolutionFactory, make_article
from caredesk.people.models import Agent, Role
from caredesk.people.tests.factories import AgentFactory, TeamFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
MARCH = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}


def _at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def berlin(settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Berlin"


def _values(**scope: Any) -> dict[str, Any]:
    (group,) = metrics_for(**MARCH, scope=Scope(**scope))
    return {v.metric.name: v for v in group.values}


def _outreach(lead: Agent) -> Any:
    """Four at-risk customers in March (reached, recovered, lost, still open), one in April."""
    team = TeamFactory(name="Retention")
    tasks = []
    for day in (3, 4, 5, 6):
        conversation = make_conversation(team=team, at=_at(3, day, 9))
        tasks.append(OutreachTaskFactory(conversation=conversation, created_at=_at(3, day, 10)))
    OutreachTaskFactory(conversation=make_conversation(team=team), created_at=_at(4, 2, 10))
    for task, outcome in zip(tasks, ("reached", "recovered", "lost"), strict=False):
        outreach_close(task=task, actor=lead, outcome=outcome, at=_at(3, 20, 12))
    return team


def _self_service() -> None:
    """Three "This solved it" answers: one held, one whose customer wrote within the week,
    one too young to tell when the metric is read (2 April)."""
    article = make_article()
    held, returned, young = CustomerFactory(), CustomerFactory(), CustomerFactory()
    with time_machine.travel(_at(3, 5, 12), tick=False):
        SelfServiceResolutionFactory(customer=held, article=article)
        SelfServiceResolutionFactory(customer=returned, article=article)
    make_conversation(customer=returned, at=_at(3, 8, 9))
    with time_machine.travel(_at(3, 30, 12), tick=False):
        SelfServiceResolutionFactory(customer=young, article=article)


@time_machine.travel(datetime(2026, 4, 2, 12, tzinfo=BERLIN), tick=False)
def test_at_risk_reached_and_self_service_held_are_counted_by_hand() -> None:
    lead = AgentFactory(role=Role.LEAD)
    team = _outreach(lead)
    _self_service()
    values = _values()
    reached, held = values["at_risk_reached"], values["self_service_rate"]
    # Customers 4, reached 2 (a recovered one was reached too): 50%, on 4 cases, too few.
    assert (reached.value, reached.cases, reached.thin) == (0.5, 4, True)
    assert reached.details == {"reached": 2, "recovered": 1, "lost": 1, "open": 1}
    # Decided 2 (one held, one came back), one pending: 50% on 2 cases.
    assert (held.value, held.cases, held.thin) == (0.5, 2, True)
    assert held.details == {"resolutions": 3, "held": 1, "returned": 1, "pending": 1}
    # The team's own figures: its outreach; the articles belong to no team.
    own = _values(team=team.pk)
    assert own["at_risk_reached"].cases == 4 and own["self_service_rate"].cases == 0
    weeks = metrics_for(**MARCH, scope=Scope(), grouping=Grouping.WEEK)
    per_week = {g.key: {v.metric.name: v.cases for v in g.values} for g in weeks}
    assert per_week["2026-03-02"]["at_risk_reached"] == 4  # opened 3-6 March, that week
    assert per_week["2026-03-02"]["self_service_rate"] == 2
    assert sum(w["at_risk_reached"] for w in per_week.values()) == 4
    # By day over a long period (the database turns moments into days rather than a CASE):
    days = metrics_for(
        start=date(2025, 9, 1), end=date(2026, 3, 31), scope=Scope(), grouping=Grouping.DAY
    )
    per_day = {g.key: {v.metric.name: v.cases for v in g.values} for g in days}
    assert [per_day[f"2026-03-0{d}"]["at_risk_reached"] for d in range(2, 8)] == [0, 1, 1, 1, 1, 0]
    assert per_day["2026-03-05"]["self_service_rate"] == 2


@time_machine.travel(datetime(2026, 4, 2, 12, tzinfo=BERLIN), tick=False)
def test_the_api_the_csv_and_the_review_show_them_with_their_definitions() -> None:
    lead = AgentFactory(role=Role.LEAD)
    _outreach(lead)
    _self_service()
    client = login(Client(), lead.user.email)
    found = client.get("/api/metrics", {"start": "2026-03-01", "end": "2026-03-31"}).json()
    values = {v["name"]: v for v in found["groups"][0]["values"]}
    assert values["at_risk_reached"]["value"] == 0.5 and values["at_risk_reached"]["cases"] == 4
    assert values["at_risk_reached"]["thin"] and "outreach" in values["at_risk_reached"]["computed"]
    assert values["self_service_rate"]["details"]["pending"] == 1
    assert "7 days" in values["self_service_rate"]["definition"]
    page = client.get("/insights/", {"start": "2026-03-01", "end": "2026-03-31"})
    assert page.status_code == 200 and b"At-risk customers reached" in page.content
    text = review.review_csv(review.review_for(**MARCH, today=date(2026, 4, 2)))
    rows = {row[1]: row for row in csv.reader(io.StringIO(text))}
    assert rows["At-risk customers reached"][:5] == [
        "Customers retained",
        "At-risk customers reached",
        "50%",
        "4",
        "True",
    ]
    assert rows["Self-service resolution rate"][0] == "Problems resolved"


@time_machine.travel(datetime(2026, 4, 2, 12, tzinfo=BERLIN), tick=False)
def test_the_trends_period_counts_a_customer_at_risk_in_two_weeks_once() -> None:
    """The dashboard reads the weeks and the period in one statement; distinct customers do
    not add up over the weeks, the self-service counts do."""
    lead = AgentFactory(role=Role.LEAD)
    customer = CustomerFactory()
    for day, outcome in ((3, "reached"), (17, "lost")):
        conversation = make_conversation(customer=customer, at=_at(3, day, 9))
        task = OutreachTaskFactory(conversation=conversation, created_at=_at(3, day, 10))
        outreach_close(task=task, actor=lead, outcome=outcome, at=_at(3, day + 1, 12))
    _self_service()
    weeks, total = metrics_trend(**MARCH, scope=Scope(), grouping=Grouping.WEEK)
    per_week = {g.key: {v.metric.name: v for v in g.values} for g in weeks}
    assert per_week["2026-03-02"]["at_risk_reached"].details["reached"] == 1
    assert per_week["2026-03-16"]["at_risk_reached"].details["lost"] == 1
    whole = {v.metric.name: v for v in total.values}
    # One customer, reached in one week and lost in another: one case, not two.
    assert whole["at_risk_reached"].cases == 1
    assert whole["at_risk_reached"].details == {"reached": 1, "recovered": 0, "lost": 1, "open": 0}
    assert whole["self_service_rate"].details == {
        "resolutions": 3,
        "held": 1,
        "returned": 1,
        "pending": 1,
    }
    (alone,) = metrics_for(**MARCH, scope=Scope())
    assert [(v.value, v.cases, v.details) for v in total.values] == [
        (v.value, v.cases, v.details) for v in alone.values
    ]


def _weekend_conversation(team: Any, agent: Agent) -> Conversation:
    """Opened Friday 13 March 16:00, first answered Monday 10:00, resolved Tuesday 09:30."""
    conversation = make_conversation(team=team, at=_at(3, 13, 16))
    services.reply_send(
        conversation=Conversation.objects.get(pk=conversation.pk),
        agent=agent,
        text="Looking into it.",
        at=_at(3, 16, 10),
    )
    services.reply_send(
        conversation=Conversation.objects.get(pk=conversation.pk),
        agent=agent,
        text="Fixed it.",
        resolve=True,
        at=_at(3, 17, 9, 30),
    )
    return conversation


def _rows() -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for model in (DailyRollup, TeamRollup):
        fields = [f.name for f in model._meta.fields if f.name != "id"]
        out += [(model.__name__, *row) for row in model.objects.values_list(*fields)]
    return sorted(out)


def test_durations_count_a_teams_business_hours_across_a_weekend(
    django_capture_on_commit_callbacks: Any,
) -> None:
    lead = AgentFactory(role=Role.LEAD)
    office, always = TeamFactory(name="Office"), TeamFactory(name="Always")
    make_sla(team=office, lead=lead)  # Berlin, Monday to Friday 09:00-17:00
    agent = AgentFactory(teams=[office, always])
    with django_capture_on_commit_callbacks(execute=True):
        kept = _weekend_conversation(office, agent)
        wall = _weekend_conversation(always, agent)
    fact = ConversationFact.objects.get(conversation_id=kept.pk)
    totals = contribution_totals(fact.contribution)
    # First response: Friday 16:00-17:00, Monday 09:00-10:00: two hours. Resolution: one hour
    # on Friday, eight on Monday, half an hour on Tuesday: 9.5 hours.
    assert (totals["frt"], totals["ttr"]) == ([2 * 3600], [int(9.5 * 3600)])
    assert fact.first_response == 2 * 3600
    # A team without business hours: around the clock, 66 hours and 89.5 hours.
    other = ConversationFact.objects.get(conversation_id=wall.pk)
    assert other.first_response == 66 * 3600
    assert contribution_totals(other.contribution)["ttr"] == [int(89.5 * 3600)]
    median = _values(team=office.pk)["first_response_median"]
    low, high = bucket_bounds(duration_bucket(2 * 3600))
    assert median.cases == 1 and median.value is not None and low <= median.value <= high
    assert "business hours" in median.metric.computed
    counted = _rows()
    rollup.rollups_rebuild()
    assert _rows() == counted
