"""Finding the silent unhappy: rules over readings, events and ratings that mark a customer at risk.

More than 95% of unhappy customers never complain; most of them just leave. Each rule here looks
at what the desk already stored and names, in plain words, why a customer may be one of them.
A finding carries a `key` that names exactly what the rule saw (a message, an event, a rating, a
conversation at a moment), so the periodic task records each finding once however often it runs
(`outreach_services.outreach_sweep`). Every rule looks back only `LOOKBACK` from the moment its
trigger became true: the queries stay bounded, and the first run never floods the agents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from caredesk.care.models import OutreachRule
from caredesk.conversations.models import (
    ACTIVE_STATUSES,
    DONE_STATUSES,
    NOT_DONE_STATUSES,
    Channel,
    Conversation,
    Direction,
    Event,
    EventKind,
    Message,
    Status,
)
from caredesk.conversations.selectors import AGENT_EVENT_KEYS

# The rules' thresholds are settings (CAREDESK_AT_RISK_<NAME>, caredesk/config.py; defaults in
# `config.AT_RISK_DEFAULTS`); each must lie in its range here, or start-up stops (caredesk.E031).
THRESHOLDS: dict[str, tuple[int, int, str]] = {
    "negative_hours": (1, 720, "hours a negative reading is left unresolved"),
    "long_wait_hours": (1, 720, "hours waiting on us without a person's answer"),
    "abandoned_hours": (1, 720, "hours a portal conversation is left unanswered by the customer"),
    "low_satisfaction": (1, 4, "a satisfaction rating (1-5) at or below this"),
    "silence_days": (1, 365, "days without word from the customer after a bad experience"),
    "people_per_problem": (2, 20, "agents the customer explained one problem to"),
}
NEGATIVE_EMOTIONS = ("anger", "frustration", "worry", "sadness")
LOOKBACK = timedelta(days=7)
LIMIT = 500  # findings per rule and run; the next run takes the rest
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Finding:
    """One rule's reason to reach out to one customer, about one of their conversations."""

    rule: OutreachRule
    key: str
    customer_id: int
    conversation_id: int
    reason: str


@dataclass(frozen=True)
class Rule:
    """A rule: its name (with its plain title, `OutreachRule.label`) and how it finds."""

    name: OutreachRule
    find: Callable[[datetime], list[Finding]]


def threshold(name: str) -> int:
    """One rule's threshold as configured (read at each run: a test or a restart may change it)."""
    return int(settings.CAREDESK_AT_RISK[name])


