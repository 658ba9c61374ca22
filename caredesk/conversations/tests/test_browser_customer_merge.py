"""In Chromium (issue 9, point 7): a lead finds the same person's second record by e-mail from
the customer's page, compares the two, confirms, and lands on the customer that remains with
every conversation; the merged record's old address leads there too."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from caredesk.conftest import BrowserSession
from caredesk.conversations.models import Event, EventKind
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.customers.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _serious_axe_violations(page: Any) -> list[str]:
    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]


def test_a_lead_merges_two_customers_from_the_desk(open_browser: Any, team: Any, lead: Any) -> None:
    ann = CustomerFactory(name="Ann Lee")
    work = CustomerFactory(user=None, name="A. Lee", email="ann.lee@work.test")
    make_conversation(customer=ann, team=team, subject="Refund for order 4411")
    make_conversation(customer=work, team=team, subject="Delivery to the office")

    desk: BrowserSession = open_browser("lead-customer-merge")
    desk.login(lead.user.email)
    desk.page.goto(f"/desk/customers/{ann.pk}/")
    desk.page.click("#customer-merge")
    desk.page.wait_for_url(re.compile(rf"/desk/customers/{ann.pk}/merge/$"))
    desk.page.fill("#customer-merge-q", "ann.lee@work")
    desk.page.press("#customer-merge-q", "Enter")
    results = desk.page.locator("#customer-merge-results li")
    expect(results).to_have_count(1)
    expect(results).to_contain_text("ann.lee@work.test")
    desk.shot("customer-merge-1-search")
    assert _serious_axe_violations(desk.page) == []
    results.get_by_role("link").click()

    desk.page.wait_for_url(
        re.compile(rf"/desk/customers/{ann.pk}/merge/confirm/\?other={work.pk}$")
    )
    expect(desk.page.locator("#customer-merge-sides .merge-side")).to_have_count(2)
    expect(desk.page.locator("#customer-merge-outcome")).to_contain_text(
        f"Ann Lee (#{ann.pk}) remains"
    )
    desk.shot("customer-merge-2-compare")
    assert _serious_axe_violations(desk.page) == []
    assert Customer.objects.filter(pk=work.pk).exists()  # nothing merged before the confirmation
    desk.page.click("#customer-merge-confirm")

    desk.page.wait_for_url(re.compile(rf"/desk/customers/{ann.pk}/$"))
    expect(desk.page.locator(".flash")).to_contain_text("Merged A. Lee")
    expect(desk.page.locator("#conversation-count")).to_have_text("2")
    expect(desk.page.locator("#profile")).to_contain_text("ann.lee@work.test")
    expect(desk.page.locator("#customer-history")).to_contain_text("Delivery to the office")
    desk.shot("customer-merge-3-merged")
    assert Event.objects.filter(kind=EventKind.CUSTOMER_MERGED).count() == 2

    desk.page.goto(f"/desk/customers/{work.pk}/")
    desk.page.wait_for_url(re.compile(rf"/desk/customers/{ann.pk}/$"))
    expect(desk.page.locator(".flash")).to_contain_text(f"Customer #{work.pk} was merged")
