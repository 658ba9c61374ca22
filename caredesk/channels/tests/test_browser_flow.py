"""End to end in Debian's Chromium: portal → queue → warm transfer → reply → rating."""

from __future__ import annotations

from typing import Any

import pytest

from caredesk.conversations.models import Conversation
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# size: one customer's whole journey through two agents, in numbered steps; it is the point.
def test_customer_to_agent_to_agent_and_back(open_browser: Any, customer: Any, team: Team) -> None:
    first = AgentFactory.create(teams=[team], user__first_name="Ana", user__last_name="Silva")
    second = AgentFactory.create(teams=[team], user__first_name="Ben", user__last_name="Okafor")

    # 1. The customer opens a conversation and sees an honest queue position.
    cust = open_browser("customer")
    cust.login(customer.user.email)
    cust.page.goto("/portal/new/")
    cust.page.fill("#subject", "Charged twice for my March invoice")
    cust.page.fill(
        "#text", "Hello, my card was charged twice for invoice 1043. Can you refund one?"
    )
    cust.page.click("#send")
    cust.page.wait_for_selector("#queue-position")
    assert "number 1" in cust.page.inner_text("#queue-position")
    assert "Not enough data yet" in cust.page.inner_text("#wait-estimate")
    cust.shot("1-portal-queue-position")

    # 2. The first agent takes it from the queue and transfers it warmly, with a note.
    ana = open_browser("agent-ana")
    ana.login(first.user.email)
    ana.page.goto("/desk/")
    assert "Charged twice" in ana.page.inner_text("table.inbox")
    ana.page.click("#take-next")
    ana.page.wait_for_selector("h1:has-text('Charged twice')")
    ana.page.select_option("#to-agent", str(second.pk))
    ana.page.click("#transfer-btn")  # no note: refused, nothing lost
    ana.page.wait_for_selector("#transfer-error")
    assert "handoff note" in ana.page.inner_text("#transfer-error")
    ana.shot("2a-transfer-refused-without-note")
    ana.page.select_option("#to-agent", str(second.pk))
    ana.page.fill("#handoff-note", "Duplicate charge confirmed in Stripe; Ben please refund one.")
    ana.page.click("#transfer-btn")
    ana.page.wait_for_selector("#handoff")
    ana.shot("2b-transferred-with-note")

    # 3. The second agent sees the handoff note first and replies.
    ben = open_browser("agent-ben")
    ben.login(second.user.email)
    ben.page.goto("/desk/mine/")
    ben.page.click("text=Charged twice for my March invoice")
    handoff = ben.page.locator("#handoff")
    assert "Ben please refund one" in handoff.inner_text()
    first_box = ben.page.locator("main .conv-main > *").first
    assert first_box.get_attribute("id") == "handoff"
    ben.page.fill(
        "#reply-text",
        "Thank you for your patience. I've refunded the duplicate "
        "charge; it will show on your card within 3 days.",
    )
    ben.page.check("input[name=resolve]")
    ben.page.click("#send-reply")
    ben.page.wait_for_selector("text=Reply sent.")
    ben.shot("3-second-agent-replied")

    # 4. The customer sees the reply and rates it.
    cust.page.reload()
    assert "refunded the duplicate charge" in cust.page.inner_text("#timeline")
    cust.page.check("input[name=satisfaction][value='5']")
    cust.page.check("input[name=effort][value='1']")
    cust.page.fill("textarea[name=comment]", "Quick and kind.")
    cust.page.click("#rate-btn")
    cust.page.wait_for_selector("text=Thank you for telling us how we did.")
    cust.shot("4-customer-rated")

    conversation = Conversation.objects.get()
    assert conversation.rating.satisfaction == 5
    assert conversation.owner == second


def test_script_payloads_never_run(open_browser: Any, customer: Any, agent: Agent) -> None:
    payload = (
        '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2;alert(2)</script>'
    )
    cust = open_browser("customer-xss")
    cust.login(customer.user.email)
    cust.page.goto("/portal/new/")
    cust.page.fill("#subject", "Hi " + payload)
    cust.page.fill("#text", "Body " + payload)
    cust.page.click("#send")
    cust.page.wait_for_selector("#timeline")
    desk = open_browser("agent-xss")
    desk.login(agent.user.email)
    desk.page.goto("/desk/")
    desk.page.click("a:has-text('Hi <img')")
    desk.page.wait_for_selector("#timeline")
    cust.shot("xss-portal")
    desk.shot("xss-desk")
    for session in (cust, desk):
        assert session.page.evaluate("window.__xss") is None
        assert session.dialogs == []
    assert "<script>" in desk.page.inner_text("#timeline")  # shown as text, inert
