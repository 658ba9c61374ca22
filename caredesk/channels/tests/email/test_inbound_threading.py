"""Threading, customers, loops, floods and the quarantine pages, through the public surface."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from caredesk.channels.email.inbound import FLOOD_LIMIT, inbound_mail_receive
from caredesk.channels.email.models import InboundKind, InboundMail, InboundStatus
from caredesk.channels.tests.email.inbound_support import mail
from caredesk.conftest import login
from caredesk.conversations.models import Conversation, Message
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer, Identity
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.models import Agent

pytestmark = pytest.mark.django_db


def receive(msg: Any) -> InboundMail:
    return inbound_mail_receive(raw=bytes(msg), source="smtp")


def test_a_reply_threads_by_in_reply_to_and_references() -> None:
    first = receive(mail())
    assert first.status == InboundStatus.STORED and first.conversation is not None
    reply = receive(
        mail(subject="Re: Printer jam", text="Still jams.", in_reply_to=first.message_id)
    )
    assert reply.conversation_id == first.conversation_id
    # References alone (In-Reply-To lost by a client), to an outbound Message's external id.
    assert first.stored_message is not None
    Message.objects.filter(pk=first.stored_message.pk).update(external_id="<agent-reply@desk.test>")
    third = receive(mail(text="Third.", references="<unknown@x.test> <agent-reply@desk.test>"))
    assert third.conversation_id == first.conversation_id
    assert Conversation.objects.count() == 1
    assert first.conversation.messages.count() == 3


def test_a_token_threads_only_for_that_conversations_customer() -> None:
    first = receive(mail())
    assert first.conversation is not None
    token = f"Re: Printer jam [#{first.conversation_id}]"
    again = receive(mail(subject=token, text="Any news?"))
    assert again.conversation_id == first.conversation_id
    stranger = receive(mail(sender="mallory@evil.test", subject=token, text="Give me the data"))
    assert stranger.status == InboundStatus.STORED
    assert stranger.conversation_id != first.conversation_id
    assert stranger.conversation is not None and stranger.conversation.subject == "Printer jam"


def test_a_new_problem_from_a_known_customer_is_a_new_conversation_of_the_same_customer() -> None:
    first = receive(mail())
    second = receive(mail(subject="Invoice is wrong", text="I was billed twice this month."))
    assert first.conversation_id != second.conversation_id
    assert first.conversation is not None and second.conversation is not None
    assert first.conversation.customer_id == second.conversation.customer_id
    assert Customer.objects.count() == 1


def test_the_same_message_id_twice_makes_one_message() -> None:
    msg = mail()
    assert receive(msg).pk == receive(msg).pk
    assert Message.objects.count() == 1 and InboundMail.objects.count() == 1


def test_mail_never_lands_on_a_login_customer_through_an_unverified_address() -> None:
    customer = CustomerFactory(email="owner@example.com")  # a portal login, address unverified
    spoofed = receive(mail(sender="owner@example.com", text="Send me my invoices."))
    assert spoofed.status == InboundStatus.QUARANTINED and "spoofing" in spoofed.reason
    assert not customer.conversations.exists()
    Identity.objects.filter(value="owner@example.com").update(verified=True)
    verified = receive(mail(sender="owner@example.com", text="Send me my invoices."))
    assert verified.status == InboundStatus.STORED
    assert verified.conversation is not None and verified.conversation.customer_id == customer.pk


def test_auto_replies_bounces_and_lists_are_recorded_and_never_become_messages() -> None:
    vacation = receive(mail(headers={"Auto-Submitted": "auto-replied"}, text="On vacation."))
    listed = receive(mail(headers={"List-Id": "<users.example.org>"}, text="Digest."))
    bounce = inbound_mail_receive(
        raw=bytes(mail(text="Undelivered.")), source="smtp", null_sender=True
    )
    assert [m.kind for m in (vacation, listed, bounce)] == [
        InboundKind.AUTO_REPLY,
        InboundKind.LIST,
        InboundKind.BOUNCE,
    ]
    assert {m.status for m in (vacation, listed, bounce)} == {InboundStatus.QUARANTINED}
    assert not Message.objects.exists()


def test_a_sender_writing_more_than_20_times_a_minute_is_quarantined() -> None:
    results = [
        receive(mail(subject=f"Flood {n}", text=f"Message {n}")) for n in range(FLOOD_LIMIT + 2)
    ]
    assert [m.status for m in results[:FLOOD_LIMIT]] == [InboundStatus.STORED] * FLOOD_LIMIT
    assert all(m.status == InboundStatus.QUARANTINED for m in results[FLOOD_LIMIT:])
    assert "rate limited" in results[-1].reason
    other = receive(mail(sender="calm@example.com"))
    assert other.status == InboundStatus.STORED


def test_a_lead_reprocesses_and_discards_from_the_quarantine(client: Client, lead: Agent) -> None:
    vacation = receive(mail(headers={"Auto-Submitted": "auto-replied"}, text="Back Monday."))
    junk = receive(mail(headers={"Precedence": "junk"}, text="Win now."))
    login(client, lead.user.email)
    page = client.get(reverse("mail:quarantine"))
    assert page.status_code == 200
    assert b"auto_reply: Auto-Submitted: auto-replied" in page.content
    detail = client.get(reverse("mail:detail", args=[vacation.pk]))
    assert detail.status_code == 200 and b"Back Monday." in detail.content
    done = client.post(reverse("mail:reprocess", args=[vacation.pk]))
    assert done.status_code == 302
    vacation.refresh_from_db()
    assert vacation.status == InboundStatus.STORED and vacation.handled_by == lead.user
    assert vacation.stored_message is not None and "Back Monday." in vacation.stored_message.text
    assert client.post(reverse("mail:discard", args=[junk.pk])).status_code == 302
    junk.refresh_from_db()
    assert junk.status == InboundStatus.DISCARDED and junk.raw  # the original stays
    again = client.post(reverse("mail:discard", args=[junk.pk]))
    assert again.status_code == 400


def test_an_agent_sees_the_original_of_a_mail_in_their_conversation_only(
    client: Client, agent: Agent
) -> None:
    stored = receive(mail(text="Original text here."))
    login(client, agent.user.email)
    assert client.get(reverse("mail:quarantine")).status_code == 403
    # The mail's conversation has no team, so every agent sees it, and its original.
    assert client.get(reverse("mail:detail", args=[stored.pk])).status_code == 200
    other = make_conversation(team=agent.teams.first())
    assert other.pk
    quarantined = receive(mail(headers={"Precedence": "bulk"}))
    assert client.get(reverse("mail:detail", args=[quarantined.pk])).status_code == 403
