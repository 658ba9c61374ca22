"""Coaching over time: what became of each coach finding on a sent reply (accepted or ignored),
recorded through the real reply box and reply form, and read back per agent and week."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from caredesk.conftest import login
from caredesk.conversations.services import reply_send
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Role, Team
from caredesk.people.tests.factories import AgentFactory
from caredesk.replies.models import CoachOutcome
from caredesk.replies.selectors import coaching_over_time
from caredesk.replies.services import coach_outcomes_record, shown_rules

pytestmark = pytest.mark.django_db

UPSET = "This is the third time I write. Nobody answers and I am really angry about it."


def _shown(page: str) -> str:
    found = re.search(r'name="coach_shown" id="coach-shown" value="([^"]*)"', page)
    assert found, "the reply box carries the rules the coach showed"
    return found.group(1)


def _outcomes(agent: Agent) -> set[tuple[str, bool]]:
    return set(CoachOutcome.objects.filter(author=agent.user).values_list("category", "accepted"))


def test_a_rewrite_applied_in_the_box_is_recorded_as_accepted(
    agent_client: Client, team: Team, agent: Agent
) -> None:
    c = make_conversation(team=team, text=UPSET)
    draft = "That's not my job. I'll pass this to billing and they'll email you by Friday."
    box = agent_client.post(f"/replies/coach/{c.pk}/", {"text": draft}).content.decode()
    shown = _shown(box)
    assert "indifference." in shown
    index = re.findall(r'data-category="([a-z_]+)"', box).index("indifference")
    applied = agent_client.post(
        f"/replies/coach/{c.pk}/apply/",
        {"text": draft, "finding": index, "rewrite": 0, "coach_shown": shown},
    ).content.decode()
    text = re.search(r"<textarea[^>]*>(.*?)</textarea>", applied, re.S)
    assert text and "not my job" not in text.group(1)
    assert set(_shown(applied).split()) >= set(shown.split())  # nothing shown is forgotten
    sent = agent_client.post(
        reverse("desk:reply", args=[c.pk]),
        {"text": text.group(1).replace("&#x27;", "'"), "coach_shown": _shown(applied)},
    )
    assert sent.status_code == 302
    message = c.messages.filter(direction="outbound").get()
    still = {f["category"] for f in message.findings}
    assert "indifference" not in still
    assert ("indifference", True) in _outcomes(agent)
    assert {cat for cat, accepted in _outcomes(agent) if not accepted} == still


def test_a_finding_sent_as_it_was_is_ignored_and_unknown_ids_are_dropped(
    team: Team, agent: Agent
) -> None:
    c = make_conversation(team=team, text=UPSET)
    message = reply_send(
        conversation=c,
        agent=agent,
        text="Calm down. I'll look at it and email you by 5pm.",
        coach_shown=["no.such_rule", "<script>", "sarcasm.oh_great" * 20],
    )
    assert "indifference" in {f["category"] for f in message.findings}
    rows = CoachOutcome.objects.filter(author=agent.user)
    assert rows.count() == len({f["rule"] for f in message.findings})
    assert not rows.filter(accepted=True).exists()
    assert shown_rules("a.b  <x> c_d.e a.b") == ["a.b", "c_d.e"]


def _record(agent: Agent, day: date, rule: str, category: str, *, accepted: bool) -> None:
    at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    findings = [] if accepted else [{"rule": rule, "category": category}]
    shown = [rule] if accepted else []
    coach_outcomes_record(author=agent.user, at=at, findings=findings, shown=shown)


RULE = "indifference.not_my_job"


def _history(agent: Agent, today: date) -> None:
    """Four weeks ago three ignored, this week two accepted and none ignored."""
    for _ in range(3):
        _record(agent, today - timedelta(weeks=4), RULE, "indifference", accepted=False)
    for _ in range(2):
        _record(agent, today, RULE, "indifference", accepted=True)


def test_per_agent_by_week_recurring_and_trend(team: Team, agent: Agent) -> None:
    assert CoachOutcome._meta.get_field("category")  # the table exists
    today = timezone.localdate()
    _history(agent, today)
    _record(agent, today - timedelta(weeks=12), RULE, "indifference", accepted=False)  # too old
    report = coaching_over_time(viewer=agent, today=today)
    assert len(report.weeks) == 8 and report.weeks[-1] == today - timedelta(days=today.weekday())
    (mine,) = report.agents
    (trend,) = mine.findings
    assert (trend.category, trend.met, trend.accepted, trend.ignored) == ("indifference", 5, 2, 3)
    assert trend.recurs and trend.trend == "ignored less often"
    assert [(w.accepted, w.ignored) for w in trend.weeks][-5::4] == [(0, 3), (2, 0)]


def test_an_agent_sees_their_own_a_lead_everyone_or_one_team(
    team: Team, other_team: Team, agent: Agent, lead: Agent
) -> None:
    today = timezone.localdate()
    colleague = AgentFactory(teams=[other_team])
    _history(agent, today)
    _history(colleague, today)
    assert [a.agent for a in coaching_over_time(viewer=agent, today=today).agents] == [agent.name]
    everyone = {a.agent for a in coaching_over_time(viewer=lead, today=today).agents}
    assert everyone == {agent.name, colleague.name}
    billing = coaching_over_time(viewer=lead, today=today, team=team)
    assert [a.agent for a in billing.agents] == [agent.name]


def test_people_are_listed_by_name_never_by_how_they_did(team: Team, lead: Agent) -> None:
    today = timezone.localdate()
    names = ["Zoe Ward", "Adam Bell", "Mia Cole"]
    for n, name in enumerate(names):
        first, last = name.split()
        person = AgentFactory(teams=[team], user__first_name=first, user__last_name=last)
        for _ in range(n * 3):  # Mia ignores more than Adam: the order does not change
            _record(person, today, RULE, "indifference", accepted=False)
        _record(person, today, RULE, "indifference", accepted=True)
    order = [a.agent for a in coaching_over_time(viewer=lead, today=today).agents]
    assert order == sorted(order, key=str.casefold)


def _page_queries(client: Client, django_assert_num_queries: Any) -> str:
    # session, user, agent, the teams to choose from, the counts, the agents' names
    with django_assert_num_queries(6):
        response = client.get("/replies/coaching/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_pins_its_queries_and_shows_no_score(
    team: Team, agent: Agent, lead: Agent, django_assert_num_queries: Any
) -> None:
    today = timezone.localdate()
    _history(agent, today)
    client = login(Client(), lead.user.email)
    page = _page_queries(client, django_assert_num_queries)
    assert agent.name in page and "recurs" in page and 'href="/replies/coaching/"' in page
    for _ in range(4):  # more agents: the same queries
        _history(AgentFactory(teams=[team], role=Role.AGENT), today)
    page = _page_queries(client, django_assert_num_queries)
    assert page.count('class="card coaching-agent"') == 5
    assert "score" not in page.lower().replace("never a score", "")
    assert "handle time" not in page.lower()
