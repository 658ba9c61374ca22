"""The at-risk rules' thresholds are settings: read from the environment by caredesk/config.py,
checked at start-up (caredesk.E031), and what the rules act on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from caredesk import config
from caredesk.care.checks import E_AT_RISK, at_risk_thresholds_check
from caredesk.care.outreach_tasks import outreach_check
from caredesk.care.tests.test_outreach import ANGRY, at_risk_events
from caredesk.conversations.services import conversation_assign
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_environment_sets_each_threshold_and_a_bad_number_fails_loudly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert config.load().at_risk == config.AT_RISK_DEFAULTS
    monkeypatch.setenv("CAREDESK_AT_RISK_SILENCE_DAYS", "30")
    assert config.load().at_risk["silence_days"] == 30
    monkeypatch.setenv("CAREDESK_AT_RISK_LOW_SATISFACTION", "two")
    with pytest.raises(ImproperlyConfigured, match="CAREDESK_AT_RISK_LOW_SATISFACTION"):
        config.load()


def test_the_defaults_pass_the_check() -> None:
    assert at_risk_thresholds_check() == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("negative_hours", 0),
        ("low_satisfaction", 5),
        ("people_per_problem", 1),
        ("silence_days", 9999),
    ],
)
def test_a_threshold_out_of_range_stops_start_up(settings: Any, name: str, value: int) -> None:
    settings.CAREDESK_AT_RISK = {**config.AT_RISK_DEFAULTS, name: value}
    [error] = at_risk_thresholds_check()
    assert error.id == E_AT_RISK == "caredesk.E031"
    assert f"CAREDESK_AT_RISK_{name.upper()}={value}" in error.msg
    with pytest.raises(SystemCheckError, match=r"caredesk\.E031"):
        call_command("check")


@pytest.mark.django_db
def test_the_negative_reading_rule_waits_as_long_as_configured(
    settings: Any, team: Team, agent: Agent
) -> None:
    settings.CAREDESK_AT_RISK = {**config.AT_RISK_DEFAULTS, "negative_hours": 4}
    with time_machine.travel(T0, tick=False) as clock:
        conversation = make_conversation(team=team, text=ANGRY)
        conversation_assign(conversation=conversation, agent=agent, actor=agent.user)
        clock.move_to(T0 + timedelta(hours=3, minutes=59))
        outreach_check()
        assert at_risk_events() == []
        clock.move_to(T0 + timedelta(hours=4))
        outreach_check()
        outreach_check()
    [(pk, data)] = at_risk_events()
    assert pk == conversation.pk and data["rule"] == "negative_unresolved"
    assert "still unresolved 4 hours later" in data["reason"]
