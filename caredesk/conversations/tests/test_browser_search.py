"""In Chromium (issue 12): the header's search box finds a conversation by a word that is only in
its third message, marks the word, and the result opens the conversation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from caredesk.conftest import BrowserSession
from caredesk.conversations.services import customer_message_add, reply_send
from caredesk.conversations.tests.factories import make_conversation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_header_search_finds_a_word_in_the_third_message(
    open_browser: Any, team: Any, agent: Any
) -> None:
    c = make_conversation(team=team, subject="Order 4411", text="My order has not come.")
    reply_send(conversation=c, agent=agent, text="Sorry, let me look.", resolve=False)
    customer_message_add(conversation=c, text="It was left with the concierge.", author=None)
    make_conversation(team=team, subject="Another order", text="Nothing about it here.")

    desk: BrowserSession = open_browser("agent-search")
    desk.login(agent.user.email)
    desk.page.goto("/desk/")
    desk.page.fill("#header-search", "concierge")
    desk.page.press("#header-search", "Enter")
    desk.page.wait_for_url(re.compile(r"/desk/search/\?q=concierge$"))
    results = desk.page.locator("#results-conversations li")
    expect(results).to_have_count(1)
    expect(results.locator("mark")).to_have_text("concierge")
    desk.shot("search-1-results")
    results.locator("a").click()
    desk.page.wait_for_url(re.compile(rf"/desk/c/{c.pk}/$"))
