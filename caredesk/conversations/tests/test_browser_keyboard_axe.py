"""In Chromium (issue 12): the desk works from the keyboard (shortcuts with a "?" help), and
axe-core finds no serious or critical accessibility violation on the five main pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from caredesk.conftest import BrowserSession
from caredesk.conversations.models import Status
from caredesk.conversations.services import customer_message_add, reply_send
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERIOUS = {"serious", "critical"}


def _axe_violations(page: Any) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


def test_the_desk_works_from_the_keyboard(open_browser: Any, team: Any, agent: Any) -> None:
    first = make_conversation(team=team, subject="Router blinks red")
    desk: BrowserSession = open_browser("agent-keyboard")
    desk.login(agent.user.email)
    desk.page.goto("/desk/mine/")

    desk.page.keyboard.press("?")
    expect(desk.page.locator("#shortcuts-help")).to_be_visible()
    desk.shot("keyboard-1-help")
    desk.page.keyboard.press("Escape")
    expect(desk.page.locator("#shortcuts-help")).to_be_hidden()

    desk.page.keyboard.press("g")
    desk.page.keyboard.press("q")
    desk.page.wait_for_url(re.compile(r"/desk/$"))
    desk.page.keyboard.press("n")  # take the next conversation
    desk.page.wait_for_url(re.compile(rf"/desk/c/{first.pk}/$"))

    desk.page.keyboard.press("r")
    expect(desk.page.locator("#reply-text")).to_be_focused()
    desk.page.keyboard.type("We are on it")  # typing "e" here resolves nothing
    desk.page.keyboard.press("Escape")
    desk.page.keyboard.press("i")
    expect(desk.page.locator("#note-text")).to_be_focused()
    desk.page.keyboard.press("Escape")
    desk.page.keyboard.press("/")
    expect(desk.page.locator("#header-search")).to_be_focused()
    desk.page.keyboard.press("Escape")
    desk.page.keyboard.press("e")  # resolving asks first; Esc says no
    expect(desk.page.locator("#resolve-confirm")).to_be_visible()
    expect(desk.page.locator("#resolve-confirm-btn")).to_be_focused()
    desk.shot("keyboard-2-resolve-asks")
    desk.page.keyboard.press("?")  # the question keeps the keyboard
    expect(desk.page.locator("#shortcuts-help")).to_be_hidden()
    desk.page.keyboard.press("Escape")
    expect(desk.page.locator("#resolve-confirm")).to_be_hidden()
    first.refresh_from_db()
    assert first.status != Status.RESOLVED
    desk.page.keyboard.press("e")
    desk.page.keyboard.press("Enter")
    expect(desk.page.locator("#status")).to_have_text("Resolved")
    first.refresh_from_db()
    assert first.status == Status.RESOLVED


def test_axe_finds_no_serious_violation_on_the_five_main_pages(
    open_browser: Any, team: Any, agent: Any
) -> None:
    customer = CustomerFactory.create(name="Ann Elm")
    c = make_conversation(
        customer=customer,
        team=team,
        subject="Router blinks red",
        text="This is the third time I write. I will cancel my account and go elsewhere.",
    )
    reply_send(conversation=c, agent=agent, text="I am sorry; an engineer comes on Monday.")
    customer_message_add(conversation=c, text="Thank you, that helps.", author=customer.user)

    visitor: BrowserSession = open_browser("visitor-axe")
    visitor.page.goto("/login/")
    found = {"login": _axe_violations(visitor.page)}

    desk: BrowserSession = open_browser("agent-axe")
    desk.login(agent.user.email)
    for name, url in (
        ("queue", "/desk/"),
        ("conversation", f"/desk/c/{c.pk}/"),
        ("customer", f"/desk/customers/{customer.pk}/"),
    ):
        desk.page.goto(url)
        found[name] = _axe_violations(desk.page)

    assert customer.user is not None
    portal: BrowserSession = open_browser("customer-axe")
    portal.login(customer.user.email)
    portal.page.goto(f"/portal/c/{c.pk}/")
    found["portal"] = _axe_violations(portal.page)
    assert not any(found.values()), found
