"""Goals: checkpoints generated and editable, progress, forecast, a celebration mailed once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from caredesk.insights import goals
from caredesk.insights.models import Checkpoint, Goal, GoalChange
from caredesk.insights.tests.desk import Capture, fcr_day, smtp
from caredesk.people.models import Agent, Role
from caredesk.people.tests.factories import AgentFactory, TeamFactory
from caredesk.tests.ports import free_port

pytestmark = pytest.mark.django_db
__all__ = ["smtp"]

AT = datetime(2026, 1, 10, 9, tzinfo=UTC)


@pytest.fixture
def lead() -> Agent:
    return AgentFactory(role=Role.LEAD)


def _goal(lead: Agent, **kwargs: Any) -> Goal:
    values: dict[str, Any] = {
        "metric": "first_contact_resolution",
        "team": None,
        "target": 0.8,
        "start": date(2026, 1, 1),
        "end": date(2026, 3, 31),
        "cadence": "month",
        "at": AT,
    }
    return goals.goal_create(actor=lead, **(values | kwargs))


def _spans(goal: Goal) -> list[tuple[date, date]]:
    return [(c.start, c.end) for c in goal.checkpoints.all()]


def test_checkpoints_are_generated_per_week_month_and_quarter_cut_to_the_goal(lead: Agent) -> None:
    monthly = _goal(lead, start=date(2026, 1, 15), end=date(2026, 3, 10))
    assert _spans(monthly) == [
        (date(2026, 1, 15), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 10)),
    ]
    weekly = _goal(lead, start=date(2026, 3, 4), end=date(2026, 3, 22), cadence="week")
    assert _spans(weekly) == [
        (date(2026, 3, 4), date(2026, 3, 8)),  # Wednesday to Sunday
        (date(2026, 3, 9), date(2026, 3, 15)),
        (date(2026, 3, 16), date(2026, 3, 22)),
    ]
    quarterly = _goal(lead, start=date(2026, 2, 1), end=date(2026, 12, 31), cadence="quarter")
    assert [s for s, _ in _spans(quarterly)] == [
        date(2026, 2, 1),
        date(2026, 4, 1),
        date(2026, 7, 1),
        date(2026, 10, 1),
    ]
    assert {c.target for c in quarterly.checkpoints.all()} == {0.8}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"metric": "handle_time"}, "metric"),
        ({"target": 80}, "target"),  # a share is a fraction
        ({"end": date(2025, 12, 31)}, "end"),
        ({"cadence": "week", "end": date(2028, 1, 1)}, "end"),  # over 60 checkpoints
    ],
)
def test_a_bad_goal_is_refused_and_nothing_is_saved(
    lead: Agent, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _goal(lead, **kwargs)
    assert field in caught.value.message_dict
    assert not Goal.objects.exists() and not Checkpoint.objects.exists()


def test_a_reached_checkpoint_is_celebrated_and_mailed_once(lead: Agent, smtp: Capture) -> None:
    team = TeamFactory(name="Billing")
    member, outsider = AgentFactory(teams=[team]), AgentFactory()
    goal = _goal(lead, team=team)
    fcr_day(date(2026, 1, 20), resolved=25, fcr=22, team=team.pk)  # 88%: reached
    fcr_day(date(2026, 1, 20), resolved=30, fcr=0, team=0)  # another team's: not counted
    fcr_day(date(2026, 2, 20), resolved=25, fcr=10, team=team.pk)  # 40%: missed
    fcr_day(date(2026, 3, 20), resolved=5, fcr=5, team=team.pk)  # 100% of 5: too few to judge
    when = datetime(2026, 4, 2, 8, tzinfo=UTC)

    assert goals.goals_celebrate(at=when, today=date(2026, 4, 2)) == 1
    assert goals.goals_celebrate(at=when, today=date(2026, 4, 3)) == 0  # once, not again

    jan, feb, mar = goal.checkpoints.all()
    assert (jan.reached_at, jan.reached_value, jan.mailed_at) == (when, 0.88, when)
    assert feb.reached_at is None and mar.reached_at is None
    (mail,) = smtp.mails
    assert "Checkpoint reached" in mail["Subject"]
    assert "Billing reached the checkpoint 1 Jan – 31 Jan 2026" in mail.get_content()
    assert "88%" in mail.get_content()
    assert member.user.email in smtp.envelopes[0] and outsider.user.email not in smtp.envelopes[0]
    progress = goals.goal_progress(goal, date(2026, 4, 5))
    assert [c.state for c in progress.checkpoints] == ["reached", "missed", "missed"]
    assert progress.checkpoints[2].thin
    assert progress.celebrations == [jan]


def test_a_failed_send_keeps_the_celebration_for_the_next_sweep(
    lead: Agent, settings: Any, smtp: Capture
) -> None:
    goal = _goal(lead)
    fcr_day(date(2026, 1, 20), resolved=20, fcr=20)
    smtp_port, settings.EMAIL_PORT = settings.EMAIL_PORT, free_port()  # nobody listens there
    with pytest.raises(OSError):
        goals.goals_celebrate(at=AT, today=date(2026, 2, 2))
    jan = goal.checkpoints.get(start=date(2026, 1, 1))
    assert jan.reached_at is not None and jan.mailed_at is None
    settings.EMAIL_PORT = smtp_port
    assert goals.goals_celebrate(at=AT, today=date(2026, 2, 3)) == 1
    assert len(smtp.mails) == 1


def test_changing_a_goal_keeps_judged_checkpoints_and_its_history(lead: Agent) -> None:
    goal = _goal(lead)
    fcr_day(date(2026, 1, 20), resolved=20, fcr=20)
    goals.checkpoints_judge(at=AT, today=date(2026, 2, 1))
    changed_at = datetime(2026, 2, 10, tzinfo=UTC)
    goals.goal_change(
        goal=goal, actor=lead, target=0.9, end=date(2026, 4, 30), note="Higher.", at=changed_at
    )
    cps = list(goal.checkpoints.all())
    assert [(c.start.month, c.target) for c in cps] == [(1, 0.8), (2, 0.9), (3, 0.9), (4, 0.9)]
    assert cps[0].reached_at is not None
    goals.checkpoint_target_set(checkpoint=cps[3], actor=lead, target=0.95, at=changed_at)
    with pytest.raises(ValidationError):
        goals.checkpoint_target_set(checkpoint=cps[0], actor=lead, target=0.5, at=changed_at)
    goals.goal_retire(goal=goal, actor=lead, at=changed_at)
    goals.goal_retire(goal=goal, actor=lead, at=changed_at)  # twice: one history row
    history = list(GoalChange.objects.filter(goal=goal).values_list("what", flat=True))
    assert history == ["set", "changed", "checkpoint 2026-04-01 target", "retired"]
    change = GoalChange.objects.get(goal=goal, what="changed")
    assert (change.before["target"], change.after["target"]) == (0.8, 0.9)
    assert (change.before["end"], change.after["end"]) == ("2026-03-31", "2026-04-30")
    assert not goals.goals_live().filter(pk=goal.pk).exists()
    with pytest.raises(ValidationError):
        goals.goal_change(goal=goal, actor=lead, target=1, end=goal.end, note="", at=changed_at)


def test_the_forecast_carries_the_weekly_trend_to_the_goals_end(lead: Agent) -> None:
    goal = _goal(lead, start=date(2026, 3, 2), end=date(2026, 3, 29), cadence="week", target=0.75)
    assert goals.forecast(goal, date(2026, 3, 3))[0] is None  # one week: no line yet
    for week, fcr in enumerate((5, 6, 7)):
        fcr_day(date(2026, 3, 3 + 7 * week), resolved=10, fcr=fcr)
    projected, text = goals.forecast(goal, date(2026, 3, 22))
    assert projected == pytest.approx(0.8)  # 50%, 60%, 70%: 80% in the fourth week
    assert "about 80% by 29 Mar 2026, which meets the target of 75%" in text
    assert "rough guide" in text
