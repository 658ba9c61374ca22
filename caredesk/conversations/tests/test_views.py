"""The desk's pages: inboxes, the conversation page, actions, and bounded query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from caredesk.conversations.models import Conversation, Severity
from caredesk.conversations.services import conversation_transfer, reply_send
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def test_inbox_query_count_does_not_grow_with_rows(agent_client: Client, team: Team) -> None:
    make_conversation(team=team)
    with CaptureQueriesContext(connection) as few:
        assert agent_client.get("/desk/").status_code == 200
    for _ in range(15):
        make_conversation(team=team)
    with CaptureQueriesContext(connection) as many:
        page = agent_client.get("/desk/")
    assert len(many) == len(few), [q["sql"] for q in many]
    assert page.content.count(b"band;") >= 16


def test_conversation_page_shows_handoff_first_history_and_people_count(
    agent_client: Client, agent: Agent, team: Team
) -> None:
    customer = CustomerFactory()
    old = make_conversation(
        customer=customer,
        subject="Last month's outage",
        team=team,
        text="My internet was down for two days in October.",
    )
    c = make_conversation(customer=customer, subject="Speed is slow", team=team)
    other = AgentFactory(teams=[team])
    reply_send(conversation=c, agent=other, text="Checking the line now.")
    conversation_transfer(
        conversation=c,
        actor=other.user,
        to_agent=agent,
        note="Line test shows packet loss; needs an engineer visit.",
    )
    page = agent_client.get(f"/desk/c/{c.pk}/").content.decode()
    assert page.index('id="handoff"') < page.index("<h1>")
    assert "needs an engineer visit" in page
    assert "My internet was down for two days" in page  # the earlier conversation
    assert f"/desk/c/{old.pk}/" in page
    assert 'id="ppp"' in page and ">2</dd>" in page


def test_actions_change_state_and_show_errors(
    agent_client: Client, agent: Agent, team: Team
) -> None:
    c = make_conversation(team=team)
    r = agent_client.post(f"/desk/c/{c.pk}/severity/", {"severity": Severity.URGENT})
    assert r.status_code == 302
    r = agent_client.post(f"/desk/c/{c.pk}/severity/", {"severity": 99})
    assert r.status_code == 400
    r = agent_client.post(f"/desk/c/{c.pk}/transfer/", {"to_team": team.pk, "note": "   "})
    assert r.status_code == 400 and b"handoff note" in r.content
    r = agent_client.post(f"/desk/c/{c.pk}/reply/", {"text": "I'm on it and will write by 4pm."})
    assert r.status_code == 302
    r = agent_client.post(f"/desk/c/{c.pk}/resolve/")
    c.refresh_from_db()
    assert c.severity == Severity.URGENT and c.resolved_at is not None and c.owner == agent


def test_merge_from_the_desk(agent_client: Client, team: Team) -> None:
    customer = CustomerFactory()
    a = make_conversation(customer=customer, team=team)
    b = make_conversation(customer=customer, team=team, subject="Same problem")
    r = agent_client.post(f"/desk/c/{b.pk}/merge/", {"target": a.pk})
    assert r.status_code == 302 and r["Location"] == f"/desk/c/{a.pk}/"
    assert Conversation.objects.get(pk=b.pk).merged_into_id == a.pk


def test_take_next_button(agent_client: Client, team: Team) -> None:
    c = make_conversation(team=team)
    r = agent_client.post("/desk/take-next/")
    assert r["Location"] == f"/desk/c/{c.pk}/"
    r = agent_client.post("/desk/take-next/", follow=True)
    assert b"queue is empty" in r.content
