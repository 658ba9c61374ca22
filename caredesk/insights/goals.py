"""Goals: a lead's target on a metric, its checkpoints, progress, forecast and celebration.

Progress is read through `selectors.metrics_for` (the rollups), never from the events. A
checkpoint is judged once its period has ended, on the full period's value: reaching a target
for a few days is not reaching it. The celebration is stored state: `reached_at` is set by a
conditional update, so the note appears once, and `mailed_at` likewise, so the team's e-mail
leaves once even when two sweeps run together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet

from caredesk.channels.email.outbound import desk_address, mail_send, new_message_id
from caredesk.insights import selectors
from caredesk.insights.metrics import BY_NAME, Better, Metric
from caredesk.insights.models import Cadence, Checkpoint, Goal, GoalChange
from caredesk.insights.selectors import Grouping, Scope
from caredesk.people.models import Agent, Team

log = logging.getLogger(__name__)

MAX_CHECKPOINTS = 60
CELEBRATION_DAYS = 14  # how long a reached checkpoint's note stays on the dashboard
JUDGE_BACK_DAYS = 90  # checkpoints that ended longer ago are no longer judged
FORECAST_MIN_POINTS = 3


def period_of(day: date, cadence: str) -> tuple[date, date]:
    """The week (Monday first), month or quarter that holds `day`."""
    if cadence == Cadence.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    months = 1 if cadence == Cadence.MONTHLY else 3
    first = day.month if months == 1 else 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first, 1)
    year, month = divmod(first - 1 + months, 12)
    return start, date(day.year + year, month + 1, 1) - timedelta(days=1)


def periods(start: date, end: date, cadence: str) -> list[tuple[date, date]]:
    """The checkpoints' periods from `start` to `end`, the first and last cut to the goal."""
    out = []
    day = start
    while day <= end:
        first, last = period_of(day, cadence)
        out.append((max(first, start), min(last, end)))
        day = last + timedelta(days=1)
    return out


def _snapshot(goal: Goal) -> dict[str, Any]:
    return {
        "metric": goal.metric,
        "team": goal.team_id,
        "target": goal.target,
        "start": goal.start.isoformat(),
        "end": goal.end.isoformat(),
        "cadence": goal.cadence,
        "note": goal.note,
        "checkpoints": [[c.start.isoformat(), c.target] for c in goal.checkpoints.all()],
    }


def _target_error(metric: Metric, target: float) -> str | None:
    if metric.unit == "share" and not 0 <= target <= 1:
        return "A share is a fraction between 0 and 1 (0.8 for 80%)."
    if metric.unit.startswith("score") and not 1 <= target <= 5:
        return "A score runs from 1 to 5."
    if target < 0:
        return "The target cannot be negative."
    return None


def _check(metric: str, start: date, end: date, cadence: str, target: float) -> None:
    errors: dict[str, str] = {}
    if metric not in BY_NAME:
        errors["metric"] = "Choose a metric from the list."
    elif error := _target_error(BY_NAME[metric], target):
        errors["target"] = error
    if end < start:
        errors["end"] = "The goal ends before it starts."
    elif len(periods(start, end, cadence)) > MAX_CHECKPOINTS:
        errors["end"] = f"That is more than {MAX_CHECKPOINTS} checkpoints: choose a longer step."
    if errors:
        raise ValidationError(errors)


def _checkpoints_make(goal: Goal) -> None:
    Checkpoint.objects.bulk_create(
        Checkpoint(goal=goal, start=s, end=e, target=goal.target)
        for s, e in periods(goal.start, goal.end, goal.cadence)
    )


def goal_create(
    *,
    actor: Agent,
    metric: str,
    team: Team | None,
    target: float,
    start: date,
    end: date,
    cadence: str,
    at: datetime,
    note: str = "",
) -> Goal:
    """A new goal with one checkpoint per week, month or quarter, each at the goal's target."""
    _check(metric, start, end, cadence, target)
    with transaction.atomic():
        goal = Goal(
            metric=metric,
            team=team,
            target=target,
            start=start,
            end=end,
            cadence=cadence,
            note=note,
            created_by=actor,
            created_at=at,
        )
        goal.full_clean()
        goal.save()
        _checkpoints_make(goal)
        GoalChange.objects.create(
            goal=goal, at=at, actor=actor, what="set", before={}, after=_snapshot(goal)
        )
    return goal


