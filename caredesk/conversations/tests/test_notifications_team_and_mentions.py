"""Notifications (issue 12's leftovers): a transfer to a team alone tells the team's agents, and
an @name that several agents answer to tells nobody and is shown to the writer instead."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from caredesk.conftest import login
from caredesk.conversations.models import Conversation, EventKind, Notification, NotificationKind
from caredesk.conversations.notifications import (
    mentioned_agents,
    mentions_ambiguous_text,
    mentions_find,
    notifications_from_event,
)
from caredesk.conversations.services import conversation_transfer, note_add
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def _agent(first: str, last: str, email: str, teams: list[Team] | None = None) -> Agent:
    return AgentFactory.create(
        teams=teams or [], user__first_name=first, user__last_name=last, user__email=email
    )


@pytest.fixture
def writer(team: Team) -> Agent:
    return _agent("Wren", "Writer", "wren@desk.example", [team])


@pytest.fixture
def ana_lima() -> Agent:
    return _agent("Ana", "Lima", "ana@desk.example")


@pytest.fixture
def ana_costa() -> Agent:
    return _agent("Ana", "Costa", "acosta@desk.example")


def _notify_last(conversation: Conversation, kind: EventKind) -> list[Notification]:
    event = conversation.events.filter(kind=kind).latest("pk")
    return notifications_from_event(event=event.pk)


def test_a_transfer_to_a_team_alone_notifies_its_agents_once_each_with_the_note(
    team: Team, other_team: Team, writer: Agent
) -> None:
    receivers = [_agent("Tom", "Tech", "tom@desk.example", [other_team, team])]
    receivers.append(_agent("Uma", "Tech", "uma@desk.example", [other_team]))
    gone = _agent("Vic", "Gone", "vic@desk.example", [other_team])
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])
    conversation = make_conversation(team=team, subject="Router keeps rebooting")
    conversation_transfer(
        conversation=conversation, actor=writer.user, note="Firmware issue.", to_team=other_team
    )
    _notify_last(conversation, EventKind.TRANSFERRED)
    _notify_last(conversation, EventKind.TRANSFERRED)  # a retried task adds nothing

    rows = Notification.objects.filter(conversation=conversation).order_by("agent_id")
    assert [(n.agent_id, n.kind, n.text) for n in rows] == [
        (a.pk, NotificationKind.TRANSFERRED, "Firmware issue.") for a in receivers
    ]
    page = login(Client(), "uma@desk.example").get(reverse("desk:notifications")).content.decode()
    assert "Transferred to your team Technical" in page and "Firmware issue." in page


def test_a_transfer_to_an_agent_still_notifies_that_agent_only(
    team: Team, other_team: Team, writer: Agent
) -> None:
    tom = _agent("Tom", "Tech", "tom@desk.example", [other_team])
    _agent("Uma", "Tech", "uma@desk.example", [other_team])
    conversation = make_conversation(team=team)
    conversation_transfer(
        conversation=conversation,
        actor=writer.user,
        note="Yours.",
        to_agent=tom,
        to_team=other_team,
    )
    _notify_last(conversation, EventKind.TRANSFERRED)
    assert list(Notification.objects.values_list("agent", flat=True)) == [tom.pk]


def test_a_first_name_two_agents_share_notifies_nobody(
    team: Team, writer: Agent, ana_lima: Agent, ana_costa: Agent
) -> None:
    conversation = make_conversation(team=team)
    note_add(conversation=conversation, agent=writer, text="@Ana could you check the refund?")
    assert _notify_last(conversation, EventKind.NOTED) == []
    found = mentions_find("@Ana could you check the refund?")
    assert found.agents == [] and sorted(a.pk for a in found.ambiguous["ana"]) == sorted(
        [ana_lima.pk, ana_costa.pk]
    )


def test_an_address_name_or_a_full_name_picks_one_agent(
    ana_lima: Agent, ana_costa: Agent, writer: Agent
) -> None:
    assert mentioned_agents("@acosta please") == [ana_costa]
    assert mentioned_agents("thanks @Ana.Lima.") == [ana_lima]
    assert mentioned_agents("thanks @ana-costa and @ana_lima") == [ana_costa, ana_lima]
    assert mentioned_agents("@Wren") == [writer]  # a first name nobody else has is enough


def test_the_writer_is_told_how_to_name_each_agent(ana_lima: Agent, ana_costa: Agent) -> None:
    text = mentions_ambiguous_text("@ana, see above")
    # "ana" is Ana Lima's address name too, so she is offered her full name instead.
    assert "@ana could be" in text and "nobody was told" in text
    assert "Ana Lima (@Ana.Lima)" in text and "Ana Costa (@acosta)" in text
    for handle in ("@Ana.Lima", "@acosta"):
        assert len(mentioned_agents(handle)) == 1
    assert mentions_ambiguous_text("@acosta, see above") == ""


def test_the_note_form_shows_an_unclear_mention_and_keeps_the_note(
    team: Team, writer: Agent, ana_lima: Agent, ana_costa: Agent
) -> None:
    conversation = make_conversation(team=team)
    client = login(Client(), writer.user.email)
    response = client.post(
        reverse("desk:note", args=[conversation.pk]), {"text": "@ana see the refund"}, follow=True
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Internal note added." in page
    assert '<li class="warning" role="status">@ana could be' in page
    assert conversation.messages.filter(text="@ana see the refund").exists()
