"""The upload page in Debian's Chromium: the worker imports while htmx polls a live progress bar,
then the page shows the per-row report; no inline script (the page's CSP would block it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from huey.contrib.djhuey import HUEY
from playwright.sync_api import expect

from caredesk.channels.csv_models import CsvImport, ImportState
from caredesk.channels.tests.test_csv_import import sample
from caredesk.customers.models import Customer
from caredesk.people.models import Agent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queued_tasks() -> Iterator[None]:
    """Tasks wait in the queue, as with the demo's worker, until the test runs them."""
    HUEY.immediate = False
    HUEY.flush()
    try:
        yield
    finally:
        HUEY.flush()
        HUEY.immediate = True


def _run_worker() -> int:
    ran = 0
    while (task := HUEY.dequeue()) is not None:
        HUEY.execute(task)
        ran += 1
    return ran


def test_the_page_polls_the_import_and_then_shows_the_report(
    open_browser: Any, queued_tasks: None, lead: Agent, agent: Agent, customer: Customer
) -> None:
    text = sample(agent.user.email, customer.user.email)
    lena = open_browser("lead-csv")
    lena.login(lead.user.email)
    page = lena.page
    page.goto(reverse("csv:import"))
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "history.csv", "mimeType": "text/csv", "buffer": text.encode()}],
    )
    page.click("#import-form button")
    # Queued: the bar waits for the worker, and the page polls.
    expect(page.locator("#import-progress[hx-get]")).to_be_visible()
    expect(page.locator("label[for=import-bar]")).to_contain_text("0 of 11 rows")
    record = CsvImport.objects.get()
    assert record.state == ImportState.QUEUED and page.url.endswith(
        reverse("csv:import_detail", kwargs={"pk": record.pk})
    )
    lena.shot("csv-import-queued")

    assert _run_worker() >= 1  # the worker imports; the page learns it by polling
    report = page.locator("#import-report")
    expect(report).to_contain_text("Imported 6 rows")
    expect(report).to_contain_text("direction must be one of")
    expect(page.locator("#import-bar")).to_have_attribute("value", "11")
    expect(page.locator("#import-progress[hx-get]")).to_have_count(0)  # polling stopped
    lena.shot("csv-import-done")
