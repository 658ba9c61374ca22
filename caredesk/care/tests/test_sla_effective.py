"""An SLA policy applies from when it took effect, never retroactively: a team adopting SLAs, or
a lead tightening a target, does not breach the open backlog at once. Time travel; each run of
the task twice, each event and mail once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from caredesk.care.models import SlaPolicy
from caredesk.care.selectors import sla_views
from caredesk.care.tests.factories import make_sla
from caredesk.care.tests.test_sla_task import run_twice, sla_events, sla_mails
from caredesk.conftest import login
from caredesk.conversations.models import Conversation, EventKind, Severity
from caredesk.conversations.services import conversation_assign
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team

pytestmark = pytest.mark.django_db

ALL_DAY: list[list[str] | None] = [["00:00", "24:00"]] * 7


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 4, day, hour, minute, tzinfo=UTC)


def policy(team: Team, lead: Agent, normal: tuple[int, int, int] = (60, 120, 480)) -> None:
    make_sla(team=team, lead=lead, time_zone="UTC", week=ALL_DAY, normal=normal)


def opened(team: Team, agent: Agent, lead: Agent) -> Conversation:
    conversation = make_conversation(team=team)
    conversation_assign(conversation=conversation, agent=agent, actor=lead.user)
    return conversation


def warned(cycle: datetime, due: datetime) -> tuple[str, dict[str, Any]]:
    return (
        EventKind.SLA_WARNED,
        {"target": "first_response", "cycle": cycle.isoformat(), "due": due.isoformat()},
    )


def breached(cycle: datetime, resolution_left: int) -> list[tuple[str, dict[str, Any]]]:
    """A first response missed by one minute: the breach, and the severity one step up."""
    return [
        (
            EventKind.SLA_BREACHED,
            {
                "target": "first_response",
                "cycle": cycle.isoformat(),
                "over_minutes": 1,
                "raised": True,
                "left": {f"resolution {cycle.isoformat()}": resolution_left * 60},
            },
        ),
        (
            EventKind.SEVERITY_CHANGED,
            {
                "old": Severity.NORMAL,
                "new": Severity.HIGH,
                "reason": "SLA breached: first response target missed by 1 min",
            },
        ),
    ]


def mails(conversation: Conversation, agent: Agent, lead: Agent) -> list[tuple[str, list[str]]]:
    """The warning to the owner, then the breach to the leads."""
    near = f"[Caredesk] SLA near: #{conversation.pk} {conversation.subject}"
    missed = f"[Caredesk] SLA breached: #{conversation.pk} {conversation.subject}"
    return [(near, [agent.user.email]), (missed, [lead.user.email])]


def test_a_policy_set_today_counts_an_old_open_conversation_from_today(
    team: Team, agent: Agent, lead: Agent
) -> None:
    """Opened two days before the team had an SLA, assigned and never answered: under a
    retroactive rule the first check would breach it and give it back to the queue at once."""
    with time_machine.travel(at(1, 9), tick=False) as clock:
        conversation = opened(team, agent, lead)
        clock.move_to(at(3, 9))
        policy(team, lead)
        run_twice()
        assert sla_events(conversation) == []
        clocks = sla_views([conversation], at=at(3, 9))[conversation.pk].clocks
        assert {c.target: c.left.total_seconds() // 60 for c in clocks} == {
            "first_response": 60,
            "resolution": 480,
        }
        clock.move_to(at(3, 9, 44))  # 16 minutes left: not yet warned
        run_twice()
        assert sla_events(conversation) == []
        clock.move_to(at(3, 9, 45))
        run_twice()
        assert sla_events(conversation) == [warned(at(1, 9), due=at(3, 10))]
        clock.move_to(at(3, 10))  # the target has run from today, to the minute: met so far
        run_twice()
        assert len(sla_events(conversation)) == 1
        clock.move_to(at(3, 10, 1))
        run_twice()
        assert sla_events(conversation) == [warned(at(1, 9), at(3, 10)), *breached(at(1, 9), 419)]
        assert sla_mails() == mails(conversation, agent, lead)
        # The owner's silence counts from the policy too: 600 minutes from today, not from Monday.
        clock.move_to(at(3, 18, 59))
        run_twice()
        assert not conversation.events.filter(kind=EventKind.RETURNED).exists()
        clock.move_to(at(3, 19))
        run_twice()
    assert conversation.events.filter(kind=EventKind.RETURNED).count() == 1
    assert len(sla_mails()) == 2


def test_a_conversation_opened_after_the_policy_counts_from_its_opening(
    team: Team, agent: Agent, lead: Agent
) -> None:
    with time_machine.travel(at(6, 8), tick=False) as clock:
        policy(team, lead)
        clock.move_to(at(6, 9))
        conversation = opened(team, agent, lead)
        clock.move_to(at(6, 9, 45))
        run_twice()
        assert sla_events(conversation) == [warned(at(6, 9), due=at(6, 10))]
        clock.move_to(at(6, 10, 1))
        run_twice()
    assert sla_events(conversation) == [warned(at(6, 9), at(6, 10)), *breached(at(6, 9), 419)]
    assert sla_mails() == mails(conversation, agent, lead)


def test_a_target_tightened_later_counts_from_the_change(
    team: Team, agent: Agent, lead: Agent
) -> None:
    """Two hours into a ten-hour first response the lead makes it one hour: the hour counts
    from the change, not from the opening (which would be an instant breach). Saving the same
    targets again keeps when they took effect."""
    with time_machine.travel(at(6, 9), tick=False) as clock:
        policy(team, lead, normal=(600, 600, 6000))
        conversation = opened(team, agent, lead)
        clock.move_to(at(6, 11))
        policy(team, lead)
        run_twice()
        assert sla_events(conversation) == []
        clock.move_to(at(6, 11, 30))
        policy(team, lead)  # the same targets: their start stays at 11:00
        assert SlaPolicy.objects.get(team=team).effective_from == at(6, 11)
        clock.move_to(at(6, 11, 45))
        run_twice()
        assert sla_events(conversation) == [warned(at(6, 9), due=at(6, 12))]
        clock.move_to(at(6, 12))
        run_twice()
        assert len(sla_events(conversation)) == 1
        clock.move_to(at(6, 12, 1))
        run_twice()
    # Resolution (480 minutes from 11:00) had 419 left at the breach.
    assert sla_events(conversation) == [warned(at(6, 9), at(6, 12)), *breached(at(6, 9), 419)]
    assert sla_mails() == mails(conversation, agent, lead)


def test_a_policy_saved_before_its_start_was_recorded_counts_from_the_opening(
    team: Team, agent: Agent, lead: Agent
) -> None:
    """The migration leaves older policies without a start: they judge as they always did."""
    with time_machine.travel(at(1, 9), tick=False) as clock:
        conversation = opened(team, agent, lead)
        clock.move_to(at(1, 10, 1))
        policy(team, lead)
        SlaPolicy.objects.update(effective_from=None)
        run_twice()
    kinds = [kind for kind, _ in sla_events(conversation)]
    assert kinds == [EventKind.SLA_BREACHED, EventKind.SEVERITY_CHANGED]


def test_the_settings_page_states_the_rule_and_when_each_target_took_effect(
    team: Team, lead: Agent
) -> None:
    with time_machine.travel(at(6, 11, 30), tick=False):
        policy(team, lead)
    page = login(Client(), lead.user.email).get(f"/care/sla/teams/{team.pk}/").content.decode()
    assert "A target counts from when it took effect, never before" in page
    assert f'<time datetime="{at(6, 11, 30).isoformat()}">' in page
    assert mail.outbox == []
