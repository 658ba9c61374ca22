"""In Chromium (issue 12): the reply box keeps the cursor in the text after a rewrite or a saved
reply goes in, names findings in words, and offers saved replies with search from the start."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from caredesk.conftest import BrowserSession
from caredesk.conversations.tests.factories import make_conversation
from caredesk.replies.tests.factories import SavedReplyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_reply_box_keeps_focus_and_speaks_in_words(
    open_browser: Any, team: Any, agent: Any
) -> None:
    c = make_conversation(team=team, subject="Router blinks red", text="My router is broken.")
    SavedReplyFactory.create(title="Refund on its way", body="Your refund is on its way.")
    SavedReplyFactory.create(title="Engineer visit booked", body="An engineer comes on Monday.")

    desk: BrowserSession = open_browser("agent-reply-box")
    desk.login(agent.user.email)
    desk.page.goto(f"/desk/c/{c.pk}/")
    expect(desk.page.locator("#saved-reply")).to_be_visible()  # before any rewrite
    desk.page.fill("#saved-reply-q", "engineer")
    expect(desk.page.locator("#saved-reply")).to_have_value(
        desk.page.locator("#saved-reply option", has_text="Engineer visit").get_attribute("value")
        or ""
    )
    desk.page.click("#insert-saved-reply")
    expect(desk.page.locator("#reply-text")).to_have_value(re.compile("engineer comes on Monday"))
    expect(desk.page.locator("#reply-text")).to_be_focused()
    desk.shot("reply-box-1-saved-reply-inserted")

    desk.page.fill("#reply-text", "That's not my job.")
    finding = desk.page.locator("#coach-findings li[data-category=no_apology]")
    expect(finding.locator("strong")).to_have_text("Apology missing")
    finding.locator("button.rewrite").first.click()
    expect(desk.page.locator("#coach-findings li[data-category=no_apology]")).to_have_count(0)
    expect(desk.page.locator("#reply-text")).to_be_focused()
    desk.shot("reply-box-2-rewrite-applied")
