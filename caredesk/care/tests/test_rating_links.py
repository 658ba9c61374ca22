"""The closing message: sent once per resolution, with a signed, expiring, one-use rating link
that needs no login."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client

from caredesk import jobs
from caredesk.care import rating_links
from caredesk.care.loop_tasks import closing_send_task
from caredesk.conversations import services
from caredesk.conversations.models import Conversation, Event, EventKind, Rating
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.people.models import Agent

pytestmark = pytest.mark.django_db(transaction=True)  # after-commit jobs run for real

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LINK = re.compile(r"https?://\S+/care/rate/\S+/")


def closings(c: Conversation) -> list[Event]:
    return list(c.events.filter(kind=EventKind.CLOSING_SENT))


def resolve(agent: Agent, customer: Customer) -> tuple[Conversation, str]:
    c = make_conversation(customer=customer, subject="Printer jam")
    services.conversation_resolve(conversation=c, agent=agent)
    [email] = [m for m in mail.outbox if "really" in m.body and f"[#{c.pk}]" in m.subject]
    found = LINK.search(email.body)
    assert found, email.body
    return c, found.group().split("127.0.0.1:8000", 1)[1]


def test_resolving_mails_the_closing_message_once_with_a_link(
    agent: Agent, customer: Customer
) -> None:
    c, _ = resolve(agent, customer)
    [event] = closings(c)
    resolved = c.events.get(kind=EventKind.RESOLVED)
    assert event.data["resolved_event"] == resolved.pk
    # The task runs again (a retry, a second worker): nothing more is sent.
    assert rating_links.closing_send(conversation_id=c.pk, resolved_event_id=resolved.pk) is None
    assert len(closings(c)) == 1
    assert len([m for m in mail.outbox if "really" in m.body]) == 1
    email = next(m for m in mail.outbox if "really" in m.body)
    assert email.to == [customer.email] and f"[#{c.pk}]" in email.subject
    assert email.message()["Auto-Submitted"] == "auto-generated"  # no auto-reply to it


def test_a_customer_rates_from_the_link_without_logging_in(
    agent: Agent, customer: Customer
) -> None:
    c, path = resolve(agent, customer)
    anonymous = Client()
    page = anonymous.get(path)
    assert page.status_code == 200 and "Printer jam" in page.content.decode()
    bad = anonymous.post(path, {"satisfaction": "9", "effort": "2"})
    assert bad.status_code == 400 and not Rating.objects.exists()
    done = anonymous.post(path, {"satisfaction": "4", "effort": "2", "comment": ""})
    assert done.status_code == 200 and "Thank you" in done.content.decode()
    rating = Rating.objects.get(conversation=c)
    assert (rating.satisfaction, rating.effort, rating.comment) == (4, 2, "")
    rated = c.events.get(kind=EventKind.RATED)
    assert rated.actor == customer.user and rated.data == {"satisfaction": 4, "effort": 2}
    used = anonymous.get(path)
    assert used.status_code == 410 and "rated already" in used.content.decode()
    assert anonymous.post(path, {"satisfaction": "1", "effort": "5"}).status_code == 410
    assert Rating.objects.get(conversation=c).satisfaction == 4


def test_tampered_expired_and_reopened_links_get_a_clear_page(
    agent: Agent, customer: Customer
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        c, path = resolve(agent, customer)
        token = path.rstrip("/").rsplit("/", 1)[1]
        forged = path.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
        page = Client().get(forged)
        assert page.status_code == 410 and "not valid" in page.content.decode()
        other = rating_links.rating_token(conversation_id=c.pk + 1, resolved_event_id=1)
        assert Client().get(f"/care/rate/{other}/").status_code == 410
        clock.move_to(START + timedelta(days=rating_links.LINK_DAYS, minutes=1))
        page = Client().get(path)
        assert page.status_code == 410 and "expired" in page.content.decode()
    c2, path2 = resolve(agent, customer)
    services.conversation_reopen(conversation=c2, actor=agent.user, reason="not solved")
    page = Client().get(path2)
    assert page.status_code == 410 and "reopened" in page.content.decode()
    assert not Rating.objects.exists()


def test_a_back_dated_resolution_mails_no_one(agent: Agent, customer: Customer) -> None:
    c = make_conversation(customer=customer, at=START)
    mail.outbox.clear()
    services.conversation_resolve(conversation=c, agent=agent, at=START + timedelta(hours=1))
    assert not closings(c) and not mail.outbox


def test_a_lost_enqueue_is_made_good_by_the_sweep_once(agent: Agent, customer: Customer) -> None:
    jobs.unsubscribe(rating_links.CLOSING, closing_send_task)  # as if the queue had lost it
    try:
        c = make_conversation(customer=customer)
        services.conversation_resolve(conversation=c, agent=agent)
        assert not closings(c)
    finally:
        jobs.subscribe(rating_links.CLOSING, closing_send_task)
    assert rating_links.closings_missing_send() == 1
    assert rating_links.closings_missing_send() == 0
    assert len(closings(c)) == 1
