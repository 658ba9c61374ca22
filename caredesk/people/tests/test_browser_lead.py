"""In Debian's Chromium: a lead sets a team's risk policy and members, then adds a coach rule
in the admin, reached from the desk's navigation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from caredesk.conversations.models import Severity
from caredesk.people.models import Agent, Role, Team
from caredesk.people.tests.factories import AgentFactory
from caredesk.replies.models import CoachRule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lead_edits_the_risk_policy_and_adds_a_coach_rule(
    open_browser: Any, team: Team, agent: Agent
) -> None:
    lead = AgentFactory.create(role=Role.LEAD, user__first_name="Lea", user__last_name="Lund")
    ben = AgentFactory.create(user__first_name="Ben", user__last_name="Okafor")
    tab = open_browser("lead")
    tab.login(lead.user.email)

    # 1. Teams, from the navigation: the risk policy is one choice per signal, not JSON.
    tab.page.click("header nav a[href='/people/teams/']")
    tab.page.click(f"a[href='/people/teams/{team.pk}/']")
    tab.page.wait_for_selector("#risk-policy")
    assert tab.page.locator("#risk-policy select").count() == 7
    tab.page.select_option("select[name=risk_repeated_contact]", label="Urgent")
    tab.page.select_option("select[name=risk_long_wait]", label="Low")
    tab.page.check(f"#members input[value='{ben.pk}']")
    tab.page.uncheck(f"#members input[value='{agent.pk}']")
    tab.shot("lead-1-risk-policy-form")
    tab.page.click("#team-form button.primary")
    tab.page.wait_for_selector("text=Ben Okafor joined.")
    assert "repeated contact → urgent" in tab.page.inner_text("table.inbox")
    tab.shot("lead-2-teams-saved")
    team.refresh_from_db()
    assert team.signal_policy == {"repeated_contact": Severity.URGENT, "long_wait": Severity.LOW}
    assert list(team.agents.all()) == [ben]

    # 2. The admin's coach rules, from the navigation, without a staff flag.
    tab.page.click("header nav a[href='/admin/replies/coachrule/']")
    tab.page.wait_for_url("**/admin/replies/coachrule/")
    tab.shot("lead-3-admin-coach-rules")
    tab.page.click(".object-tools a.addlink")
    tab.page.fill("#id_rule_id", "jargon.queues")
    rule = {
        "category": "jargon",
        "reason": "Customers don't know our internal queue names; say what happens next.",
        "keywords": ["queue"],
        "patterns": ["(?:the )?L[123] queue"],
        "rewrites": ["the specialist team, who will reply within a day"],
        "examples": {"fire": ["It sits in the L2 queue."], "pass": ["You are third."]},
    }
    tab.page.fill("#id_definition", json.dumps(rule, indent=2))
    tab.page.click("input[name=_save]")
    tab.page.wait_for_selector("ul.messagelist li.success")
    tab.shot("lead-4-coach-rule-added")
    assert CoachRule.objects.get().rule_id == "jargon.queues"
