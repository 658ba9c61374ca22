"""Outbound e-mail against a real SMTP server on 127.0.0.1 (aiosmtpd), never a mock.

An agent's reply reaches the customer threaded to their mail; a server that refuses connections
gets retries with backoff, then a failed state the desk shows, and a retry by hand sends it.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from caredesk.channels.email import outbound
from caredesk.channels.email import tasks as mail_tasks
from caredesk.channels.email.parse import synthetic_message_id
from caredesk.conftest import login
from caredesk.conversations.models import Channel, Conversation, Delivery, EventKind, Message
from caredesk.conversations.services import care_message_send, customer_message_add, reply_send
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent
from caredesk.tests.ports import free_port
from caredesk.tests.smtp import Capture

pytestmark = pytest.mark.django_db

FIRST_ID = "<first.4711@mail.example.org>"
SECOND_ID = "<second.4712@mail.example.org>"


def email_conversation(team: Any) -> Conversation:
    """A conversation that came in by e-mail and got a second mail: ids as inbound stores them."""
    conversation = make_conversation(
        team=team, subject="Printer jam", channel=Channel.EMAIL, external_id=FIRST_ID
    )
    customer_message_add(
        conversation=conversation,
        text="It jams again on page two.",
        author=None,
        channel=Channel.EMAIL,
        external_id=SECOND_ID,
    )
    return conversation


def test_the_agents_reply_arrives_threaded_with_text_html_and_attachment(
    smtp_server: Capture, agent: Agent, team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    conversation = email_conversation(team)
    client = login(Client(), agent.user.email)
    manual = SimpleUploadedFile("manual.pdf", b"%PDF-1.4 fuser", content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("desk:reply", args=[conversation.pk]),
            {
                "text": "Sorry about that.\n\nPlease clean the *fuser* as shown.",
                "attachments": manual,
            },
        )
    assert response.status_code == 302

    reply = conversation.messages.get(direction="outbound")
    (mail,) = smtp_server.mails
    assert smtp_server.envelopes == [[conversation.customer.email]]
    assert mail["Subject"] == f"Re: Printer jam [#{conversation.pk}]"
    assert mail["Message-ID"] == reply.external_id and reply.external_id.endswith(
        "@desk.example.com>"
    )
    assert mail["In-Reply-To"] == SECOND_ID
    assert mail["References"].split() == [FIRST_ID, SECOND_ID]
    assert mail["From"] == mail["Reply-To"] == "support@desk.example.com"
    assert mail["Auto-Submitted"] is None  # a person wrote it: auto-responders may answer
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None and "clean the *fuser*" in text.get_content()
    assert html is not None and "<p>" in html.get_content() and "<script" not in html.get_content()
    (attachment,) = mail.iter_attachments()
    assert attachment.get_filename() == "manual.pdf"
    assert attachment.get_content() == b"%PDF-1.4 fuser"
    assert (reply.delivery_status, reply.delivery_attempts) == (Delivery.SENT, 1)
    assert reply.delivered_at is not None

    page = client.get(reverse("desk:conversation", args=[conversation.pk])).content.decode()
    assert f'id="delivery-{reply.pk}"' in page and "E-mailed to the customer" in page


def _run_scheduled_retries() -> list[int]:
    """Run what Huey scheduled, as the consumer would once each eta passes; the delays it chose."""
    delays: list[int] = []
    for _ in range(50):  # far more rounds than retries: a loop that never ends fails instead
        scheduled = HUEY.scheduled()
        if not scheduled:
            return delays
        delays += [int(task.retry_delay) for task in scheduled]
        for task in HUEY.read_schedule(max(t.eta for t in scheduled)):
            HUEY.execute(task, timestamp=task.eta)  # as if its time had come
    raise AssertionError(f"Huey kept scheduling retries: {delays}")


def test_a_refused_connection_is_retried_with_backoff_then_failed_and_visible_then_resent(
    settings: Any,
    agent: Agent,
    team: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    HUEY.storage.flush_schedule()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    conversation = email_conversation(team)
    with django_capture_on_commit_callbacks(execute=True):
        reply = reply_send(conversation=conversation, agent=agent, text="We are on it.")
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.RETRYING and reply.delivery_attempts == 1
    assert "refused" in reply.delivery_error.lower()
    client = login(Client(), agent.user.email)
    page = client.get(reverse("desk:conversation", args=[conversation.pk])).content.decode()
    assert "Not delivered yet, retrying" in page

    delays = _run_scheduled_retries()
    # Each retry waits twice as long as the one before (the delay Huey will use next time).
    first = mail_tasks.RETRY_DELAY * mail_tasks.RETRY_BACKOFF
    assert delays == [first * mail_tasks.RETRY_BACKOFF**n for n in range(mail_tasks.RETRIES)]
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.FAILED
    assert reply.delivery_attempts == 1 + mail_tasks.RETRIES
    assert "refused" in reply.delivery_error.lower()
    page = client.get(reverse("desk:conversation", args=[conversation.pk])).content.decode()
    assert "E-mail failed" in page and f'id="send-again-{reply.pk}"' in page

    capture = Capture()
    controller = Controller(capture, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.EMAIL_PORT = controller.port
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("outbound:delivery_retry", args=[reply.pk]))
    finally:
        controller.stop()
    assert response.status_code == 302
    (mail,) = capture.mails
    assert mail["Message-ID"] == reply.external_id  # the same mail, not a new one
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.SENT and reply.delivery_error == ""


def test_only_the_author_or_a_lead_may_send_again_and_a_sent_reply_is_not_sent_twice(
    smtp_server: Capture,
    agent: Agent,
    lead: Agent,
    team: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from caredesk.people.tests.factories import AgentFactory

    colleague = AgentFactory(teams=[team])
    conversation = email_conversation(team)
    with django_capture_on_commit_callbacks(execute=True):
        reply = reply_send(conversation=conversation, agent=agent, text="Done.")
    Message.objects.filter(pk=reply.pk).update(delivery_status=Delivery.FAILED)
    url = reverse("outbound:delivery_retry", args=[reply.pk])
    assert login(Client(), colleague.user.email).post(url).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert login(Client(), lead.user.email).post(url).status_code == 302
    assert len(smtp_server.mails) == 2
    with django_capture_on_commit_callbacks(execute=True):
        login(Client(), agent.user.email).post(url)  # sent already: refused with a notice
    assert len(smtp_server.mails) == 2


def test_portal_confirmation_and_the_leads_alert_leave_by_the_same_path(
    smtp_server: Capture, lead: Agent, team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        conversation = make_conversation(
            team=team,
            subject="Refund",
            text="Three weeks without my refund. My lawyer will be in touch!",
        )
    by_recipient = {
        tuple(e): m for e, m in zip(smtp_server.envelopes, smtp_server.mails, strict=True)
    }
    confirmation = by_recipient[(conversation.customer.email,)]
    alert = by_recipient[(lead.user.email,)]
    assert confirmation["Subject"] == f"We have your message: Refund [#{conversation.pk}]"
    assert alert["Subject"] == f"[Caredesk] Urgent: #{conversation.pk} Refund"
    for mail in (confirmation, alert):
        assert mail["Message-ID"].endswith("@desk.example.com>")
        assert mail["Auto-Submitted"] == "auto-generated"  # never answered by an auto-responder


def test_back_dated_events_mail_no_one(
    smtp_server: Capture, agent: Agent, team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    long_ago = timezone.now() - timedelta(days=400)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = make_conversation(team=team, at=long_ago)  # an import of old history
        reply = reply_send(conversation=conversation, agent=agent, text="Old answer.", at=long_ago)
    assert smtp_server.mails == []
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.NONE


def test_a_reply_whose_enqueue_was_lost_is_sent_by_the_sweep(
    smtp_server: Capture, agent: Agent, team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    conversation = email_conversation(team)
    with django_capture_on_commit_callbacks(execute=False):  # the enqueue is lost
        reply = reply_send(conversation=conversation, agent=agent, text="Fixed now.")
    outbound.message_delivery_queue(message_id=reply.pk)  # queued, but no worker got it
    assert smtp_server.mails == []
    with django_capture_on_commit_callbacks(execute=True):
        assert outbound.lost_deliveries_requeue() == 0  # too recent: the worker may be busy
        Message.objects.filter(pk=reply.pk).update(
            created_at=timezone.now() - timedelta(minutes=30)
        )
        assert outbound.lost_deliveries_requeue() == 1
    (mail,) = smtp_server.mails
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.SENT and mail["Message-ID"] == reply.external_id


def test_a_reply_whose_worker_died_mid_send_is_sent_by_the_sweep_once(
    smtp_server: Capture, agent: Agent, team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    conversation = email_conversation(team)
    with django_capture_on_commit_callbacks(execute=False):  # the worker takes it below
        reply = reply_send(conversation=conversation, agent=agent, text="Fixed now.")
    outbound.message_delivery_queue(message_id=reply.pk)
    # What a worker killed during the SMTP send leaves: its attempt claimed, no outcome, and
    # its task gone with it.
    claimed = timezone.now() - timedelta(minutes=2)
    Message.objects.filter(pk=reply.pk).update(delivery_attempts=1, delivery_claimed_at=claimed)
    with django_capture_on_commit_callbacks(execute=True):
        # While the claim is fresh the send may still be running: nothing is queued again, and
        # a second task given the message sends nothing.
        assert outbound.lost_deliveries_requeue(older_than=timedelta(0)) == 0
        assert outbound.message_deliver(message_id=reply.pk, final=False) == Delivery.QUEUED
        assert smtp_server.mails == []
        Message.objects.filter(pk=reply.pk).update(
            delivery_claimed_at=timezone.now() - outbound.STUCK_AFTER - timedelta(minutes=1)
        )
        assert outbound.lost_deliveries_requeue() == 1
    (mail,) = smtp_server.mails
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.SENT and mail["Message-ID"] == reply.external_id
    assert reply.delivery_attempts == 2 and reply.delivery_claimed_at is None
    with django_capture_on_commit_callbacks(execute=True):
        assert outbound.lost_deliveries_requeue(stuck_after=timedelta(0)) == 0
    assert len(smtp_server.mails) == 1


def test_the_sweep_leaves_the_normal_retry_path_alone(
    settings: Any, agent: Agent, team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A failed attempt ends its claim: its retry is Huey's (scheduled with backoff), and the
    sweep, however short its windows, never adds a second one."""
    from datetime import timedelta

    HUEY.storage.flush_schedule()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    conversation = email_conversation(team)
    with django_capture_on_commit_callbacks(execute=True):
        reply = reply_send(conversation=conversation, agent=agent, text="We are on it.")
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.RETRYING and reply.delivery_attempts == 1
    assert reply.delivery_claimed_at is None
    swept = outbound.lost_deliveries_requeue(older_than=timedelta(0), stuck_after=timedelta(0))
    assert swept == 0
    assert HUEY.scheduled_count() == 1  # only Huey's own retry
    HUEY.storage.flush_schedule()


