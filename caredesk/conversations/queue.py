"""The fair queue: severity band first, then arrival. Never the customer's plan, size or revenue.

Nothing waits forever: every `AGING_HOURS` in the queue raises a conversation one band, up to
`AGING_CAP`; only urgent (risk) conversations stay above everything. The rule is shown to agents
and every entry explains in plain words why it sits where it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Least
from django.utils import timezone

from caredesk.conversations import keyset, lifecycle
from caredesk.conversations.events import plan_record
from caredesk.conversations.models import (
    ACTIVE_STATUSES,
    DONE_STATUSES,
    Conversation,
    Event,
    EventKind,
    Severity,
    Status,
)
from caredesk.people.models import ESCALATING_SIGNALS, Agent, Presence, Team
from caredesk.people.selectors import open_to_every_agent

AGING_HOURS = 24
AGING_CAP = Severity.HIGH
THROUGHPUT_DAYS = 7
MIN_THROUGHPUT_SAMPLE = 5
AGING_RULE = (
    f"First come, first served within each severity band. Every {AGING_HOURS} hours in the queue "
    f"raises a conversation one band, up to {Severity(AGING_CAP).label}; only urgent risks "
    "(safety, legal, public escalation) rank above. "
    "A conversation escalated by risk (urgent, or churn intent) is any agent's to take, in its "
    "place. A customer's plan, size or revenue never counts."
)


def _band(now: datetime) -> Case:
    aged = Case(
        When(queued_at__lte=now - timedelta(hours=2 * AGING_HOURS), then=Value(2)),
        When(queued_at__lte=now - timedelta(hours=AGING_HOURS), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return Case(
        When(severity__gte=AGING_CAP + 1, then=F("severity")),
        default=Least(F("severity") + aged, Value(int(AGING_CAP))),
        output_field=IntegerField(),
    )


QUEUE_ORDER = ("-band", "queued_at", "pk")


def queue_queryset(
    *, teams: list[Team] | None = None, now: datetime | None = None
) -> QuerySet[Conversation]:
    """Unowned, active conversations in queue order. `teams=None` means every team.

    Active is said as open and not waiting on the customer, so the conv_queue_open index
    (WHERE is_open AND owner_id IS NULL) serves `queue_parts`; a page reads it with
    `queue_page`, never by sorting the whole queue."""
    now = now or timezone.now()
    qs = Conversation.objects.filter(
        owner__isnull=True, is_open=True, merged_into__isnull=True
    ).exclude(status=Status.WAITING_ON_CUSTOMER)
    if teams is not None:  # escalated by risk: every agent's to take, in its fair place
        qs = qs.filter(Q(team__in=teams) | Q(team__isnull=True) | open_to_every_agent())
    return qs.annotate(band=_band(now)).order_by(*QUEUE_ORDER)


def queue_parts(now: datetime) -> list[keyset.Part]:
    """The queue cut into parts of one band each: a severity and, below the cap, how long it has
    waited as `_band` counts it (whole days of `AGING_HOURS`, 0 to 2), each in arrival order
    along conv_queue_open. Ages that give a severity the same band are one part."""
    day = timedelta(hours=AGING_HOURS)
    parts = []
    for severity in Severity:
        if severity > AGING_CAP:  # only urgent risks rank above the cap, and never age
            bands = [int(severity)] * 3
        else:
            bands = [min(severity + aged, AGING_CAP) for aged in range(3)]
        for band in sorted(set(bands)):
            aged = [a for a, b in enumerate(bands) if b == band]  # consecutive days
            age = Q(queued_at__lte=now - aged[0] * day) if aged[0] else Q()
            if aged[-1] < 2:
                age &= Q(queued_at__gt=now - (aged[-1] + 1) * day)
            parts.append(keyset.Part(Q(severity=severity) & age, {"band": int(band)}))
    return parts


def queue_page(
    qs: QuerySet[Conversation], cursor: str = "", *, limit: int, now: datetime
) -> keyset.Page:
    """A page of a queue queryset (filters may narrow it) in the fair order, by parts."""
    return keyset.page(qs, QUEUE_ORDER, cursor, limit=limit, parts=queue_parts(now))


def queue_for_agent(agent: Agent, now: datetime | None = None) -> QuerySet[Conversation]:
    teams = None if agent.sees_everything else list(agent.teams.all())
    return queue_queryset(teams=teams, now=now)


def escalated(conversation: Conversation) -> bool:
    """Escalated by risk and unowned: any agent may take it (`people.selectors.open_to_every_agent`
    says the same as a filter)."""
    return conversation.owner_id is None and (
        conversation.severity >= Severity.URGENT or conversation.risk_signal in ESCALATING_SIGNALS
    )


@dataclass(frozen=True)
class QueueEntry:
    conversation: Conversation
    position: int
    band: int
    reason: str


def explain(conversation: Conversation, band: int, position: int, now: datetime) -> str:
    """Why this conversation sits where it does, in words an agent or a customer understands."""
    severity = Severity(conversation.severity)
    band_label = Severity(band).label
    waited = now - conversation.queued_at
    hours = int(waited.total_seconds() // 3600)
    parts = [f"{band_label} band"]
    if band > conversation.severity:
        raised = band - conversation.severity
        parts.append(
            f"severity {severity.label.lower()}, raised {raised} band{'s' if raised > 1 else ''} "
            f"after waiting {hours} h (every {AGING_HOURS} h raises one)"
        )
    else:
        parts.append(f"severity {severity.label.lower()}")
    signals = [s.replace("_", " ") for s in (conversation.signals or [])]
    if signals and conversation.severity >= Severity.HIGH:
        parts.append("risk: " + ", ".join(signals))
    if escalated(conversation):
        risk = (conversation.risk_signal or "risk").replace("_", " ")
        parts.append(f"escalated ({risk}): any agent of any team may take it")
    parts.append(f"waiting since {timezone.localtime(conversation.queued_at):%d %b %H:%M}")
    return f"#{position}: " + "; ".join(parts) + "."


def queue_entries(
    qs: QuerySet[Conversation], *, limit: int = 50, now: datetime | None = None
) -> list[QueueEntry]:
    """The first `limit` of a queue queryset, each with its place and the reason for it."""
    now = now or timezone.now()
    rows = queue_page(qs.select_related("customer", "team"), limit=limit, now=now).rows
    entries = []
    for i, c in enumerate(rows, start=1):
        band: int = c.band  # type: ignore[attr-defined]  # annotated by queue_queryset
        entries.append(QueueEntry(c, i, band, explain(c, band, i, now)))
    return entries


def queue_position(conversation: Conversation, now: datetime | None = None) -> int | None:
    """1-based place among the conversations its team will take before it; None if not queued."""
    now = now or timezone.now()
    if (
        conversation.owner_id is not None
        or conversation.status not in ACTIVE_STATUSES
        or conversation.merged_into_id
    ):
        return None
    qs = queue_queryset(now=now).filter(team=conversation.team)
    mine = qs.filter(pk=conversation.pk).values_list("band", flat=True).first()  # type: ignore[misc]
    if mine is None:
        return None
    ahead = qs.filter(  # type: ignore[misc]  # band is an annotation
        Q(band__gt=mine)
        | Q(band=mine, queued_at__lt=conversation.queued_at)
        | Q(band=mine, queued_at=conversation.queued_at, pk__lt=conversation.pk)
    ).count()
    return ahead + 1


@dataclass(frozen=True)
class WaitEstimate:
    seconds: int | None
    sample: int
    text: str


def _humanize(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60, 1)
    if hours < 24:
        return f"about {hours:g} hour{'s' if hours != 1 else ''}"
    days = round(hours / 24, 1)
    return f"about {days:g} day{'s' if days != 1 else ''}"


def wait_estimate(position: int | None, now: datetime | None = None) -> WaitEstimate:
    """An honest wait estimate from the last week's measured pick-up rate, or none at all."""
    now = now or timezone.now()
    if position is None:
        return WaitEstimate(None, 0, "")
    sample = Event.objects.filter(
        kind=EventKind.ASSIGNED, created_at__gte=now - timedelta(days=THROUGHPUT_DAYS)
    ).count()
    if sample < MIN_THROUGHPUT_SAMPLE:
        seen = "none" if sample == 0 else f"only {sample}"
        return WaitEstimate(
            None,
            sample,
            "Not enough data yet to estimate the wait — we measure it from conversations "
            f"picked up in the last {THROUGHPUT_DAYS} days, and there were {seen}.",
        )
    per_second = sample / (THROUGHPUT_DAYS * 86400)
    seconds = int(position / per_second)
    return WaitEstimate(
        seconds,
        sample,
        f"Estimated wait: {_humanize(seconds)}, based on the {sample} conversations our team "
        f"picked up in the last {THROUGHPUT_DAYS} days.",
    )


