"""The demo mailbox: mail lands in a Maildir, the desk shows it, and an answer is sent by SMTP
(to a real server on 127.0.0.1) threaded to the mail it answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core import mail as django_mail
from django.test import Client
from django.urls import reverse

from caredesk.channels.email import mailbox as demo
from caredesk.channels.tests.email.test_outbound import FIRST_ID, Capture
from caredesk.conversations.models import Channel
from caredesk.conversations.services import reply_send
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent
from caredesk.tests.ports import free_port

pytestmark = pytest.mark.django_db

DESK = "support@demo.caredesk.test"


@pytest.fixture
def listener(settings: Any, tmp_path: Path) -> Iterator[Capture]:
    settings.CAREDESK_DEMO_MAILBOX = str(tmp_path / "mailbox")
    settings.EMAIL_BACKEND = "caredesk.channels.email.backends.MaildirBackend"
    settings.DEFAULT_FROM_EMAIL = DESK
    capture = Capture()
    controller = Controller(capture, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.CAREDESK_SMTPD = f"127.0.0.1:{controller.port}"
    try:
        yield capture
    finally:
        controller.stop()


def test_without_a_demo_mailbox_there_are_no_pages(settings: Any) -> None:
    settings.CAREDESK_DEMO_MAILBOX = None
    assert Client().get(reverse("outbound:mailbox")).status_code == 404


def test_account_mail_and_replies_land_in_the_mailbox_and_an_answer_is_threaded(
    listener: Capture, agent: Agent, team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    django_mail.send_mail("Confirm your address", "Follow this link.", None, ["new@example.test"])
    conversation = make_conversation(team=team, channel=Channel.EMAIL, external_id=FIRST_ID)
    with django_capture_on_commit_callbacks(execute=True):
        reply = reply_send(conversation=conversation, agent=agent, text="<b>Bold</b> move.")
    reply.refresh_from_db()
    client = Client()  # a visitor of the demo, not signed in (sign-up links must be readable)
    listing = client.get(reverse("outbound:mailbox")).content.decode()
    assert "Confirm your address" in listing and f"[#{conversation.pk}]" in listing

    box = demo.demo_mailbox()
    assert box is not None
    (key,) = [m.key for m in demo.mailbox_list(box) if f"[#{conversation.pk}]" in m.subject]
    page = client.get(reverse("outbound:mailbox_message", args=[key])).content.decode()
    assert reply.external_id.replace("<", "&lt;").replace(">", "&gt;") in page
    assert "<script" not in page.split('id="mail-html"')[-1].split("</div>")[0]

    empty = client.post(reverse("outbound:mailbox_answer", args=[key]), {"text": " "})
    assert empty.status_code == 400 and listener.mails == []
    sent = client.post(reverse("outbound:mailbox_answer", args=[key]), {"text": "Thanks!"})
    assert sent.status_code == 302
    (answer,) = listener.mails
    assert listener.envelopes == [[DESK]]
    assert answer["From"] == conversation.customer.email
    assert answer["Subject"] == f"Re: {conversation.subject} [#{conversation.pk}]"
    assert answer["In-Reply-To"] == reply.external_id
    assert answer["References"].split() == [FIRST_ID, reply.external_id]


def test_an_answer_to_a_listener_that_is_down_says_so_and_sends_nothing(
    listener: Capture, settings: Any, agent: Agent, team: Any
) -> None:
    django_mail.send_mail("Hello", "Text.", None, ["someone@example.test"])
    settings.CAREDESK_SMTPD = f"127.0.0.1:{free_port()}"  # nothing listens there
    box = demo.demo_mailbox()
    assert box is not None
    (summary,) = demo.mailbox_list(box)
    response = Client().post(
        reverse("outbound:mailbox_answer", args=[summary.key]), {"text": "Are you there?"}
    )
    assert response.status_code == 400
    assert "caredesk smtpd" in response.content.decode()
    assert "Are you there?" in response.content.decode()  # the text is kept on the page
    assert listener.mails == []


def test_production_refuses_a_demo_mailbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from caredesk import config

    monkeypatch.setenv("CAREDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CAREDESK_PRODUCTION", "1")
    monkeypatch.delenv("CAREDESK_DEBUG", raising=False)
    monkeypatch.delenv("CAREDESK_SECRET_KEY", raising=False)
    monkeypatch.setenv("CAREDESK_DEMO_MAILBOX", str(tmp_path / "mailbox"))
    with pytest.raises(ImproperlyConfigured, match="CAREDESK_DEMO_MAILBOX is for the demo"):
        config.load()
    monkeypatch.delenv("CAREDESK_PRODUCTION")
    assert config.load().demo_mailbox == tmp_path / "mailbox"
