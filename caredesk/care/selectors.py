"""Reads for SLA timers: each conversation's clocks, the inbox's time left, the compliance report.

A page of conversations costs a fixed number of queries however many rows it has: the teams'
settings in two, every event the clocks read in one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from caredesk.care import sla
from caredesk.care.business_hours import ALWAYS_OPEN, Hours, hours_parse
from caredesk.care.models import BusinessHours, SlaPolicy, SlaTarget
from caredesk.conversations.models import NOT_DONE_STATUSES, Conversation, Event
from caredesk.people.models import Team

# The SLA task looks at this many open conversations a run (oldest first); the rest next minute.
SWEEP_LIMIT = 5000


@dataclass(frozen=True)
class TeamSla:
    """A team's SLA settings as the clocks use them."""

    hours: Hours
    warn_before: timedelta
    silence_limit: timedelta
    targets: dict[int, sla.Targets] = field(default_factory=dict)

    @property
    def since(self) -> datetime | None:
        """When the team's SLA took effect: its earliest policy (None: one from before that was
        recorded). An owner's silence counts from no earlier (`sla.owner_silence`)."""
        starts = [t.since for t in self.targets.values()]
        if not starts or None in starts:
            return None
        return min(s for s in starts if s is not None)


def hours_of(row: BusinessHours | None) -> Hours:
    if row is None:
        return ALWAYS_OPEN
    return hours_parse(time_zone=row.time_zone, week=row.week, holidays=row.holidays)


def team_sla(team_ids: Iterable[int | None]) -> dict[int, TeamSla]:
    """The SLA settings of the given teams that have at least one policy (two queries)."""
    ids = {pk for pk in team_ids if pk is not None}
    if not ids:
        return {}
    policies = list(SlaPolicy.objects.filter(team_id__in=ids))
    rows = {
        h.team_id: h
        for h in BusinessHours.objects.filter(team_id__in={p.team_id for p in policies})
    }
    found: dict[int, TeamSla] = {}
    for policy in policies:
        row = rows.get(policy.team_id)
        if policy.team_id not in found:
            found[policy.team_id] = TeamSla(
                hours=hours_of(row),
                warn_before=timedelta(minutes=row.warn_minutes if row else 30),
                silence_limit=timedelta(minutes=row.owner_answer_minutes if row else 240),
            )
        team = found[policy.team_id]
        team.targets[policy.severity] = sla.Targets(
            hours=team.hours,
            first_response=timedelta(minutes=policy.first_response_minutes),
            next_response=timedelta(minutes=policy.next_response_minutes),
            resolution=timedelta(minutes=policy.resolution_minutes),
            since=policy.effective_from,
        )
    return found


def marks_of(conversation_ids: Iterable[int]) -> dict[int, list[sla.Mark]]:
    """The events the clocks read, per conversation, in order (one query)."""
    found: dict[int, list[sla.Mark]] = defaultdict(list)
    rows = (
        Event.objects.filter(conversation_id__in=list(conversation_ids), kind__in=sla.CLOCK_KINDS)
        .order_by("created_at", "pk")
        .values_list("conversation_id", "kind", "created_at", "data")
    )
    for conversation_id, kind, at, data in rows:
        found[conversation_id].append(sla.Mark(kind, at, data if isinstance(data, dict) else {}))
    return found


@dataclass(frozen=True)
class SlaView:
    """One conversation's SLA as the desk shows it."""

    clocks: list[sla.Clock]
    pressing: sla.Clock | None

    @property
    def text(self) -> str:
        clock = self.pressing
        if clock is None:
            return ""
        if clock.breached:
            return f"{clock.label}: overdue {duration(clock.elapsed - clock.limit)}"
        state = "left" if clock.running else "left, paused (waiting on the customer)"
        return f"{clock.label}: {duration(clock.left)} {state}"


