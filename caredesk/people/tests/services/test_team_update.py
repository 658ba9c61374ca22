"""team_update: a lead changes how a team works; every value is checked, a bad one named."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from caredesk.conversations.models import Severity
from caredesk.conversations.tests.factories import make_conversation
from caredesk.empathy.types import SIGNALS
from caredesk.people.models import Agent, Role, Team
from caredesk.people.services import team_update
from caredesk.people.tests.factories import AgentFactory

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
