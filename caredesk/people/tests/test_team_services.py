"""Leads change how a team works and who is in it, through services that check every value."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pytest_django import DjangoAssertNumQueries

from caredesk.conversations.models import Severity
from caredesk.conversations.tests.factories import make_conversation
from caredesk.empathy.types import SIGNALS
from caredesk.people.models import Agent, Role, Team
from caredesk.people.services import team_members_set, team_update
from caredesk.people.tests.factories import AgentFactory, TeamFactory

pytestmark = pytest.mark.django_db


def update(team: Team, actor: Agent, policy: object, hours: int = 24) -> Team:
    return team_update(
        team=team,
        actor=actor,
        auto_assign=True,
        update_interval_hours=hours,
        signal_policy=policy,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("policy", "named"),
    [
        ({"churn": 3}, "'churn'"),
        ({"churn_intent": 5}, "unknown severity 5"),
        ({"churn_intent": 0}, "unknown severity 0"),
        ({"churn_intent": "3"}, "unknown severity '3'"),
        ({"churn_intent": True}, "unknown severity True"),
        ({"churn_intent": None}, "unknown severity None"),
        (["churn_intent"], "Write an object"),
    ],
)
def test_a_bad_risk_policy_is_refused_naming_what_is_wrong(
    lead: Agent, team: Team, policy: object, named: str
) -> None:
    team.signal_policy = {"urgency": Severity.URGENT}
    team.save()
    with pytest.raises(ValidationError) as raised:
        update(team, lead, policy)
    assert named in " ".join(raised.value.message_dict["signal_policy"])
    team.refresh_from_db()
    assert team.signal_policy == {"urgency": Severity.URGENT}  # nothing lost
    assert team.auto_assign is False


def test_every_bad_entry_is_named_at_once(lead: Agent, team: Team) -> None:
    with pytest.raises(ValidationError) as raised:
        update(team, lead, {"churn": 3, "safety": 9, "urgency": 4})
    messages = raised.value.message_dict["signal_policy"]
    assert len(messages) == 2
    assert "'churn'" in messages[0] and "safety" in messages[1]


def test_a_good_policy_is_saved_for_every_known_signal(lead: Agent, team: Team) -> None:
    policy = {signal: Severity.LOW for signal in SIGNALS}
    update(team, lead, policy, hours=6)
    team.refresh_from_db()
    assert team.signal_policy == policy
    assert (team.auto_assign, team.update_interval_hours) == (True, 6)


def test_update_interval_must_be_an_hour_or_more(lead: Agent, team: Team) -> None:
    with pytest.raises(ValidationError, match="at least every hour"):
        update(team, lead, {}, hours=0)


def test_only_leads_and_admins_change_a_team(agent: Agent, team: Team) -> None:
    with pytest.raises(PermissionDenied):
        update(team, agent, {})
    admin = AgentFactory.create(role=Role.ADMIN)
    update(team, admin, {"safety": Severity.URGENT})
    team.refresh_from_db()
    assert team.signal_policy == {"safety": Severity.URGENT}


def test_the_saved_policy_is_what_the_reading_follows(lead: Agent, team: Team) -> None:
    text = "This is the THIRD time I'm writing about this. Where is my refund?!"
    update(team, lead, {"repeated_contact": Severity.URGENT})
    assert make_conversation(team=team, text=text).severity == Severity.URGENT
    update(team, lead, {"repeated_contact": Severity.LOW})
    assert make_conversation(team=team, text=text).severity == Severity.NORMAL


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
