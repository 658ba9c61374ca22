"""conversation_transfer: a handoff keeps its note and the customer's place in the queue."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from caredesk.conversations import selectors, services
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def test_transfer_requires_a_handoff_note(agent: Agent, team: Team) -> None:
    other = AgentFactory(teams=[team])
    c = make_conversation(team=team)
    services.conversation_assign(conversation=c, agent=agent, actor=agent.user)
    with pytest.raises(ValidationError, match="handoff note"):
        services.conversation_transfer(conversation=c, actor=agent.user, note="  ", to_agent=other)
    c.refresh_from_db()
    assert c.owner == agent
    services.conversation_transfer(
        conversation=c,
        actor=agent.user,
        to_agent=other,
        note="Refund approved by billing; needs the bank reference.",
    )
    c.refresh_from_db()
    assert c.owner == other
    note = selectors.handoff_note(c)
    assert note is not None and "bank reference" in note.data["note"]


def test_transfer_to_a_team_returns_to_the_queue_keeping_the_customers_place(
    agent: Agent, team: Team, other_team: Team
) -> None:
    c = make_conversation(team=team)
    services.conversation_assign(conversation=c, agent=agent, actor=agent.user)
    services.conversation_transfer(
        conversation=c,
        actor=agent.user,
        to_team=other_team,
        note="Technical fault with the router, not billing.",
    )
    c.refresh_from_db()
    assert c.owner is None and c.team == other_team
    assert c.queued_at == c.created_at


def test_people_per_problem_counts_distinct_agents_from_events(team: Team) -> None:
    a, b, lead = AgentFactory(teams=[team]), AgentFactory(teams=[team]), AgentFactory()
    c = make_conversation(team=team)
    assert selectors.people_per_problem(c) == 0
    services.reply_send(conversation=c, agent=a, text="Let me look into this for you today.")
    services.reply_send(conversation=c, agent=a, text="Found it; checking with billing now.")
    assert selectors.people_per_problem(c) == 1
    services.conversation_transfer(conversation=c, actor=a.user, to_agent=b, note="Needs a refund.")
    services.reply_send(conversation=c, agent=b, text="I've issued the refund; it lands by Friday.")
    services.note_add(conversation=c, agent=lead, text="Nice work.")
    assert selectors.people_per_problem(c) == 2
