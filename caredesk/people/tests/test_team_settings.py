"""Agents set their presence; leads switch on automatic assignment and edit the risk policy."""

from __future__ import annotations

import pytest
from django.test import Client

from caredesk.conftest import login
from caredesk.people.models import Presence

pytestmark = pytest.mark.django_db


def test_agent_sets_presence(agent_client: Client, agent) -> None:
    r = agent_client.post("/people/presence/", {"presence": Presence.AWAY, "next": "/desk/mine/"})
    assert r["Location"] == "/desk/mine/"
    agent.refresh_from_db()
    assert agent.presence == Presence.AWAY
    agent_client.post("/people/presence/", {"presence": "on-the-moon"})
    agent.refresh_from_db()
    assert agent.presence == Presence.AWAY


def test_lead_edits_team_and_bad_policy_is_explained(lead, team) -> None:
    client = login(Client(), lead.user.email)
    r = client.post(
        f"/people/teams/{team.pk}/",
        {"auto_assign": "on", "update_interval_hours": 24, "signal_policy": '{"churn": 4}'},
    )
    assert r.status_code == 400 and b"Unknown signal" in r.content
    r = client.post(
        f"/people/teams/{team.pk}/",
        {"auto_assign": "on", "update_interval_hours": 24, "signal_policy": '{"churn_intent": 4}'},
    )
    assert r.status_code == 302
    team.refresh_from_db()
    assert team.auto_assign and team.signal_policy == {"churn_intent": 4}
    assert b"churn_intent" in client.get("/people/teams/").content


def test_agents_cannot_edit_teams(agent_client: Client, team) -> None:
    assert (
        agent_client.post(f"/people/teams/{team.pk}/", {"update_interval_hours": 1}).status_code
        == 403
    )
