"""What the rollups count for a batch of conversations, loaded in a few queries per batch.

The refresh (one conversation) and the rebuild (every conversation, in batches) both come
through `facts_for`, so the two paths agree: the contribution to the daily rollups
(`facts.contribution`), the plain totals the correlations sum (`Totals`), and the reply-coach
findings per author and day that the review reads (`Coaching`).

Durations are counted in business time for a conversation whose team has business hours (the
care app's `BusinessHours`, read once per batch); wall-clock time otherwise. The hours are those
of the conversation's team at the time it is counted: after a team changes its hours,
`caredesk insights rebuild` counts the past again under the new ones.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F

from caredesk.care.business_hours import Hours, business_time
from caredesk.care.models import BusinessHours
from caredesk.care.selectors import hours_of
from caredesk.conversations.models import Conversation, Direction, Event, EventKind, Message
from caredesk.insights.facts import (
    CUSTOMER_REOPEN,
    RETURN_WINDOW,
    Contribution,
    Elapsed,
    EventRow,
    contribution,
    contribution_totals,
    day_of,
    desk_zone,
    wall_clock,
)

Key = tuple[int, str, int, int]  # team, channel, severity, agent
Coaching = dict[str, dict[str, dict[str, int]]]  # {day: {author: {category ("": all): replies}}}
CATEGORY_LENGTH = 60  # `CoachDay.category`


@dataclass(frozen=True)
class _Input:
    key: Key
    events: list[EventRow]
    complaint: bool
    came_back: Callable[[datetime], bool]
    elapsed: Elapsed
    coaching: Coaching
    replies: int
    coached: int


@dataclass(frozen=True)
class Facts:
    """Everything one conversation adds: to the rollups, the correlations and the coaching."""

    conversation: int
    key: Key
    contribution: Contribution
    totals: dict[str, Any]  # `ConversationFact`'s plain columns
    coaching: Coaching


def _reads_thanks(reading: dict[str, Any] | None) -> bool:
    if not reading:
        return False
    return reading.get("emotion") == "gratitude" or reading.get("polarity") == "positive"


def _reads_negative(reading: dict[str, Any] | None) -> bool:
    return bool(reading) and (reading or {}).get("polarity") == "negative"


def _returns(created: Sequence[datetime]) -> Callable[[datetime], bool]:
    def came_back(at: datetime) -> bool:
        i = bisect.bisect_right(created, at)
        return i < len(created) and created[i] <= at + RETURN_WINDOW

    return came_back


def _business(hours: Hours) -> Elapsed:
    def elapsed(start: datetime, end: datetime) -> int:
        return int(business_time(hours, [(start, end)]).total_seconds())

    return elapsed


def _elapsed_by_team(teams: set[int]) -> dict[int, Elapsed]:
    """Business time for the teams that keep business hours (one query)."""
    return {
        row.team_id: _business(hours_of(row))
        for row in BusinessHours.objects.filter(team_id__in=teams)
    }


def _events(
    ids: Sequence[int],
) -> tuple[dict[int, list[EventRow]], list[int]]:
    """Each conversation's events in order, and the customer messages that reopened one."""
    events: dict[int, list[EventRow]] = defaultdict(list)
    reopen_messages: list[int] = []
    after_reopen: set[int] = set()
    for conv, kind, at, data in (
        Event.objects.filter(conversation_id__in=ids)
        .order_by("conversation_id", "created_at", "pk")
        .values_list("conversation_id", "kind", "created_at", "data")
    ):
        events[conv].append(EventRow(kind=kind, at=at, data=data))
        if kind == EventKind.REOPENED and data.get("reason") == CUSTOMER_REOPEN:
            after_reopen.add(conv)
        elif kind == EventKind.CUSTOMER_REPLIED and conv in after_reopen:
            after_reopen.discard(conv)
            if isinstance(data.get("message"), int):
                reopen_messages.append(data["message"])
    return events, reopen_messages


