"""A breach raises the severity one step, and the stricter targets of the new severity count from
that breach (never giving a run more time than it had left): one late answer is one breach, not
normal → high → urgent at once. Time travel; each run of the task twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from caredesk.care.selectors import sla_views
from caredesk.care.services import sla_settings_save
from caredesk.care.tasks import sla_check
from caredesk.conversations.models import Conversation, EventKind, Severity
from caredesk.conversations.services import customer_message_add, reply_send
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team

pytestmark = pytest.mark.django_db

ALL_DAY = [["00:00", "24:00"]] * 7


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 4, 6, hour, minute, tzinfo=UTC)


def run_twice() -> None:
    sla_check()
    sla_check()


def breaches(conversation: Conversation) -> list[tuple[str, int]]:
    rows = conversation.events.filter(kind=EventKind.SLA_BREACHED).order_by("pk")
    return [(e.data["target"], e.data["over_minutes"]) for e in rows]


def severity(conversation: Conversation) -> int:
    conversation.refresh_from_db()
    return conversation.severity


def setup(team: Team, lead: Agent, high: tuple[int, int, int], normal_resolution: int) -> None:
    sla_settings_save(
        team=team,
        actor=lead,
        time_zone="UTC",
        week=ALL_DAY,
        holidays=[],
        warn_minutes=1,
        owner_answer_minutes=6000,
        policies={
            Severity.NORMAL: (60, 120, normal_resolution),
            Severity.HIGH: high,
            Severity.URGENT: (15, 30, 60),
        },
    )


def test_the_raised_severitys_targets_count_from_the_breach(
    team: Team, agent: Agent, lead: Agent
) -> None:
    """The next response is missed at normal; resolution has taken 131 minutes, more than the
    high target of 120, but that wait was judged at normal: from the breach, 120 minutes."""
    with time_machine.travel(at(9), tick=False) as clock:
        setup(team, lead, high=(30, 60, 120), normal_resolution=480)
        conversation = make_conversation(team=team)
        clock.move_to(at(9, 10))
        reply_send(conversation=conversation, agent=agent, text="Thanks, we are on it.")
        clock.move_to(at(12))
        customer_message_add(conversation=conversation, text="Any news?", author=None)
        clock.move_to(at(14, 1))  # next response: 121 of 120 minutes
        run_twice()
        assert breaches(conversation) == [("next_response", 1)]
        assert severity(conversation) == Severity.HIGH
        [event] = conversation.events.filter(kind=EventKind.SLA_BREACHED)
        assert event.data["raised"] is True
        assert event.data["left"] == {f"resolution {at(9).isoformat()}": (480 - 131) * 60}
        clock.move_to(at(14, 2))  # before the rule: resolution 132 > 120, urgent at once
        run_twice()
        assert breaches(conversation) == [("next_response", 1)]
        assert severity(conversation) == Severity.HIGH
        views = sla_views([conversation], at=at(14, 2))
        [resolution] = [c for c in views[conversation.pk].clocks if c.target == "resolution"]
        assert resolution.running and resolution.left.total_seconds() == 119 * 60
        clock.move_to(at(16, 1))  # 120 minutes since the breach: met to the minute
        run_twice()
        assert breaches(conversation) == [("next_response", 1)]
        clock.move_to(at(16, 2))  # a second miss, at high: one more step
        run_twice()
    assert breaches(conversation) == [("next_response", 1), ("resolution", 1)]
    assert severity(conversation) == Severity.URGENT
    [_, second] = conversation.events.filter(kind=EventKind.SLA_BREACHED).order_by("pk")
    assert second.data["raised"] is True and second.data["left"] == {}


def test_a_raise_never_gives_a_run_more_time_than_it_had_left(
    team: Team, agent: Agent, lead: Agent
) -> None:
    """Resolution had 109 minutes left at normal when the next response was missed; the high
    target (180) would give it more, so it keeps its normal due time."""
    with time_machine.travel(at(9), tick=False) as clock:
        setup(team, lead, high=(30, 60, 180), normal_resolution=240)
        conversation = make_conversation(team=team)
        clock.move_to(at(9, 10))
        reply_send(conversation=conversation, agent=agent, text="Thanks, we are on it.")
        clock.move_to(at(11))
        customer_message_add(conversation=conversation, text="Any news?", author=None)
        clock.move_to(at(13, 1))
        run_twice()
        assert breaches(conversation) == [("next_response", 1)]
        assert severity(conversation) == Severity.HIGH
        # 09:00 + 240 business minutes + 110 paused = 14:50, as at normal (not 16:01).
        clock.move_to(at(14, 50))
        run_twice()
        assert breaches(conversation) == [("next_response", 1)]
        clock.move_to(at(14, 51))
        run_twice()
    assert breaches(conversation) == [("next_response", 1), ("resolution", 1)]
    assert severity(conversation) == Severity.URGENT


def test_a_breach_at_urgent_gives_no_fresh_start(team: Team, agent: Agent, lead: Agent) -> None:
    """At urgent a breach raises nothing, so the other runs keep counting from their start."""
    with time_machine.travel(at(9), tick=False) as clock:
        setup(team, lead, high=(30, 60, 120), normal_resolution=480)
        conversation = make_conversation(team=team, severity=Severity.URGENT)
        clock.move_to(at(9, 16))  # first response: 16 of 15 minutes
        run_twice()
        [event] = conversation.events.filter(kind=EventKind.SLA_BREACHED)
        assert event.data["raised"] is False and "left" not in event.data
        clock.move_to(at(10, 1))  # resolution: 61 of 60 minutes from the start, not the breach
        run_twice()
    assert breaches(conversation) == [("first_response", 1), ("resolution", 1)]
    assert severity(conversation) == Severity.URGENT
