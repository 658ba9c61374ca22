"""Status updates: a customer the team keeps waiting hears from us once per interval, exactly once
however often the periodic task runs, and the portal says whose move it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client

from caredesk.care import updates
from caredesk.care.models import UpdateTemplate
from caredesk.conftest import login
from caredesk.conversations import services
from caredesk.conversations.models import Conversation, Direction, Event, EventKind, Message
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.people.models import Agent, Team

pytestmark = pytest.mark.django_db(transaction=True)  # after-commit jobs run for real

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def sent(conversation: Conversation) -> list[Event]:
    return list(conversation.events.filter(kind=EventKind.UPDATE_SENT))


@pytest.fixture
def hourly_team(team: Team) -> Team:
    team.update_interval_hours = 12
    team.save(update_fields=["update_interval_hours"])
    return team


def test_an_update_is_sent_once_per_interval_and_never_twice(
    hourly_team: Team, customer: Customer
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        c = make_conversation(customer=customer, team=hourly_team)
        mail.outbox.clear()  # the portal's confirmation
        clock.move_to(START + timedelta(hours=11, minutes=59))
        assert updates.updates_send_due() == 0
        clock.move_to(START + timedelta(hours=12))
        assert updates.updates_send_due() == 1
        assert updates.updates_send_due() == 0  # the task runs twice: still one update
        [event] = sent(c)
        message = Message.objects.get(pk=event.data["message"])
        assert (message.direction, message.author, message.delivery_status) == (
            Direction.OUTBOUND,
            None,
            "sent",
        )
        assert "sorry" in message.text.lower() and customer.name in message.text
        assert event.data["next_update_at"] == (START + timedelta(hours=24)).isoformat()
        [email] = mail.outbox
        assert email.to == [customer.email] and f"[#{c.pk}]" in email.subject
        assert email.body == message.text
        assert email.message()["Auto-Submitted"] == "auto-generated"  # no auto-reply to it
        c.refresh_from_db()
        assert c.status == "new" and c.first_response_at is None  # still our move, no response
        clock.move_to(START + timedelta(hours=23, minutes=59))
        assert updates.updates_send_due() == 0
        clock.move_to(START + timedelta(hours=24))
        assert updates.updates_send_due() == 1 and updates.updates_send_due() == 0
        assert len(sent(c)) == 2 and len(mail.outbox) == 2


def test_no_update_while_it_is_the_customers_move_and_the_clock_restarts_when_they_write(
    hourly_team: Team, agent: Agent, customer: Customer
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        c = make_conversation(customer=customer, team=hourly_team)
        clock.move_to(START + timedelta(hours=1))
        services.reply_send(conversation=c, agent=agent, text="Could you send the order number?")
        clock.move_to(START + timedelta(hours=100))
        assert updates.updates_send_due() == 0
        services.customer_message_add(
            conversation=c, text="It is 4471.", author=customer.user, channel="portal"
        )
        clock.move_to(START + timedelta(hours=111))
        assert updates.updates_send_due() == 0
        clock.move_to(START + timedelta(hours=112))
        assert updates.updates_send_due() == 1
        [event] = sent(c)
        assert event.data["waiting_since"] == (START + timedelta(hours=100)).isoformat()
        services.conversation_resolve(conversation=c, agent=agent)
        clock.move_to(START + timedelta(hours=500))
        assert updates.updates_send_due() == 0


def test_a_run_killed_half_way_is_finished_by_the_next_without_doubles(
    hourly_team: Team, customer: Customer
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        convs = [make_conversation(customer=customer, team=hourly_team) for _ in range(4)]
        mail.outbox.clear()
        clock.move_to(START + timedelta(hours=13))
        # The first run got through two conversations before its worker died.
        for c in convs[:2]:
            assert updates.update_send_if_due(conversation_id=c.pk) is not None
        assert updates.updates_send_due() == 2
        assert updates.updates_send_due() == 0
        assert [len(sent(c)) for c in convs] == [1, 1, 1, 1]
        assert len(mail.outbox) == 4


def test_the_team_template_is_used_and_coached_and_bad_placeholders_are_refused(
    hourly_team: Team, lead: Agent, customer: Customer
) -> None:
    with pytest.raises(ValidationError, match="Unknown placeholder"):
        updates.update_template_save(team=hourly_team, text="Hi {customer_name!r}", user=lead.user)
    with pytest.raises(ValidationError, match="Write the update"):
        updates.update_template_save(team=hourly_team, text="   ", user=lead.user)
    assert not UpdateTemplate.objects.exists()  # nothing half-saved
    blunt = updates.update_template_save(
        team=hourly_team,
        text="Still working on {subject}. Next update {next_update}.",
        user=lead.user,
    )
    assert blunt.findings, "the coach has something to say about an update with no apology"
    default = updates.update_template_save(
        team=hourly_team, text=updates.DEFAULT_TEMPLATE, user=lead.user
    )
    assert default.pk == blunt.pk
    assert not any(f["category"] == "no_apology" for f in default.findings)
    with time_machine.travel(START, tick=False) as clock:
        c = make_conversation(customer=customer, team=hourly_team, subject="Broken kettle")
        clock.move_to(START + timedelta(hours=12))
        updates.updates_send_due()
    [event] = sent(c)
    text = Message.objects.get(pk=event.data["message"]).text
    assert "Broken kettle" in text and "Billing team" in text and "{" not in text


def test_a_lead_edits_the_template_and_sees_the_coach(
    hourly_team: Team, lead: Agent, agent: Agent
) -> None:
    url = f"/care/teams/{hourly_team.pk}/update/"
    assert login(Client(), agent.user.email).get(url).status_code == 403
    client = login(Client(), lead.user.email)
    page = client.get(url)
    assert page.status_code == 200 and "sorry this is taking so long" in page.content.decode()
    bad = client.post(url, {"text": "Hello {nope}"})
    assert bad.status_code == 400 and "Unknown placeholder" in bad.content.decode()
    assert client.post(url, {"text": "We are on it. Next: {next_update}."}).status_code == 302
    saved = client.get(url).content.decode()
    assert "coach-finding" in saved and "We are on it." in saved


def test_the_portal_says_whose_move_it_is_and_when_the_next_update_comes(
    hourly_team: Team, agent: Agent, customer: Customer, customer_client: Client
) -> None:
    with time_machine.travel(START, tick=False):
        c = make_conversation(customer=customer, team=hourly_team)
        page = customer_client.get(f"/portal/c/{c.pk}/").content.decode()
        assert 'data-move="us"' in page and "Waiting on us." in page
        assert (START + timedelta(hours=12)).isoformat() in page
        services.reply_send(conversation=c, agent=agent, text="Which colour would you like?")
        page = customer_client.get(f"/portal/c/{c.pk}/").content.decode()
        assert 'data-move="you"' in page and "Waiting on you." in page
        assert "next-update" not in page
        services.conversation_resolve(conversation=c, agent=agent)
        page = customer_client.get(f"/portal/c/{c.pk}/").content.decode()
        assert 'data-move="done"' in page