def _replies(ids: Sequence[int]) -> dict[int, tuple[Coaching, int, int]]:
    """Per conversation: its agents' replies with their coach findings by author and day, how
    many replies, and how many had a finding."""
    zone = desk_zone()
    out: dict[int, tuple[Coaching, int, int]] = {}
    rows = Message.objects.filter(conversation_id__in=ids, direction=Direction.OUTBOUND)
    for conv, author, at, findings in rows.values_list(
        "conversation_id", "author_id", "created_at", "findings"
    ):
        coaching, replies, coached = out.get(conv, ({}, 0, 0))
        out[conv] = (coaching, replies + 1, coached + bool(findings))
        if author is None:
            continue
        per = coaching.setdefault(day_of(at, zone), {}).setdefault(str(author), {})
        categories = {str(f.get("category", ""))[:CATEGORY_LENGTH] for f in findings or []}
        for category in {"", *(c for c in categories if c)}:
            per[category] = per.get(category, 0) + 1
    return out


def _load(ids: Sequence[int]) -> tuple[dict[int, _Input], Callable[[int | None], bool]]:
    """Everything the facts of these conversations need, in a few queries per batch."""
    rows = list(
        Conversation.objects.filter(pk__in=ids).values_list(
            "pk", "team_id", "channel", "severity", "owner_id", "customer_id"
        )
    )
    events, reopen_messages = _events(ids)
    thanked = {
        pk
        for pk, reading in Message.objects.filter(pk__in=reopen_messages).values_list(
            "pk", "reading"
        )
        if _reads_thanks(reading)
    }
    negative = {
        conv
        for conv, reading in Message.objects.filter(
            conversation_id__in=ids,
            direction=Direction.INBOUND,
            created_at=F("conversation__created_at"),
        ).values_list("conversation_id", "reading")
        if _reads_negative(reading)
    }
    created: dict[int, list[datetime]] = defaultdict(list)
    for customer, at in (
        Conversation.objects.filter(customer_id__in={row[5] for row in rows})
        .order_by("created_at")
        .values_list("customer_id", "created_at")
    ):
        created[customer].append(at)
    elapsed = _elapsed_by_team({row[1] for row in rows if row[1]})
    replies = _replies(ids)
    inputs = {}
    for pk, team, channel, severity, owner, customer in rows:
        coaching, sent, coached = replies.get(pk, ({}, 0, 0))
        inputs[pk] = _Input(
            key=(team or 0, channel, severity, owner or 0),
            events=events[pk],
            complaint=pk in negative,
            came_back=_returns(created[customer]),
            elapsed=elapsed.get(team or 0, wall_clock),
            coaching=coaching,
            replies=sent,
            coached=coached,
        )
    return inputs, lambda message: message in thanked


def _totals(item: _Input, contrib: Contribution) -> dict[str, Any]:
    """The plain columns of `ConversationFact` the correlations count and sum."""
    t = contribution_totals(contrib)
    opened = bool(t.get("opened"))
    rated = bool(t.get("rated"))
    return {
        "opened_at": next((e.at for e in item.events if e.kind == EventKind.CREATED), None)
        if opened
        else None,
        "team_id": item.key[0],
        "complaint": bool(t.get("complaints")),
        "first_resolved": bool(t.get("first_resolved")),
        "fcr": bool(t.get("fcr")),
        "satisfaction": t["satisfaction_sum"] // t["rated"] if rated else None,
        "people_many": bool(t.get("people_many")),
        "bad_experience": bool(t.get("bad_experiences")),
        "came_back": bool(t.get("came_back")),
        "first_response": t["frt"][0] if t.get("frt") else None,
        "replies": item.replies,
        "coached": item.coached,
    }


def facts_for(ids: Sequence[int]) -> Iterator[Facts]:
    """The facts of each of these conversations that still exists."""
    inputs, thanks = _load(ids)
    zone = desk_zone()
    for pk, item in inputs.items():
        contrib = contribution(
            item.events,
            thanks=thanks,
            complaint=item.complaint,
            came_back=item.came_back,
            zone=zone,
            elapsed=item.elapsed,
        )
        yield Facts(pk, item.key, contrib, _totals(item, contrib), item.coaching)


TOTALS: tuple[str, ...] = (
    "opened_at",
    "team_id",
    "complaint",
    "first_resolved",
    "fcr",
    "satisfaction",
    "people_many",
    "bad_experience",
    "came_back",
    "first_response",
    "replies",
    "coached",
)