def goal_change(
    *, goal: Goal, actor: Agent, target: float, end: date, note: str, at: datetime
) -> Goal:
    """Move a goal's target or end: checkpoints still to come take the new target; the ones
    already judged keep theirs, and the old goal is kept in its history."""
    if goal.retired_at is not None:
        raise ValidationError("A retired goal cannot be changed; set a new one.")
    _check(goal.metric, goal.start, end, goal.cadence, target)
    with transaction.atomic():
        goal = Goal.objects.select_for_update().get(pk=goal.pk)
        before = _snapshot(goal)
        goal.target, goal.end, goal.note = target, end, note
        goal.full_clean()
        goal.save(update_fields=["target", "end", "note"])
        kept = goal.checkpoints.filter(reached_at__isnull=False) | goal.checkpoints.filter(
            end__lt=at.date()
        )
        kept_starts = set(kept.values_list("start", flat=True))
        goal.checkpoints.exclude(start__in=kept_starts).delete()
        Checkpoint.objects.bulk_create(
            Checkpoint(goal=goal, start=s, end=e, target=target)
            for s, e in periods(goal.start, goal.end, goal.cadence)
            if s not in kept_starts
        )
        goal.checkpoints.filter(start__gt=goal.end).delete()
        GoalChange.objects.create(
            goal=goal, at=at, actor=actor, what="changed", before=before, after=_snapshot(goal)
        )
    return goal


def checkpoint_target_set(
    *, checkpoint: Checkpoint, actor: Agent, target: float, at: datetime
) -> Checkpoint:
    """A lead stages a goal: one checkpoint's own target (a judged one keeps its target)."""
    if checkpoint.reached_at is not None or checkpoint.goal.retired_at is not None:
        raise ValidationError({"target": "This checkpoint is reached or its goal retired."})
    if error := _target_error(BY_NAME[checkpoint.goal.metric], target):
        raise ValidationError({"target": error})
    with transaction.atomic():
        before = _snapshot(checkpoint.goal)
        checkpoint.target = target
        checkpoint.save(update_fields=["target"])
        GoalChange.objects.create(
            goal=checkpoint.goal,
            at=at,
            actor=actor,
            what=f"checkpoint {checkpoint.start} target",
            before=before,
            after=_snapshot(checkpoint.goal),
        )
    return checkpoint


def goal_retire(*, goal: Goal, actor: Agent, at: datetime) -> Goal:
    """A goal no longer pursued: off the dashboard, its history and checkpoints kept."""
    with transaction.atomic():
        if Goal.objects.filter(pk=goal.pk, retired_at__isnull=True).update(retired_at=at) == 1:
            GoalChange.objects.create(
                goal=goal, at=at, actor=actor, what="retired", before=_snapshot(goal), after={}
            )
    goal.refresh_from_db(fields=["retired_at"])
    return goal


# -- reading progress -------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointProgress:
    checkpoint: Checkpoint
    value: float | None
    cases: int
    thin: bool
    met: bool
    state: str  # "reached", "missed", "on track", "behind", "not started"


@dataclass(frozen=True)
class GoalProgress:
    goal: Goal
    metric: Metric
    checkpoints: list[CheckpointProgress]
    forecast: float | None
    forecast_text: str
    celebrations: list[Checkpoint]


def meets(metric: Metric, value: float | None, target: float) -> bool:
    if value is None:
        return False
    return value <= target if metric.better == Better.LOWER else value >= target


def _scope(goal: Goal) -> Scope:
    return Scope(team=goal.team_id)


def _value(goal: Goal, start: date, end: date) -> selectors.Value:
    groups = selectors.metrics_for(start=start, end=end, scope=_scope(goal))
    return next(v for v in groups[0].values if v.metric.name == goal.metric)


def forecast(goal: Goal, today: date) -> tuple[float | None, str]:
    """A straight line through the weekly values so far, carried to the goal's end."""
    metric = BY_NAME[goal.metric]
    last = min(today, goal.end)
    if last < goal.start:
        return None, "The goal has not started yet: no forecast."
    weeks = selectors.metrics_for(
        start=goal.start, end=last, scope=_scope(goal), grouping=Grouping.WEEK
    )
    points = [
        (i, v.value)
        for i, g in enumerate(weeks)
        for v in g.values
        if v.metric.name == goal.metric and v.value is not None and v.cases
    ]
    if len(points) < FORECAST_MIN_POINTS:
        return None, (
            f"Not enough weeks with data yet for a forecast (needs {FORECAST_MIN_POINTS})."
        )
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0
    end_week = (goal.end - (goal.start - timedelta(days=goal.start.weekday()))).days // 7
    projected = my + slope * (end_week - mx)
    verdict = "which meets" if meets(metric, projected, goal.target) else "short of"
    return projected, (
        f"If the weekly trend so far goes on in a straight line, {metric.title.lower()} will be "
        f"about {fmt(metric, projected)} by {goal.end:%-d %b %Y}, {verdict} the target of "
        f"{fmt(metric, goal.target)}. A straight line is a rough guide, not a promise."
    )


