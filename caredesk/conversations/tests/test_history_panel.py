"""The conversation page's side panel: the customer's earlier conversations, each with only its
latest message, read in one query however long their history is."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from caredesk.conversations.models import Conversation
from caredesk.conversations.services import customer_message_add, note_add, reply_send
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.models import Agent, Team

pytestmark = pytest.mark.django_db


def _earlier(customer: Customer, team: Team, agent: Agent, n: int) -> list[Conversation]:
    made = []
    for i in range(n):
        c = make_conversation(
            customer=customer, team=team, subject=f"Problem {i}", text=f"FIRST{i}"
        )
        customer_message_add(conversation=c, text=f"MIDDLE{i}", author=customer.user)
        reply_send(conversation=c, agent=agent, text=f"LATEST{i} we fixed it.", resolve=False)
        note_add(conversation=c, agent=agent, text=f"NOTE{i} internal only.")
        made.append(c)
    return made


def test_each_earlier_conversation_shows_only_its_latest_message(
    agent_client: Client, agent: Agent, team: Team
) -> None:
    customer = CustomerFactory()
    (earlier,) = _earlier(customer, team, agent, 1)
    current = make_conversation(customer=customer, team=team, subject="Today")
    page = agent_client.get(current.get_absolute_url()).content.decode()
    history = page[page.index('id="history"') :]
    assert f"/desk/c/{earlier.pk}/" in history
    assert "LATEST0 we fixed it." in history
    assert f"{agent.user}:</b>" in history  # who wrote it
    assert "FIRST0" not in history and "MIDDLE0" not in history
    assert "NOTE0" not in history  # a note is never the latest "message"


def test_the_panel_reads_in_the_same_number_of_queries_however_long_the_history(
    agent_client: Client, agent: Agent, team: Team
) -> None:
    customer = CustomerFactory()
    _earlier(customer, team, agent, 1)
    current = make_conversation(customer=customer, team=team, subject="Today")
    with CaptureQueriesContext(connection) as few:
        assert agent_client.get(current.get_absolute_url()).status_code == 200
    _earlier(customer, team, agent, 6)
    with CaptureQueriesContext(connection) as many:
        page = agent_client.get(current.get_absolute_url()).content.decode()
    assert len(many) == len(few), [q["sql"] for q in many]
    assert all(f"LATEST{i} we fixed it." in page for i in range(6))
    # No query loads the messages of the earlier conversations (a prefetch of every message).
    prefetch = '"conversations_message"."conversation_id" IN ('
    assert not [q["sql"] for q in many if prefetch in q["sql"]]
