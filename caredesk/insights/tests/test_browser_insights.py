"""In Chromium: a lead sets a goal with checkpoints, sees its progress and the charts on the
dashboard (plotly.js under the site's CSP, no violation), opens the review and prints it to PDF.
Screenshots and the PDF are saved as test artifacts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from caredesk.conftest import BrowserSession
from caredesk.insights.models import Goal
from caredesk.insights.tests.desk import fcr_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_goal_dashboard_and_the_review_as_pdf(open_browser: Any, lead: Any) -> None:
    today = timezone.now().date()
    month_start = today.replace(day=1)
    last_month = (month_start - timedelta(days=1)).replace(day=1)
    fcr_day(last_month + timedelta(days=3), resolved=24, fcr=18)
    fcr_day(today, resolved=20, fcr=17)

    s: BrowserSession = open_browser("lead-insights")
    s.login(lead.user.email)
    page = s.page
    page.goto("/insights/goals/")
    page.select_option("#goal-form select[name=metric]", "first_contact_resolution")
    page.fill("#goal-form input[name=target]", "0.7")
    page.fill("#goal-form input[name=start]", last_month.isoformat())
    page.fill("#goal-form input[name=end]", (month_start + timedelta(days=70)).isoformat())
    page.select_option("#goal-form select[name=cadence]", "month")
    s.shot("insights-1-goal-form")
    page.click("#goal-form button.primary")
    page.wait_for_selector("text=Goal set, with its checkpoints.")
    goal = Goal.objects.get()
    checkpoints = page.locator("table.checkpoints tbody tr")
    assert checkpoints.count() == goal.checkpoints.count() >= 3
    # Stage the last checkpoint higher.
    page.locator(".checkpoint-form input[name=target]").last.fill("0.85")
    page.locator(".checkpoint-form button").last.click()
    page.wait_for_selector("text=Checkpoint target saved.")
    assert goal.checkpoints.order_by("start").last().target == 0.85  # type: ignore[union-attr]
    s.shot("insights-2-goal")

    page.goto("/reports/")  # where a lead looks first
    page.wait_for_selector("[data-chart=first_contact_resolution] .main-svg")
    assert page.url.endswith("/insights/")
    progress = page.locator(f"#goal-{goal.pk} table.checkpoints")
    assert "75%" in progress.inner_text()  # last month: 18 of 24
    assert "on track" in progress.inner_text()  # this month so far: 17 of 20
    assert page.locator(f"#goal-{goal.pk} .forecast").inner_text()
    page.locator("#metric-first_contact_resolution details summary").click()
    assert "Cases" in page.locator("#metric-first_contact_resolution table").inner_text()
    s.shot("insights-3-dashboard")

    page.goto("/insights/review/?preset=month")
    page.wait_for_selector("h1:has-text('The review')")
    assert "Goals and checkpoints" in page.content()
    s.shot("insights-4-review")
    page.emulate_media(media="print")
    assert page.locator("header.topbar").is_hidden()
    assert page.locator("#review-form").is_hidden()
    pdf = s.artifacts / "insights-review.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5000
