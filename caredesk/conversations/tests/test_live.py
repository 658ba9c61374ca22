"""Collision detection (issue 12): who else has the conversation open, who is typing, and a reply
typed on a page that missed something new is held until the agent has looked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from caredesk.conftest import login
from caredesk.conversations import live
from caredesk.conversations.models import Conversation, Direction, Message
from caredesk.conversations.services import customer_message_add, note_add, reply_send
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(team: Team) -> Agent:
    return AgentFactory.create(teams=[team], user__first_name="Bea")


@pytest.fixture
def conversation(team: Team) -> Conversation:
    return make_conversation(team=team, subject="Parcel lost")


def _latest(conversation: Conversation) -> int:
    return Message.objects.filter(conversation=conversation).latest("pk").pk


def test_an_agent_sees_a_colleague_viewing_and_typing_until_it_expires(
    conversation: Conversation, agent: Agent, colleague: Agent
) -> None:
    now = timezone.now()
    live.viewer_mark(conversation=conversation, agent=colleague, typing=True, at=now)
    live.viewer_mark(conversation=conversation, agent=agent, typing=False, at=now)

    (other,) = live.viewers_other(conversation, agent, at=now + timedelta(seconds=2))
    assert other.agent == colleague and other.typing
    assert live.viewers_other(conversation, colleague, at=now)[0].typing is False

    later = now + live.TYPING_TTL + timedelta(seconds=1)
    assert [o.typing for o in live.viewers_other(conversation, agent, at=later)] == [False]
    gone = now + live.VIEWER_TTL + timedelta(seconds=1)
    assert live.viewers_other(conversation, agent, at=gone) == []


def test_the_presence_poll_names_the_others_and_what_is_new(
    conversation: Conversation, agent: Agent, colleague: Agent, agent_client: Client
) -> None:
    seen = _latest(conversation)
    url = reverse("desk:presence", args=[conversation.pk])
    bea = login(Client(), colleague.user.email)
    assert bea.post(url, {"typing": "1", "last_seen": seen}).status_code == 200

    page = agent_client.post(url, {"last_seen": seen}).content.decode()
    assert "Bea" in page and "is typing a reply" in page
    assert "New since you opened this" not in page

    customer_message_add(conversation=conversation, text="Any news?", author=None)
    page = agent_client.post(url, {"last_seen": seen}).content.decode()
    assert "New since you opened this" in page


def test_a_reply_after_a_new_customer_message_asks_to_look_first(
    conversation: Conversation, agent: Agent, agent_client: Client
) -> None:
    seen = _latest(conversation)
    customer_message_add(
        conversation=conversation, text="I found it at my neighbour's!", author=None
    )
    url = reverse("desk:reply", args=[conversation.pk])

    held = agent_client.post(url, {"text": "We are sending a new one.", "last_seen": seen})
    assert held.status_code == 400
    page = held.content.decode()
    assert "I found it at my neighbour" in page and 'id="send-anyway"' in page
    assert "We are sending a new one." in page  # what the agent typed is kept
    assert not conversation.messages.filter(direction=Direction.OUTBOUND).exists()

    sent = agent_client.post(
        url, {"text": "We are sending a new one.", "last_seen": seen, "send_anyway": "1"}
    )
    assert sent.status_code == 302
    assert conversation.messages.filter(direction=Direction.OUTBOUND).count() == 1


def test_a_colleagues_note_counts_but_the_agents_own_messages_do_not(
    conversation: Conversation, agent: Agent, colleague: Agent, agent_client: Client
) -> None:
    url = reverse("desk:reply", args=[conversation.pk])
    reply_send(conversation=conversation, agent=agent, text="Looking into it.")
    seen = _latest(conversation)
    note_add(conversation=conversation, agent=agent, text="Asked the courier.")
    assert agent_client.post(url, {"text": "Update soon.", "last_seen": seen}).status_code == 302

    seen = _latest(conversation)
    note_add(conversation=conversation, agent=colleague, text="Courier says delivered!")
    held = agent_client.post(url, {"text": "Still looking.", "last_seen": seen})
    assert held.status_code == 400 and "Courier says delivered!" in held.content.decode()


def test_the_page_sends_the_latest_message_it_shows(
    conversation: Conversation, agent_client: Client
) -> None:
    customer_message_add(conversation=conversation, text="Second message", author=None)
    page = agent_client.get(conversation.get_absolute_url()).content.decode()
    assert f'name="last_seen" id="last-seen" value="{_latest(conversation)}"' in page
    assert 'id="presence"' in page