def take_next(*, agent: Agent, at: datetime | None = None) -> Conversation | None:
    """Give the agent the first conversation in their queue that no one else has just taken.

    A compare-and-set update (owner still empty) makes two simultaneous presses end with two
    different conversations, on SQLite and PostgreSQL alike.
    """
    now = at or timezone.now()
    for _attempt in range(5):
        waiting = queue_for_agent(agent, now).only("pk", "queued_at")
        candidates = [c.pk for c in queue_page(waiting, limit=20, now=now).rows]
        if not candidates:
            return None
        for pk in candidates:
            with transaction.atomic():
                taken = Conversation.objects.filter(
                    pk=pk, owner__isnull=True, status__in=ACTIVE_STATUSES
                ).update(owner=agent)
                if taken:
                    conversation = Conversation.objects.get(pk=pk)
                    plan_record(
                        lifecycle.assigned(
                            conversation, agent=agent, actor=agent.user, at=now, how="take_next"
                        )
                    )
                    return conversation
    return None


def agent_loads(team: Team) -> list[tuple[Agent, int]]:
    agents = team.agents.select_related("user").annotate(
        load=Count("conversations", filter=~Q(conversations__status__in=DONE_STATUSES))
    )
    return [(a, a.load) for a in agents]  # type: ignore[attr-defined]


@transaction.atomic
def auto_assign(*, conversation: Conversation, at: datetime | None = None) -> Agent | None:
    """Balance by open load against capacity among online agents; round-robin among equals."""
    team = conversation.team
    if team is None or not team.auto_assign:
        return None
    candidates = [
        (
            load / max(agent.capacity, 1),
            agent.last_assigned_at or datetime.min.replace(tzinfo=timezone.get_current_timezone()),
            agent.pk,
            agent,
        )
        for agent, load in agent_loads(team)
        if agent.presence == Presence.ONLINE and load < agent.capacity
    ]
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c[0], c[1], c[2]))
    agent = candidates[0][3]
    now = at or timezone.now()
    taken = Conversation.objects.filter(pk=conversation.pk, owner__isnull=True).update(owner=agent)
    if not taken:
        return None
    agent.last_assigned_at = now
    agent.save(update_fields=["last_assigned_at"])
    conversation.refresh_from_db()
    plan_record(lifecycle.assigned(conversation, agent=agent, actor=None, at=now, how="auto"))
    return agent
