"""Who may see and do what: decided in `people.selectors`, applied to conversations above."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from caredesk.conversations.selectors import conversations_visible_to
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.people.models import Agent, Team
from caredesk.people.selectors import may_manage_teams, may_set_severity


def test_each_role_sees_exactly_its_conversations(
    team: Team, other_team: Team, agent: Agent, lead: Agent, customer: Customer
) -> None:
    own_team = make_conversation(team=team)
    shared = make_conversation(team=None)
    elsewhere = make_conversation(team=other_team)
    mine = make_conversation(customer=customer, team=other_team)
    everything = {own_team.pk, shared.pk, elsewhere.pk, mine.pk}

    def seen(user: object) -> set[int]:
        return set(conversations_visible_to(user).values_list("pk", flat=True))

    assert seen(agent.user) == {own_team.pk, shared.pk}
    assert seen(lead.user) == everything
    assert seen(customer.user) == {mine.pk}
    assert seen(AnonymousUser()) == set()


def test_only_leads_manage_teams_and_only_agents_set_severity(
    agent: Agent, lead: Agent, customer: Customer
) -> None:
    assert may_manage_teams(lead) and not may_manage_teams(agent) and not may_manage_teams(None)
    assert may_set_severity(agent.user) and may_set_severity(lead.user)
    assert not may_set_severity(customer.user) and not may_set_severity(AnonymousUser())
