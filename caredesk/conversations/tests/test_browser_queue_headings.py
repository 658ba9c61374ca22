"""In Chromium (issue 12's leftovers): the queue's headings ("Severity", "Status", "SLA") stay whole
words at 1280 pixels, and the queue still fits a 390-pixel phone. Screenshots go to the test
artifacts (queue-headings-1280-*.png, queue-headings-390-*.png)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from caredesk.conftest import BrowserSession
from caredesk.conversations.tests.factories import make_conversation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each heading's lines: the distinct tops of its text's boxes (a word broken in two has two).
HEADING_LINES = """() => [...document.querySelectorAll("table.inbox thead th")]
  .filter((th) => th.offsetParent !== null && th.textContent.trim())
  .map((th) => {
    const range = document.createRange();
    range.selectNodeContents(th);
    const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
    return [th.textContent.trim(), tops.size];
  })"""
SCROLL = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


def test_the_queue_headings_stay_whole_at_1280_and_the_queue_fits_390(
    open_browser: Any, team: Any, agent: Any
) -> None:
    for i in range(3):
        make_conversation(
            team=team,
            subject=f"A rather long subject line about a router that keeps rebooting, number {i}",
            text="This is the third time I write. I will cancel my account and go elsewhere.",
        )
    desk: BrowserSession = open_browser("agent-headings")
    desk.login(agent.user.email)
    desk.page.goto("/desk/")
    expect(desk.page.locator("table.inbox")).to_contain_text("may leave us")
    lines = dict(desk.page.evaluate(HEADING_LINES))
    assert {"Severity", "Status", "SLA"} <= set(lines), lines
    assert all(n == 1 for n in lines.values()), lines
    widths = desk.page.evaluate(SCROLL)
    assert widths[0] <= widths[1], widths
    desk.shot("queue-headings-1280")

    desk.page.set_viewport_size({"width": 390, "height": 844})
    desk.page.reload()
    expect(desk.page.locator("table.inbox")).to_contain_text("may leave us")
    widths = desk.page.evaluate(SCROLL)
    assert widths[0] <= widths[1], widths
    desk.shot("queue-headings-390")
