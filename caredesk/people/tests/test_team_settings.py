"""Agents set their presence; leads switch on automatic assignment and edit the risk policy."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from caredesk.conftest import login
from caredesk.people.models import Agent, Presence, Team
from caredesk.people.tests.factories import AgentFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_agent_sets_presence(agent_client: Client, agent: Agent) -> None:
    r = agent_client.post("/people/presence/", {"presence": Presence.AWAY, "next": "/desk/mine/"})
    assert r["Location"] == "/desk/mine/"
    agent.refresh_from_db()
    assert agent.presence == Presence.AWAY
    agent_client.post("/people/presence/", {"presence": "on-the-moon"})
    agent.refresh_from_db()
    assert agent.presence == Presence.AWAY


def test_lead_edits_team_and_the_risk_policy_form_shows_it(lead: Agent, team: Team) -> None:
    client = login(Client(), lead.user.email)
    r = client.post(
        f"/people/teams/{team.pk}/",
        {"auto_assign": "on", "update_interval_hours": 24, "risk_churn_intent": "4"},
    )
    assert r.status_code == 302
    team.refresh_from_db()
    assert team.auto_assign and team.signal_policy == {"churn_intent": 4}
    assert "churn intent → urgent" in client.get("/people/teams/").content.decode()
    page = client.get(f"/people/teams/{team.pk}/").content.decode()
    assert '<option value="4" selected>Urgent</option>' in page


def test_the_team_list_runs_a_fixed_number_of_queries(
    lead: Agent, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = login(Client(), lead.user.email)
    for n in range(3):
        AgentFactory.create(teams=[TeamFactory(name=f"Team {n}", signal_policy={"safety": 3})])
    client.get("/people/teams/")  # warm the session and the agent
    with django_assert_num_queries(6) as few:
        client.get("/people/teams/")
    for n in range(3, 10):
        AgentFactory.create(teams=[TeamFactory(name=f"Team {n}")])
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get("/people/teams/").content.decode().count("Edit</a>") == 10


def test_agents_cannot_edit_teams(agent_client: Client, team: Team) -> None:
    assert (
        agent_client.post(f"/people/teams/{team.pk}/", {"update_interval_hours": 1}).status_code
        == 403
    )
