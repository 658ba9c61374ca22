"""In Chromium (issue 12): two agents on one conversation see each other (and who is typing), and
the second, replying after the customer wrote again, is asked to look first; a transfer notifies
the receiving agent in the header. Screenshots go to the test artifacts."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from caredesk.conftest import BrowserSession
from caredesk.conversations.models import Direction
from caredesk.conversations.services import customer_message_add
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.tests.factories import AgentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_two_agents_see_each_other_and_the_second_looks_before_sending(
    open_browser: Any, team: Any, agent: Any
) -> None:
    bea = AgentFactory.create(teams=[team], user__first_name="Bea", user__last_name="Moore")
    c = make_conversation(team=team, subject="Router blinks red")

    ada: BrowserSession = open_browser("agent-ada-collision")
    ada.login(agent.user.email)
    ada.page.goto(f"/desk/c/{c.pk}/")
    second: BrowserSession = open_browser("agent-bea-collision")
    second.login(bea.user.email)
    second.page.goto(f"/desk/c/{c.pk}/")

    expect(ada.page.locator("#presence")).to_contain_text("Bea Moore is viewing", timeout=12_000)
    second.page.fill("#reply-text", "Please restart the router and tell me the colour.")
    expect(ada.page.locator("#presence")).to_contain_text("is typing a reply", timeout=12_000)
    ada.shot("collision-1-colleague-typing")

    customer_message_add(conversation=c, text="It went green by itself, all fine now!", author=None)
    second.page.click("#send-reply")
    expect(second.page.locator("#new-since")).to_contain_text("It went green by itself")
    expect(second.page.locator("#reply-text")).to_have_value(
        "Please restart the router and tell me the colour."
    )
    assert not c.messages.filter(direction=Direction.OUTBOUND).exists()
    second.shot("collision-2-look-first")

    second.page.fill("#reply-text", "Glad to hear it is green again!")
    second.page.click("#send-anyway")
    expect(second.page.locator("#timeline")).to_contain_text("Glad to hear it is green again!")
    assert c.messages.filter(direction=Direction.OUTBOUND).count() == 1


def test_a_transfer_notifies_the_receiving_agent(open_browser: Any, team: Any, agent: Any) -> None:
    bea = AgentFactory.create(teams=[team], user__first_name="Bea")
    c = make_conversation(team=team, subject="Invoice in the wrong currency")

    desk: BrowserSession = open_browser("agent-transfer-notify")
    desk.login(agent.user.email)
    desk.page.goto(f"/desk/c/{c.pk}/")
    desk.page.select_option("#to-agent", str(bea.pk))
    desk.page.fill("#handoff-note", "Customer wants euros; finance approved the credit note.")
    desk.page.click("#transfer-btn")
    expect(desk.page.locator(".flash")).to_contain_text("Transferred to Bea")

    other: BrowserSession = open_browser("agent-bea-notified")
    other.login(bea.user.email)
    other.page.goto("/desk/")
    expect(other.page.locator("#notification-count")).to_contain_text("1")
    other.shot("notify-1-unread-count")
    other.page.click("#notifications-link")
    expect(other.page.locator("#notifications")).to_contain_text("Transferred to you")
    expect(other.page.locator("#notifications")).to_contain_text("finance approved")
    other.page.click(f"#notifications a[href='/desk/c/{c.pk}/']")
    expect(other.page.locator("h1")).to_contain_text("Invoice in the wrong currency")
    other.shot("notify-2-opened")
    other.page.goto("/desk/")
    expect(other.page.locator("#unread-count")).to_have_count(0)
