"""In Chromium: the care pages walked end to end, a screenshot each (test-artifacts/): an agent of
another team finds a churn-risk conversation in their queue and takes it; the lead's SLA
settings, compliance report, status-update template and at-risk list; the agent's outreach."""

from __future__ import annotations

from typing import Any

import pytest

from caredesk.care.services import sla_defaults_save
from caredesk.care.tests.factories import OutreachReasonFactory
from caredesk.conftest import BrowserSession
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHURN = "I am cancelling my subscription and switching to your competitor."


def test_walk_the_care_pages(open_browser: Any, team: Team, other_team: Team, lead: Agent) -> None:
    sla_defaults_save(teams=[team], actor=lead, time_zone="Europe/London")
    churn = make_conversation(team=team, subject="Cancelling", text=CHURN)
    stranger = AgentFactory(teams=[other_team])
    OutreachReasonFactory(conversation=make_conversation(team=team, subject="Broken again"))

    agent: BrowserSession = open_browser("care-walk-agent")
    agent.login(stranger.user.email)
    agent.page.goto("/desk/")
    agent.page.wait_for_selector("text=escalated (churn intent): any agent of any team may take it")
    agent.shot("care-1-queue-escalated")
    agent.page.click(f"a[href='/desk/c/{churn.pk}/']")
    agent.page.wait_for_selector("text=Cancelling")
    agent.shot("care-2-escalated-conversation")
    agent.page.goto("/care/at-risk/mine/")
    agent.shot("care-3-my-outreach")

    walk: BrowserSession = open_browser("care-walk-lead")
    walk.login(lead.user.email)
    for step, url, expect in [
        ("care-4-sla-settings", f"/care/sla/teams/{team.pk}/", f"SLA · {team.name}"),
        ("care-5-sla-report", "/care/sla/report/", "SLA compliance"),
        ("care-6-update-template", f"/care/teams/{team.pk}/update/", team.name),
        ("care-7-at-risk", "/care/at-risk/", "Rated it 1/5 for satisfaction."),
        ("care-8-queue-sla", "/desk/", "left"),
    ]:
        response = walk.page.goto(url)
        assert response is not None and response.status == 200, url
        walk.page.wait_for_selector(f"text={expect}")
        walk.shot(step)
