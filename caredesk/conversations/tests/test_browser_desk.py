"""In Chromium (issue 12): merge asks first and leaves a read-only page; a refused form, then a
reload, never shows a 405; "Take next" lands on the conversation's own address; the queue fits a
390-pixel phone with "Log out" on screen. Screenshots go to the test artifacts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from caredesk.conftest import BrowserSession
from caredesk.conversations.models import Conversation, Status
from caredesk.conversations.services import reply_send
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.tests.factories import AgentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_merge_needs_confirmation_and_leaves_a_read_only_page(
    open_browser: Any, team: Any, agent: Any
) -> None:
    customer = CustomerFactory.create(name="Ann Elm")
    stays = make_conversation(customer=customer, team=team, subject="Refund for order 1182")
    reply_send(conversation=stays, agent=agent, text="Refund sent today.", resolve=True)
    dup = make_conversation(customer=customer, team=team, subject="Still no refund")

    desk: BrowserSession = open_browser("agent-merge")
    desk.login(agent.user.email)
    desk.page.goto(f"/desk/c/{dup.pk}/")
    expect(desk.page.locator("#merge-target")).to_have_value("")  # nothing preselected
    desk.page.select_option("#merge-target", str(stays.pk))
    desk.page.click("#merge-review")
    expect(desk.page.locator("#merge-sides")).to_contain_text("Refund for order 1182")
    expect(desk.page.locator("#merge-sides")).to_contain_text("Still no refund")
    expect(desk.page.locator("#merge-reopens")).to_be_visible()
    desk.shot("merge-1-confirm")
    assert Conversation.objects.get(pk=dup.pk).merged_into_id is None

    desk.page.click("#merge-confirm")
    desk.page.wait_for_url(re.compile(rf"/desk/c/{stays.pk}/$"))
    expect(desk.page.locator("#status")).to_have_text("Open")  # reopened: the customer waits
    desk.shot("merge-2-remaining-open")

    desk.page.goto(f"/desk/c/{dup.pk}/")
    expect(desk.page.locator("#merged-notice a")).to_have_attribute("href", f"/desk/c/{stays.pk}/")
    for form in ("#reply-form", "#transfer-form", "#merge-form"):
        expect(desk.page.locator(form)).to_have_count(0)
    desk.shot("merge-3-read-only")
    assert Conversation.objects.get(pk=stays.pk).status == Status.OPEN


def test_a_refused_transfer_then_a_reload_shows_no_405(
    open_browser: Any, team: Any, agent: Any
) -> None:
    c = make_conversation(team=team, subject="Wi-fi drops at night")
    colleague = AgentFactory.create(teams=[team], user__first_name="Bea")

    desk: BrowserSession = open_browser("agent-reload")
    desk.login(agent.user.email)
    desk.page.goto(f"/desk/c/{c.pk}/")
    desk.page.select_option("#to-agent", str(colleague.pk))
    desk.page.click("#transfer-btn")  # no handoff note: refused
    expect(desk.page.locator("#transfer-form #transfer-error")).to_contain_text("handoff note")
    expect(desk.page.locator("#to-agent")).to_have_value(str(colleague.pk))
    assert desk.page.url.endswith(f"/desk/c/{c.pk}/")
    desk.shot("reload-1-error-in-place")

    response = desk.page.reload()
    assert response is not None and response.status == 200
    expect(desk.page.locator("h1")).to_contain_text("Wi-fi drops at night")
    desk.shot("reload-2-after-reload")

    # Typing a POST address into the bar (or an old bookmark) goes to the page, not a 405.
    response = desk.page.goto(f"/desk/c/{c.pk}/transfer/")
    assert response is not None and response.status == 200
    assert desk.page.url.endswith(f"/desk/c/{c.pk}/")


def test_take_next_lands_on_the_conversation_address(
    open_browser: Any, team: Any, agent: Any
) -> None:
    c = make_conversation(team=team, subject="Bill is twice what it should be")
    desk: BrowserSession = open_browser("agent-take-next")
    desk.login(agent.user.email)
    desk.page.goto("/desk/")
    desk.page.click("#take-next")
    desk.page.wait_for_url(re.compile(rf"/desk/c/{c.pk}/$"))
    expect(desk.page.locator("h1")).to_contain_text("Bill is twice")


def test_the_queue_fits_a_390_pixel_phone(open_browser: Any, team: Any, agent: Any) -> None:
    for i in range(3):
        make_conversation(
            team=team,
            subject=f"A rather long subject line about a broken router, number {i}",
            text="This is the third time I write. I will cancel my account and go elsewhere.",
        )
    desk: BrowserSession = open_browser("agent-phone")
    desk.page.set_viewport_size({"width": 390, "height": 844})
    desk.login(agent.user.email)
    desk.page.goto("/desk/")
    expect(desk.page.locator("table.inbox")).to_contain_text("may leave us")
    widths = desk.page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    logout = desk.page.get_by_role("button", name="Log out")
    box = logout.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    desk.shot("phone-queue-390")
