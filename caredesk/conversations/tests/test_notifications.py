"""Notifications (issue 12): made from events once each, to the right agent, shown with an
unread count and marked read when seen."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from caredesk.conftest import login
from caredesk.conversations.models import (
    Conversation,
    Event,
    EventKind,
    Notification,
    NotificationKind,
)
from caredesk.conversations.notifications import (
    mentioned_agents,
    notifications_from_event,
    notifications_unread_count,
)
from caredesk.conversations.services import (
    conversation_assign,
    conversation_transfer,
    customer_message_add,
    note_add,
)
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bea(team: Team) -> Agent:
    return AgentFactory.create(teams=[team], user__first_name="Bea", user__email="bea@desk.example")


@pytest.fixture
def conversation(team: Team) -> Conversation:
    return make_conversation(team=team, subject="Parcel lost")


def _notify_last(conversation: Conversation, kind: EventKind) -> list[Notification]:
    event = conversation.events.filter(kind=kind).latest("pk")
    return notifications_from_event(event=event.pk)


def test_a_transfer_notifies_the_receiving_agent_once_with_the_note(
    conversation: Conversation, agent: Agent, bea: Agent
) -> None:
    conversation_assign(conversation=conversation, agent=agent, actor=agent.user)
    conversation_transfer(
        conversation=conversation, actor=agent.user, note="Courier claim filed.", to_agent=bea
    )
    _notify_last(conversation, EventKind.TRANSFERRED)
    _notify_last(conversation, EventKind.TRANSFERRED)  # a retried task adds nothing

    (n,) = Notification.objects.filter(agent=bea)
    assert n.kind == NotificationKind.TRANSFERRED and n.text == "Courier claim filed."
    assert notifications_unread_count(agent) == 0  # the sender hears nothing of it


def test_assigned_by_someone_else_notifies_but_taking_it_yourself_does_not(
    conversation: Conversation, agent: Agent, lead: Agent
) -> None:
    conversation_assign(conversation=conversation, agent=agent, actor=agent.user)
    assert _notify_last(conversation, EventKind.ASSIGNED) == []
    conversation_assign(conversation=conversation, agent=agent, actor=lead.user)
    _notify_last(conversation, EventKind.ASSIGNED)
    assert list(Notification.objects.values_list("agent", "kind")) == [
        (agent.pk, NotificationKind.ASSIGNED)
    ]


def test_a_customer_reply_notifies_the_owner(conversation: Conversation, agent: Agent) -> None:
    conversation_assign(conversation=conversation, agent=agent, actor=agent.user)
    customer_message_add(conversation=conversation, text="Any news on my parcel?", author=None)
    _notify_last(conversation, EventKind.CUSTOMER_REPLIED)
    (n,) = Notification.objects.filter(agent=agent)
    assert n.kind == NotificationKind.CUSTOMER_REPLIED and "Any news" in n.text


def test_a_mention_in_a_note_notifies_the_named_agent_only(
    conversation: Conversation, agent: Agent, bea: Agent
) -> None:
    note_add(conversation=conversation, agent=agent, text="@bea could you check the courier?")
    _notify_last(conversation, EventKind.NOTED)
    assert list(Notification.objects.values_list("agent", "kind")) == [
        (bea.pk, NotificationKind.MENTIONED)
    ]
    note_add(conversation=conversation, agent=agent, text="Mail bea@desk.example, not @nobody.")
    assert _notify_last(conversation, EventKind.NOTED) == []


def test_mentions_match_first_names_and_address_names(bea: Agent, agent: Agent) -> None:
    assert mentioned_agents("thanks @Bea.") == [bea]
    assert mentioned_agents("thanks @bea-") == [bea]
    assert mentioned_agents("write to x@bea.example") == []


def test_an_escalation_notifies_the_owner(conversation: Conversation, agent: Agent) -> None:
    conversation_assign(conversation=conversation, agent=agent, actor=agent.user)
    event = Event.objects.create(
        conversation=conversation,
        kind=EventKind.ESCALATED,
        created_at=conversation.created_at,
        data={"signals": ["legal_threat"], "reason": "legal threat"},
    )
    notifications_from_event(event=event.pk)
    (n,) = Notification.objects.filter(agent=agent)
    assert n.kind == NotificationKind.ESCALATED and n.text == "legal threat"


def test_the_count_shows_unread_and_seeing_marks_them_read(
    conversation: Conversation, agent: Agent, bea: Agent
) -> None:
    conversation_transfer(conversation=conversation, actor=agent.user, note="Yours.", to_agent=bea)
    _notify_last(conversation, EventKind.TRANSFERRED)
    client = login(Client(), bea.user.email)
    count = client.get(reverse("desk:notification_count")).content.decode()
    assert '<span class="badge" id="unread-count">1</span>' in count

    page = client.get(reverse("desk:notifications")).content.decode()
    assert "Transferred to you" in page and "Yours." in page and "Parcel lost" in page
    assert notifications_unread_count(bea) == 0
    assert "badge" not in client.get(reverse("desk:notification_count")).content.decode()


def test_opening_the_conversation_marks_its_notifications_read(
    conversation: Conversation, agent: Agent, bea: Agent
) -> None:
    conversation_transfer(conversation=conversation, actor=agent.user, note="Yours.", to_agent=bea)
    _notify_last(conversation, EventKind.TRANSFERRED)
    client = login(Client(), bea.user.email)
    client.post(reverse("desk:presence", args=[conversation.pk]), {"last_seen": 0})
    assert notifications_unread_count(bea) == 0


@pytest.mark.django_db(transaction=True)
def test_events_make_notifications_after_commit(team: Team, agent: Agent, bea: Agent) -> None:
    conversation = make_conversation(team=team, subject="Parcel lost")
    conversation_transfer(conversation=conversation, actor=agent.user, note="Yours.", to_agent=bea)
    assert Notification.objects.filter(agent=bea, kind=NotificationKind.TRANSFERRED).count() == 1
