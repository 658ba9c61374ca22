"""Exporting an inbox view to CSV."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse

from caredesk.conversations.services import conversation_assign
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team

if TYPE_CHECKING:
    # The stubs' name for what the test client returns: an HttpResponse with .json(), .context.
    from django.test.client import _MonkeyPatchedWSGIResponse

pytestmark = pytest.mark.django_db


def rows(response: _MonkeyPatchedWSGIResponse) -> list[dict[str, str]]:
    body = response.content.decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_an_agent_exports_what_their_inbox_shows(
    agent: Agent, agent_client: Client, team: Team, other_team: Team
) -> None:
    mine = make_conversation(team=team, subject='=HYPERLINK("http://evil")')
    conversation_assign(conversation=mine, agent=agent, actor=agent.user)
    make_conversation(team=team, subject="In the queue")
    make_conversation(team=other_team, subject="Not my team")

    response = agent_client.get(reverse("csv:export", args=["mine"]))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    [row] = rows(response)
    assert row["id"] == str(mine.pk) and row["owner"] == agent.name
    assert row["subject"].startswith("'=")  # never a formula in a spreadsheet
    assert row["customer_email"] == mine.customer.email

    queue = {r["subject"] for r in rows(agent_client.get(reverse("csv:export", args=["queue"])))}
    assert queue == {"In the queue"}


def test_an_unknown_view_is_404(agent_client: Client) -> None:
    assert agent_client.get(reverse("csv:export", args=["everything"])).status_code == 404