def duration(amount: timedelta) -> str:
    minutes = int(amount.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def conversation_clocks(
    conversation: Conversation, marks: Sequence[sla.Mark], team: TeamSla | None, *, at: datetime
) -> list[sla.Clock]:
    """The clocks of one conversation at its current severity (none without a policy)."""
    targets = team.targets.get(conversation.severity) if team else None
    if targets is None:
        return []
    return sla.clocks(marks, created_at=conversation.created_at, targets=targets, now=at)


def sla_views(conversations: Sequence[Conversation], *, at: datetime) -> dict[int, SlaView]:
    """Each open conversation's clocks and the one with the least time left, for a page of the
    inbox: three queries whatever the page's size."""
    open_ones = [c for c in conversations if c.status in NOT_DONE_STATUSES]
    teams = team_sla(c.team_id for c in open_ones)
    wanted = [c for c in open_ones if c.team_id in teams]
    marks = marks_of(c.pk for c in wanted) if wanted else {}
    views = {}
    for c in wanted:
        found = conversation_clocks(c, marks.get(c.pk, []), teams.get(c.team_id or 0), at=at)
        views[c.pk] = SlaView(clocks=found, pressing=sla.most_pressing(found))
    return views


def sla_due_ids(*, at: datetime) -> list[int]:
    """The open conversations with an SLA action due now (read without locks; the service
    decides again under the lock)."""
    teams = team_sla(SlaPolicy.objects.values_list("team_id", flat=True).distinct())
    conversations = list(
        Conversation.objects.filter(is_open=True, team_id__in=list(teams))
        .only("pk", "team_id", "owner_id", "severity", "created_at", "status")
        .order_by("pk")[:SWEEP_LIMIT]
    )
    marks = marks_of(c.pk for c in conversations)
    due = []
    for c in conversations:
        team = teams.get(c.team_id or 0)
        if team is not None and conversation_actions(c, marks.get(c.pk, []), team, at=at):
            due.append(c.pk)
    return due


def conversation_actions(
    conversation: Conversation, marks: Sequence[sla.Mark], team: TeamSla, *, at: datetime
) -> list[sla.Action]:
    """What the SLA task must do for this conversation now, from its stored events."""
    found = conversation_clocks(conversation, marks, team, at=at)
    silence = sla.owner_silence(
        marks, owner_id=conversation.owner_id, hours=team.hours, now=at, since=team.since
    )
    return sla.actions(
        found,
        done=sla.recorded(marks),
        warn_before=team.warn_before,
        silence=silence,
        silence_limit=team.silence_limit,
    )


# --- the compliance report ----------------------------------------------------------------------


@dataclass
class TargetRow:
    target: str
    label: str
    met: int = 0
    missed: int = 0
    running: int = 0

    @property
    def rate(self) -> str:
        judged = self.met + self.missed
        return f"{100 * self.met / judged:.0f}%" if judged else "—"


def sla_report(*, team: Team, start: datetime, end: datetime, at: datetime) -> list[TargetRow]:
    """Targets met and missed per kind for the team's conversations opened in [start, end),
    judged at `at` (a clock still running within its limit counts as running). Each
    conversation is judged at its current severity's targets."""
    rows = {t.value: TargetRow(t.value, str(t.label)) for t in SlaTarget}
    teams = team_sla([team.pk])
    setting = teams.get(team.pk)
    if setting is None:
        return list(rows.values())
    conversations = list(
        Conversation.objects.filter(team=team, created_at__gte=start, created_at__lt=end)
        .only("pk", "severity", "created_at", "status", "team_id")
        .order_by("pk")
    )
    marks = marks_of(c.pk for c in conversations)
    for c in conversations:
        for clock in conversation_clocks(c, marks.get(c.pk, []), setting, at=at):
            row = rows[clock.target]
            if clock.breached:
                row.missed += 1
            elif clock.stopped is not None:
                row.met += 1
            else:
                row.running += 1
    return list(rows.values())
