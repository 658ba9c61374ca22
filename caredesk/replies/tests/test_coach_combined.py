"""Issue 15 at the desk: the reply box offers one combined rewrite, and notes get a gentle word."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from caredesk.conversations.models import Direction
from caredesk.conversations.services import conversation_transfer
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def test_combined_rewrite_replaces_the_draft_with_one_reply(
    agent_client: Client, team: Team, agent: Agent
) -> None:
    c = make_conversation(team=team, text="My app keeps crashing when I pay. Please help.")
    other = AgentFactory(teams=[team])
    conversation_transfer(conversation=c, actor=other.user, to_agent=agent, note="Refund.")
    draft = "That's not my job. Calm down. Your refund went out today."
    page = agent_client.post(f"/replies/coach/{c.pk}/", {"text": draft}).content.decode()
    assert "Use combined rewrite" in page
    r = agent_client.post(
        f"/replies/coach/{c.pk}/apply/",
        {"text": draft, "finding": 0, "rewrite": 0, "combined": "on"},
    )
    assert r.status_code == 200
    box = r.content.decode().split("</textarea>")[0]
    assert "Your refund went out today." in box and "not my job" not in box
    assert len(re.findall(r"\bsorry\b", box, re.IGNORECASE)) == 1, box


def test_a_disrespectful_note_is_saved_with_a_gentle_word_from_the_coach(
    agent_client: Client, team: Team, agent: Agent
) -> None:
    c = make_conversation(team=team, text="Where is my parcel?")
    r = agent_client.post(
        f"/desk/c/{c.pk}/note/", {"text": "Customer is a total idiot, refund him."}, follow=True
    )
    assert r.status_code == 200
    assert c.messages.filter(direction=Direction.NOTE).exists()  # never blocked
    page = r.content.decode()
    assert "A thought from the coach" in page and "Customer is a total idiot" in page
    calm = agent_client.post(
        f"/desk/c/{c.pk}/note/", {"text": "Customer waited a week; call at 3pm."}, follow=True
    )
    assert "Internal note added." in calm.content.decode()
    assert "A thought from the coach" not in calm.content.decode()