def _hours(delta: timedelta) -> int:
    return int(delta.total_seconds() // 3600)


def negative_unresolved(at: datetime) -> list[Finding]:
    """The customer's latest message read negative, and nobody resolved it within
    `negative_hours`."""
    since = at - timedelta(hours=threshold("negative_hours"))
    newer = Message.objects.filter(
        conversation=OuterRef("conversation"),
        direction=Direction.INBOUND,
        created_at__gt=OuterRef("created_at"),
    )
    rows = (
        Message.objects.filter(
            direction=Direction.INBOUND,
            reading__polarity="negative",
            created_at__lte=since,
            created_at__gt=since - LOOKBACK,
            conversation__status__in=NOT_DONE_STATUSES,
            conversation__merged_into__isnull=True,
        )
        .exclude(Exists(newer))
        .order_by("created_at", "pk")
        .values_list(
            "pk", "conversation_id", "conversation__customer_id", "created_at", "reading__emotion"
        )[:LIMIT]
    )
    return [
        Finding(
            OutreachRule.NEGATIVE_UNRESOLVED,
            f"negative_unresolved:message:{pk}",
            customer,
            conversation,
            f"Wrote in {emotion or 'a negative mood'} on #{conversation}, still unresolved "
            f"{_hours(at - created)} hours later.",
        )
        for pk, conversation, customer, created, emotion in rows
    ]


def long_wait(at: datetime) -> list[Finding]:
    """The customer has waited on us `long_wait_hours` since their first message after a
    person last answered (the desk's own status updates do not count as an answer)."""
    since = at - timedelta(hours=threshold("long_wait_hours"))
    replied = Message.objects.filter(
        conversation=OuterRef("pk"), direction=Direction.OUTBOUND, author__isnull=False
    ).order_by("-created_at", "-pk")
    waiting = Message.objects.filter(
        conversation=OuterRef("pk"),
        direction=Direction.INBOUND,
        created_at__gt=Coalesce(OuterRef("replied_at"), Value(_EPOCH)),
    ).order_by("created_at", "pk")
    rows = (
        Conversation.objects.filter(
            status__in=ACTIVE_STATUSES, merged_into__isnull=True, created_at__lte=since
        )
        .annotate(replied_at=Subquery(replied.values("created_at")[:1]))
        .annotate(
            waiting_since=Subquery(waiting.values("created_at")[:1]),
            waiting_message=Subquery(waiting.values("pk")[:1]),
        )
        .filter(waiting_since__lte=since, waiting_since__gt=since - LOOKBACK)
        .order_by("waiting_since", "pk")
        .values_list("pk", "customer_id", "waiting_since", "waiting_message")[:LIMIT]
    )
    return [
        Finding(
            OutreachRule.LONG_WAIT,
            f"long_wait:message:{message}",
            customer,
            pk,
            f"Has waited {_hours(at - waiting_since)} hours on #{pk} without an answer.",
        )
        for pk, customer, waiting_since, message in rows
    ]


def reopened(at: datetime) -> list[Finding]:
    """The problem came back: a resolved conversation was reopened."""
    rows = (
        Event.objects.filter(
            kind=EventKind.REOPENED, created_at__gt=at - LOOKBACK, created_at__lte=at
        )
        .order_by("created_at", "pk")
        .values_list("pk", "conversation_id", "conversation__customer_id", "data__reason")[:LIMIT]
    )
    return [
        Finding(
            OutreachRule.REOPENED,
            f"reopened:event:{pk}",
            customer,
            conversation,
            f"#{conversation} was reopened ({why or 'the problem came back'}).",
        )
        for pk, conversation, customer, why in rows
    ]


def abandoned_portal(at: datetime) -> list[Finding]:
    """A portal conversation where we asked the customer something and they never came back."""
    since = at - timedelta(hours=threshold("abandoned_hours"))
    rows = (
        Conversation.objects.filter(
            channel=Channel.PORTAL,
            status=Status.WAITING_ON_CUSTOMER,
            merged_into__isnull=True,
            last_message_at__lte=since,
            last_message_at__gt=since - LOOKBACK,
        )
        .order_by("last_message_at", "pk")
        .values_list("pk", "customer_id", "last_message_at")[:LIMIT]
    )
    return [
        Finding(
            OutreachRule.ABANDONED_PORTAL,
            f"abandoned_portal:{pk}:{int(last.timestamp())}",
            customer,
            pk,
            f"Left #{pk} in the portal without answering us for {_hours(at - last) // 24} days.",
        )
        for pk, customer, last in rows
    ]


def low_rating(at: datetime) -> list[Finding]:
    """The customer rated their satisfaction `low_satisfaction` or less."""
    rows = (
        Event.objects.filter(
            kind=EventKind.RATED,
            data__satisfaction__lte=threshold("low_satisfaction"),
            created_at__gt=at - LOOKBACK,
            created_at__lte=at,
        )
        .order_by("created_at", "pk")
        .values_list("pk", "conversation_id", "conversation__customer_id", "data__satisfaction")[
            :LIMIT
        ]
    )
    return [
        Finding(
            OutreachRule.LOW_RATING,
            f"low_rating:event:{pk}",
            customer,
            conversation,
            f"Rated #{conversation} {satisfaction}/5 for satisfaction.",
        )
        for pk, conversation, customer, satisfaction in rows
    ]


def silent_after_bad(at: datetime) -> list[Finding]:
    """A conversation ended badly (its last reading negative, or an SLA missed) and the customer
    has not written to us since, for `silence_days`, nor rated it."""
    since = at - timedelta(days=threshold("silence_days"))
    breached = Event.objects.filter(conversation=OuterRef("pk"), kind=EventKind.SLA_BREACHED)
    wrote = Message.objects.filter(
        conversation__customer=OuterRef("customer"),
        direction=Direction.INBOUND,
        created_at__gt=OuterRef("resolved_at"),
    )
    rows = (
        Conversation.objects.filter(
            status__in=DONE_STATUSES,
            merged_into__isnull=True,
            resolved_at__lte=since,
            resolved_at__gt=since - LOOKBACK,
            rating__isnull=True,
        )
        .filter(Q(emotion__in=NEGATIVE_EMOTIONS) | Exists(breached))
        .exclude(Exists(wrote))
        .annotate(breached=Exists(breached))
        .order_by("resolved_at", "pk")
        .values_list("pk", "customer_id", "resolved_at", "breached", "emotion")[:LIMIT]
    )
    found = []
    for pk, customer, resolved, was_breached, emotion in rows:
        assert resolved is not None  # filtered on above
        why = "an SLA target was missed" if was_breached else f"last read as {emotion}"
        found.append(
            Finding(
                OutreachRule.SILENT_AFTER_BAD,
                f"silent_after_bad:{pk}:{int(resolved.timestamp())}",
                customer,
                pk,
                f"No word for {(at - resolved).days} days since #{pk} ended badly ({why}).",
            )
        )
    return found


def people_per_problem(at: datetime) -> list[Finding]:
    """The customer had to explain one problem to `people_per_problem` agents or more."""
    kinds = list(AGENT_EVENT_KEYS)
    recent = (
        Event.objects.filter(kind__in=kinds, created_at__gt=at - LOOKBACK, created_at__lte=at)
        .order_by("conversation_id")
        .values_list("conversation_id", flat=True)
        .distinct()[:LIMIT]
    )
    agents: dict[int, set[int]] = defaultdict(set)
    customers: dict[int, int] = {}
    rows = Event.objects.filter(
        conversation_id__in=list(recent),
        conversation__merged_into__isnull=True,
        kind__in=kinds,
        created_at__lte=at,
    ).values_list("conversation_id", "conversation__customer_id", "kind", "data")
    for conversation, customer, kind, data in rows:
        customers[conversation] = customer
        for key in AGENT_EVENT_KEYS[EventKind(kind)]:
            if data.get(key):
                agents[conversation].add(int(data[key]))
    return [
        Finding(
            OutreachRule.PEOPLE_PER_PROBLEM,
            f"people_per_problem:{pk}",
            customers[pk],
            pk,
            f"Explained #{pk} to {len(people)} people.",
        )
        for pk, people in sorted(agents.items())
        if len(people) >= threshold("people_per_problem")
    ]


RULES: tuple[Rule, ...] = (
    Rule(OutreachRule.NEGATIVE_UNRESOLVED, negative_unresolved),
    Rule(OutreachRule.LONG_WAIT, long_wait),
    Rule(OutreachRule.REOPENED, reopened),
    Rule(OutreachRule.ABANDONED_PORTAL, abandoned_portal),
    Rule(OutreachRule.LOW_RATING, low_rating),
    Rule(OutreachRule.SILENT_AFTER_BAD, silent_after_bad),
    Rule(OutreachRule.PEOPLE_PER_PROBLEM, people_per_problem),
)


def findings(*, at: datetime) -> list[Finding]:
    """What every rule finds at `at`, oldest trigger first within each rule."""
    return [finding for rule in RULES for finding in rule.find(at)]