def test_a_message_the_desk_sends_by_itself_is_marked_automatic(
    smtp_server: Capture, team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A status update reaches the customer's server as auto-generated mail (RFC 3834), like
    the desk's notifications, so an out-of-office answer does not come back to the desk."""
    conversation = email_conversation(team)
    with django_capture_on_commit_callbacks(execute=True):
        message = care_message_send(
            conversation=conversation,
            kind=EventKind.UPDATE_SENT,
            text="We are still on it; you will hear from us again by tomorrow.",
        )
        outbound.message_delivery_queue(message_id=message.pk)
    (mail,) = smtp_server.mails
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["In-Reply-To"] == SECOND_ID  # still threaded like a reply


def test_an_id_the_desk_made_up_is_never_quoted_back_to_the_customer() -> None:
    """A mail that came without a Message-ID is known by a made-up one; a reply's In-Reply-To
    and References name only ids that really travelled."""
    made_up = synthetic_message_id(b"a mail without a Message-ID")
    conversation = make_conversation(channel=Channel.EMAIL, external_id=made_up)
    assert outbound.thread_ids(conversation) == []
    customer_message_add(
        conversation=conversation,
        text="And the second mail had one.",
        author=conversation.customer.user,
        channel=Channel.EMAIL,
        external_id="<second@mail.example.com>",
    )
    assert outbound.thread_ids(conversation) == ["<second@mail.example.com>"]