def fmt(metric: Metric, value: float | None) -> str:
    """A value as a person reads it: shares in per cent, durations in hours or minutes."""
    if value is None:
        return "–"
    if metric.unit == "share":
        return f"{value * 100:.0f}%"
    if metric.unit == "seconds":
        return f"{value / 3600:.1f} h" if value >= 3600 else f"{value / 60:.0f} min"
    if metric.unit == "conversations":
        return f"{value:.0f}"
    return f"{value:.2f}"


def goal_progress(goal: Goal, today: date) -> GoalProgress:
    metric = BY_NAME[goal.metric]
    out = []
    for cp in goal.checkpoints.all():
        if cp.start > today:
            out.append(CheckpointProgress(cp, None, 0, False, False, "not started"))
            continue
        v = _value(goal, cp.start, min(cp.end, today))
        met = meets(metric, v.value, cp.target) and not v.thin
        if cp.reached_at is not None:
            state = "reached"
        elif cp.end < today:
            state = "missed" if not met else "reached (to be confirmed)"
        else:
            state = "on track" if met else "behind"
        out.append(CheckpointProgress(cp, v.value, v.cases, v.thin, met, state))
    projected, text = forecast(goal, today)
    since = today - timedelta(days=CELEBRATION_DAYS)
    celebrations = [
        c for c in goal.checkpoints.all() if c.reached_at and c.reached_at.date() >= since
    ]
    return GoalProgress(goal, metric, out, projected, text, celebrations)


def goals_live(*, team: int | None = None) -> QuerySet[Goal]:
    qs = Goal.objects.filter(retired_at__isnull=True).select_related("team")
    if team is not None:
        qs = qs.filter(team_id=team)
    return qs.prefetch_related("checkpoints").order_by("end", "pk")


# -- judging checkpoints and celebrating ------------------------------------------------------


def checkpoints_judge(*, at: datetime, today: date) -> list[Checkpoint]:
    """Mark the checkpoints that ended and met their target as reached, each once; returns
    the ones this call reached (and so must celebrate)."""
    reached = []
    due = Checkpoint.objects.filter(
        goal__retired_at__isnull=True,
        reached_at__isnull=True,
        end__lt=today,
        end__gte=today - timedelta(days=JUDGE_BACK_DAYS),
    ).select_related("goal")
    for cp in due:
        v = _value(cp.goal, cp.start, cp.end)
        if v.thin or not meets(v.metric, v.value, cp.target):
            continue
        won = Checkpoint.objects.filter(pk=cp.pk, reached_at__isnull=True).update(
            reached_at=at, reached_value=v.value
        )
        if won:
            cp.reached_at, cp.reached_value = at, v.value
            reached.append(cp)
    return reached


def _team_addresses(goal: Goal) -> list[str]:
    agents = Agent.objects.filter(user__is_active=True)
    if goal.team_id is not None:
        agents = agents.filter(teams=goal.team_id)
    return sorted(set(agents.values_list("user__email", flat=True)))


def celebration_text(cp: Checkpoint) -> str:
    goal = cp.goal
    metric = BY_NAME[goal.metric]
    who = goal.team.name if goal.team else "The desk"
    return (
        f"{who} reached the checkpoint {cp.start:%-d %b} – {cp.end:%-d %b %Y}: "
        f"{metric.title.lower()} was {fmt(metric, cp.reached_value)} against a target of "
        f"{fmt(metric, cp.target)}. Well done, and thank you."
    )


def celebration_mail(*, checkpoint: Checkpoint, at: datetime) -> bool:
    """E-mail the team about a reached checkpoint, once: the claim on `mailed_at` is taken
    before sending and given back if the send fails, so a retry sends it, and nothing else."""
    if not Checkpoint.objects.filter(
        pk=checkpoint.pk, reached_at__isnull=False, mailed_at__isnull=True
    ).update(mailed_at=at):
        return False
    to = _team_addresses(checkpoint.goal)
    if not to:
        return True
    mail = EmailMessage(
        subject=f"Checkpoint reached: {BY_NAME[checkpoint.goal.metric].title}",
        body=celebration_text(checkpoint),
        from_email=desk_address(),
        to=[desk_address()],
        bcc=to,
        headers={"Message-ID": new_message_id(), "Auto-Submitted": "auto-generated"},
    )
    try:
        mail_send(mail)
    except Exception:
        Checkpoint.objects.filter(pk=checkpoint.pk).update(mailed_at=None)
        raise
    return True


def goals_celebrate(*, at: datetime, today: date) -> int:
    """Judge what ended, then mail every reached checkpoint not yet mailed."""
    checkpoints_judge(at=at, today=today)
    sent = 0
    for cp in Checkpoint.objects.filter(
        reached_at__isnull=False, mailed_at__isnull=True
    ).select_related("goal", "goal__team"):
        sent += celebration_mail(checkpoint=cp, at=at)
    return sent
