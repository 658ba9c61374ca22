"""team_members_set: a lead sets who is in a team, and only that team changes."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pytest_django import DjangoAssertNumQueries

from caredesk.people.models import Agent, Role, Team
from caredesk.people.services import team_members_set
from caredesk.people.tests.factories import AgentFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_members_are_set_and_only_this_team_changes(
    lead: Agent, team: Team, other_team: Team
) -> None:
    stays = AgentFactory.create(teams=[team, other_team])
    leaves = AgentFactory.create(teams=[team, other_team])
    joins = AgentFactory.create(teams=[other_team])
    added, removed = team_members_set(team=team, actor=lead, members=[stays, joins])
    assert (added, removed) == ([joins], [leaves])
    assert set(team.agents.all()) == {stays, joins}
    assert set(other_team.agents.all()) == {stays, leaves, joins}  # untouched
    leaves.refresh_from_db()
    assert leaves.role == Role.AGENT


def test_an_unchanged_member_list_writes_nothing(
    lead: Agent, team: Team, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    members = [AgentFactory.create(teams=[team]), AgentFactory.create(teams=[team])]
    with django_assert_num_queries(3):  # savepoint, read the members, release
        assert team_members_set(team=team, actor=lead, members=members) == ([], [])


def test_members_are_refused_to_non_leads_and_for_switched_off_accounts(
    agent: Agent, lead: Agent
) -> None:
    team = TeamFactory(name="Returns")
    with pytest.raises(PermissionDenied):
        team_members_set(team=team, actor=agent, members=[agent])
    gone = AgentFactory.create(user__first_name="Gone", user__last_name="Away")
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])
    with pytest.raises(ValidationError, match="switched off: Gone Away"):
        team_members_set(team=team, actor=lead, members=[agent, gone])
    assert not team.agents.exists()
