"""The demo's e-mail loop in Debian's Chromium: an agent replies on the desk, the reply lands in
the demo mailbox, the customer answers it there, and the answer goes by SMTP to the desk's own
listener (`caredesk smtpd`'s handler on 127.0.0.1) and threads into the same conversation."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from caredesk.channels.email.smtpd import DeskHandler
from caredesk.channels.tests.email.test_outbound import FIRST_ID
from caredesk.conversations.models import Channel, Delivery, Direction
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.models import Agent, Team
from caredesk.tests.ports import free_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESK = "support@demo.caredesk.test"


@pytest.fixture
def demo_mailbox(settings: Any, tmp_path: Path) -> Iterator[None]:
    """The demo's settings: mail into a Maildir, answers to the desk's SMTP listener."""
    settings.CAREDESK_DEMO_MAILBOX = str(tmp_path / "mailbox")
    settings.EMAIL_BACKEND = "caredesk.channels.email.backends.MaildirBackend"
    settings.DEFAULT_FROM_EMAIL = DESK
    settings.CAREDESK_DESK_ADDRESSES = [DESK]
    with ThreadPoolExecutor(max_workers=1) as executor:
        controller = Controller(
            DeskHandler([DESK], executor), hostname="127.0.0.1", port=free_port()
        )
        controller.start()
        settings.CAREDESK_SMTPD = f"127.0.0.1:{controller.port}"
        try:
            yield
        finally:
            controller.stop()


def test_the_demo_mailbox_shows_the_reply_and_the_customers_answer_threads_back(
    open_browser: Any, demo_mailbox: None, agent: Agent, team: Team
) -> None:
    customer = CustomerFactory(user=None, name="Rosa Diaz")  # wrote by e-mail, no portal login
    conversation = make_conversation(
        customer=customer,
        team=team,
        subject="Printer jam",
        channel=Channel.EMAIL,
        external_id=FIRST_ID,
    )

    # 1. The agent replies on the desk; the reply is e-mailed (into the demo mailbox).
    ana = open_browser("agent-mail")
    ana.login(agent.user.email)
    ana.page.goto(f"/desk/c/{conversation.pk}/")
    ana.page.fill("#reply-text", "Sorry about the jam. Please open tray 2 and remove the sheet.")
    ana.page.click("#send-reply")
    ana.page.wait_for_selector("text=Reply sent.")
    reply = conversation.messages.get(direction=Direction.OUTBOUND)
    assert reply.delivery_status == Delivery.SENT
    assert "E-mailed to the customer" in ana.page.inner_text(f"#delivery-{reply.pk}")

    # 2. The demo mailbox lists it; opened, it shows the text, the HTML and the threading headers.
    box = open_browser("demo-mailbox")
    box.page.goto("/demo/mailbox/")
    subject = f"Re: Printer jam [#{conversation.pk}]"
    assert subject in box.page.inner_text("#mailbox")
    box.page.click(f"text={subject}")
    box.page.wait_for_selector("#mail-headers")
    headers = box.page.inner_text("#mail-headers")
    assert reply.external_id in headers and FIRST_ID in headers
    assert "remove the sheet" in box.page.inner_text("#mail-html")
    assert "remove the sheet" in box.page.inner_text("#mail-text")
    box.shot("mail-1-demo-mailbox-reply")

    # 3. Answered as the customer: by SMTP to the desk's listener, which stores it before its 250.
    box.page.fill("#answer-text", "Thank you, that fixed it!")
    box.page.click("#answer-send")
    box.page.wait_for_selector("text=Your answer was sent to the desk")
    box.shot("mail-2-demo-mailbox-answered")
    answer = conversation.messages.filter(direction=Direction.INBOUND).latest("pk")
    assert "that fixed it" in answer.text and answer.external_id != FIRST_ID

    # 4. The agent sees the answer in the same conversation.
    ana.page.reload()
    assert "that fixed it" in ana.page.inner_text("#timeline")
    ana.shot("mail-3-answer-threaded")
