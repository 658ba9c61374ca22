"""The outreach pages: leads see every customer at risk and who reaches out, agents their own
tasks; recording an outcome through the page; the list's queries pinned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from caredesk.care.models import OutreachOutcome, OutreachTask
from caredesk.care.outreach_services import outreach_sweep
from caredesk.conftest import login
from caredesk.conversations.models import EventKind
from caredesk.conversations.services import conversation_assign
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def waiting_customers(team: Team, agent: Agent, count: int) -> list[OutreachTask]:
    """`count` customers who waited two days on conversations the agent owns."""
    with time_machine.travel(T0, tick=False):
        for _ in range(count):
            conversation = make_conversation(team=team)
            conversation_assign(conversation=conversation, agent=agent, actor=agent.user)
    outreach_sweep(at=T0 + timedelta(hours=48))
    return list(OutreachTask.objects.order_by("pk"))


def test_leads_see_who_is_reaching_out_in_bounded_queries(
    team: Team, agent: Agent, lead: Agent, django_assert_num_queries: object
) -> None:
    tasks = waiting_customers(team, agent, 3)
    client = login(Client(), lead.user.email)
    url = reverse("care_outreach:list")
    assert url == "/care/at-risk/"
    with django_assert_num_queries(7):  # type: ignore[operator]
        response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    for task in tasks:
        assert f'data-task="{task.pk}"' in page
        assert reverse("desk:customer", args=[task.customer_id]) in page
    assert page.count(agent.name) >= 3 and "Long wait" in page
    waiting_customers(team, agent, 5)  # more rows, no more queries
    with django_assert_num_queries(7):  # type: ignore[operator]
        assert client.get(url).status_code == 200


def test_an_agent_sees_only_their_own_and_records_the_outcome(team: Team, agent: Agent) -> None:
    other = AgentFactory(teams=[team])
    (task,) = waiting_customers(team, agent, 1)
    mine = login(Client(), agent.user.email)
    page = mine.get(reverse("care_outreach:mine")).content.decode()
    assert f'data-task="{task.pk}"' in page and "Has waited 48 hours" in page
    theirs = login(Client(), other.user.email)
    assert (
        f'data-task="{task.pk}"' not in theirs.get(reverse("care_outreach:mine")).content.decode()
    )
    url = reverse("care_outreach:outcome", args=[task.pk])
    assert theirs.post(url, {"outcome": "lost"}).status_code == 404
    assert mine.post(url, {"outcome": "perhaps"}).status_code == 400
    response = mine.post(url, {"outcome": "reached", "note": "Left a voicemail."})
    assert response.status_code == 302 and response["Location"] == reverse("care_outreach:mine")
    task.refresh_from_db()
    assert (task.outcome, task.note) == (OutreachOutcome.REACHED, "Left a voicemail.")
    assert task.conversation.events.filter(kind=EventKind.OUTREACH_DONE).count() == 1
    again = mine.post(url, {"outcome": "lost"})
    assert again.status_code == 400 and "already recorded as Reached" in again.content.decode()
