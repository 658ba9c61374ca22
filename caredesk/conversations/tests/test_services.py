"""The conversation lifecycle through its services: every change leaves an event."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from caredesk.conversations import selectors, services
from caredesk.conversations.models import Conversation, EventKind, Message, Severity, Status
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def kinds(conversation: Conversation) -> list[str]:
    return list(conversation.events.values_list("kind", flat=True))


def test_create_records_event_and_reads_the_message(team: Team) -> None:
    c = make_conversation(team=team, text="Hello, I'd like to change the address on my account.")
    assert c.status == Status.NEW
    assert kinds(c) == [EventKind.CREATED]
    message = c.messages.get()
    assert message.reading is not None
    c.refresh_from_db()
    assert c.emotion == message.reading["emotion"]


def test_a_risk_signal_raises_severity_by_the_team_policy(team: Team) -> None:
    text = "This is the THIRD time I'm writing about this. Where is my refund?!"
    c = make_conversation(team=team, text=text)
    c.refresh_from_db()
    assert "repeated_contact" in c.signals
    assert c.severity == Severity.HIGH
    assert kinds(c) == [EventKind.CREATED, EventKind.SEVERITY_CHANGED]
    team.signal_policy = {"repeated_contact": Severity.NORMAL}
    team.save()
    calm = make_conversation(team=team, text=text)
    assert calm.severity == Severity.NORMAL


def test_empty_and_oversized_messages_are_refused_with_a_clear_reason(
    settings: Any, customer: Customer
) -> None:
    with pytest.raises(ValidationError, match="empty"):
        make_conversation(customer=customer, text="   ")
    settings.CAREDESK_MAX_MESSAGE_CHARS = 50
    with pytest.raises(ValidationError, match="limit is 50"):
        make_conversation(customer=customer, text="x" * 51)
    assert not Conversation.objects.exists()


def test_reply_sets_first_response_and_waits_on_customer(agent: Agent, team: Team) -> None:
    c = make_conversation(team=team)
    services.reply_send(
        conversation=c, agent=agent, text="Thank you — I'm on it and will write by 5pm."
    )
    c.refresh_from_db()
    assert c.owner == agent
    assert c.first_response_at is not None
    assert c.status == Status.WAITING_ON_CUSTOMER
    assert EventKind.REPLIED in kinds(c)


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


def test_resolve_reopen_and_customer_reply_reopens(agent: Agent, team: Team) -> None:
    c = make_conversation(team=team)
    services.conversation_resolve(conversation=c, agent=agent)
    c.refresh_from_db()
    assert c.status == Status.RESOLVED and c.resolved_at is not None
    with pytest.raises(ValidationError):
        services.conversation_resolve(conversation=c, agent=agent)
    services.customer_message_add(conversation=c, text="It broke again.", author=c.customer.user)
    c.refresh_from_db()
    assert c.status in (Status.OPEN, Status.NEW)
    assert EventKind.REOPENED in kinds(c)
    services.conversation_resolve(conversation=c, agent=agent)
    services.conversation_reopen(conversation=c, actor=agent.user)
    c.refresh_from_db()
    assert c.resolved_at is None


def test_merge_keeps_messages_and_events_and_points_to_the_survivor(agent: Agent) -> None:
    customer = CustomerFactory()
    first = make_conversation(customer=customer, subject="Router broken")
    second = make_conversation(customer=customer, subject="Still no internet", text="Any news?")
    survivor = services.conversation_merge(source=second, target=first, agent=agent)
    second.refresh_from_db()
    assert survivor == first and second.merged_into == first and second.status == Status.CLOSED
    assert Message.objects.filter(conversation=first).count() == 2
    assert EventKind.MERGED in kinds(first) and EventKind.MERGED in kinds(second)
    assert EventKind.CREATED in kinds(second)  # its own history stays with it
    with pytest.raises(ValidationError, match="same customer"):
        services.conversation_merge(source=make_conversation(), target=first, agent=agent)
    # A customer writing to the merged conversation lands in the one that remains.
    message = services.customer_message_add(
        conversation=second, text="Hello?", author=customer.user
    )
    assert message.conversation_id == first.pk


def test_rating_needs_resolution_range_and_the_owner(agent: Agent, customer: Customer) -> None:
    c = make_conversation(customer=customer)
    with pytest.raises(ValidationError, match="once it is resolved"):
        services.rating_submit(conversation=c, user=customer.user, satisfaction=5, effort=1)
    services.conversation_resolve(conversation=c, agent=agent)
    with pytest.raises(ValidationError):
        services.rating_submit(conversation=c, user=customer.user, satisfaction=9, effort=1)
    with pytest.raises(PermissionDenied):
        services.rating_submit(conversation=c, user=agent.user, satisfaction=5, effort=1)
    rating = services.rating_submit(
        conversation=c, user=customer.user, satisfaction=4, effort=2, comment="Quick and kind."
    )
    assert rating.satisfaction == 4 and EventKind.RATED in kinds(c)


def test_script_payloads_are_stored_as_inert_text(customer: Customer) -> None:
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    c = make_conversation(customer=customer, subject=payload, text=payload)
    html = c.messages.get().html
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
