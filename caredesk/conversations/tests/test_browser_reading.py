"""In Chromium: an angry message arrives, the inbox shows its reading and risk signals, and the
conversation page marks the words behind them."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANGRY = (
    "This is the third time I'm writing about this and I am absolutely furious. "
    "Nobody has fixed the billing error and if it isn't sorted I will cancel my account."
)


def test_angry_message_is_read_and_shown(open_browser: Any, customer: Any, agent: Any) -> None:
    cust = open_browser("customer-angry")
    cust.login(customer.user.email)
    cust.page.goto("/portal/new/")
    cust.page.fill("#subject", "Billing error, again")
    cust.page.fill("#text", ANGRY)
    cust.page.click("#send")
    cust.page.wait_for_selector("#timeline")

    desk = open_browser("agent-reading")
    desk.login(agent.user.email)
    desk.page.goto("/desk/")
    row = desk.page.locator("table.inbox tbody tr", has_text="Billing error, again")
    reading = row.locator(".reading")
    assert reading.inner_text().split()[0] in {"anger", "frustration"}
    assert row.locator(".sig-repeated_contact").count() == 1
    assert row.locator(".sig-churn_intent").count() == 1
    desk.shot("reading-1-inbox")

    row.locator("a").first.click()
    desk.page.wait_for_selector("#timeline")
    marks = desk.page.locator(".msg-inbound mark.evidence")
    labels = {marks.nth(i).get_attribute("data-label") for i in range(marks.count())}
    assert {"repeated_contact", "churn_intent"} <= labels
    assert (
        "third time"
        in desk.page.locator(".msg-inbound mark.evidence[data-label=repeated_contact]")
        .first.inner_text()
        .lower()
    )
    desk.shot("reading-2-evidence")
