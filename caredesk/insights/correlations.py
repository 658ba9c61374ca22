"""Correlations that tell a bigger story: two groups of conversations compared on one outcome.

Each conversation's totals come from what it added to the rollups (`ConversationFact`), not from
its events; the period picks conversations by when they were opened (an indexed range on
`Conversation.created_at`), at most `MAX_CASES` of them, the newest first. Each comparison gives
the cases in each group, the difference (in proportions or in means) with a 95% normal interval,
and a plain sentence that says a link is not a cause; under `THIN` cases in a group it says
"not enough data" instead.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q

from caredesk.conversations.models import Conversation, Direction, Message
from caredesk.insights.facts import desk_zone
from caredesk.insights.metrics import THIN
from caredesk.insights.models import ConversationFact

MAX_CASES = 20_000
Z95 = 1.96
QUICK_FIRST_RESPONSE = 3600  # seconds: "answered within the hour"

Case = dict[str, Any]


@dataclass(frozen=True)
class Correlation:
    title: str
    outcome: str
    groups: tuple[str, str]
    cases: tuple[int, int]
    values: tuple[float | None, float | None]
    difference: float | None
    low: float | None
    high: float | None
    proportion: bool
    sentence: str

    @property
    def enough(self) -> bool:
        return self.difference is not None


def _totals(contribution: dict[str, dict[str, Any]]) -> Case:
    out: Case = {}
    for counts in contribution.values():
        for name, value in counts.items():
            if isinstance(value, list):
                out.setdefault(name, []).extend(value)
            else:
                out[name] = out.get(name, 0) + value
    return out


def cases_for(*, start: date, end: date, team: int | None = None) -> list[Case]:
    """One row of totals per conversation opened in the period (merged-away ones left out)."""
    zone = desk_zone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    conversations = Conversation.objects.filter(created_at__gte=since, created_at__lt=until)
    if team is not None:
        conversations = conversations.filter(team_id=team)
    ids = list(conversations.order_by("-created_at").values_list("pk", flat=True)[:MAX_CASES])
    found: dict[int, int] = defaultdict(int)
    replies: dict[int, int] = defaultdict(int)
    outbound = Message.objects.filter(conversation_id__in=ids, direction=Direction.OUTBOUND)
    for conversation, findings in outbound.values_list("conversation_id", "findings").iterator():
        replies[conversation] += 1
        found[conversation] += bool(findings)
    out = []
    facts = ConversationFact.objects.filter(conversation_id__in=ids).filter(~Q(contribution={}))
    for pk, contribution in facts.values_list("conversation_id", "contribution").iterator():
        case = _totals(contribution)
        if not case.get("opened"):
            continue
        case["replies"], case["coached"] = replies[pk], found[pk]
        out.append(case)
    return out


def _proportion(a: list[bool], b: list[bool]) -> tuple[float, float, float, float, float]:
    p1, p2 = sum(a) / len(a), sum(b) / len(b)
    se = math.sqrt(p1 * (1 - p1) / len(a) + p2 * (1 - p2) / len(b))
    d = p1 - p2
    return p1, p2, d, d - Z95 * se, d + Z95 * se


def _mean(a: list[float], b: list[float]) -> tuple[float, float, float, float, float]:
    def m_var(xs: list[float]) -> tuple[float, float]:
        m = sum(xs) / len(xs)
        return m, sum((x - m) ** 2 for x in xs) / max(1, len(xs) - 1)

    m1, v1 = m_var(a)
    m2, v2 = m_var(b)
    se = math.sqrt(v1 / len(a) + v2 / len(b))
    d = m1 - m2
    return m1, m2, d, d - Z95 * se, d + Z95 * se


def _signed(x: float, proportion: bool) -> str:
    return f"{x * 100:+.0f} points" if proportion else f"{x:+.2f}"


def _size(x: float, proportion: bool) -> str:
    return f"{abs(x) * 100:.0f} points" if proportion else f"{abs(x):.2f}"


def _say(
    d: float, low: float, high: float, *, proportion: bool, who: str, outcome: str, others: str
) -> str:
    if low <= 0 <= high:
        return (
            f"No clear difference in {outcome} between {who} and {others}: the 95% interval "
            f"runs from {_signed(low, proportion)} to {_signed(high, proportion)}."
        )
    way = "higher" if d > 0 else "lower"
    near, far = sorted((abs(low), abs(high)))
    interval = (
        f"{near * 100:.0f} to {far * 100:.0f} points" if proportion else f"{near:.2f} to {far:.2f}"
    )
    return (
        f"For {who}, {outcome} was {_size(d, proportion)} {way} than for {others} (95% "
        f"interval {interval}). This is a link in the data, not proof of a cause."
    )


def compare(
    cases: list[Case],
    *,
    title: str,
    outcome: str,
    groups: tuple[str, str],
    include: Callable[[Case], bool],
    in_first: Callable[[Case], bool],
    value: Callable[[Case], float],
    proportion: bool,
) -> Correlation:
    a = [value(c) for c in cases if include(c) and in_first(c)]
    b = [value(c) for c in cases if include(c) and not in_first(c)]
    if len(a) < THIN or len(b) < THIN:
        return Correlation(
            title,
            outcome,
            groups,
            (len(a), len(b)),
            (None, None),
            None,
            None,
            None,
            proportion,
            f"Not enough data: each group needs at least {THIN} conversations "
            f"({len(a)} and {len(b)} so far), so nothing is claimed.",
        )
    fn = _proportion if proportion else _mean
    v1, v2, d, low, high = fn(a, b)  # type: ignore[arg-type]
    sentence = _say(
        d, low, high, proportion=proportion, who=groups[0], outcome=outcome, others=groups[1]
    )
    return Correlation(
        title, outcome, groups, (len(a), len(b)), (v1, v2), d, low, high, proportion, sentence
    )


def _satisfaction(c: Case) -> float:
    return float(c["satisfaction_sum"]) / c["rated"]


def _rated(c: Case) -> bool:
    return bool(c.get("rated"))


def correlations_for(*, start: date, end: date, team: int | None = None) -> list[Correlation]:
    cases = cases_for(start=start, end=end, team=team)
    return [
        compare(
            cases,
            title="Emotion at intake vs. first-contact resolution",
            outcome="first-contact resolution",
            groups=("conversations that opened upset", "the others"),
            include=lambda c: bool(c.get("first_resolved")),
            in_first=lambda c: bool(c.get("complaints")),
            value=lambda c: bool(c.get("fcr")),
            proportion=True,
        ),
        compare(
            cases,
            title="Coach findings per reply vs. satisfaction",
            outcome="satisfaction (1-5)",
            groups=("conversations with a coach finding on a reply", "those with none"),
            include=lambda c: _rated(c) and c["replies"] > 0,
            in_first=lambda c: c["coached"] > 0,
            value=_satisfaction,
            proportion=False,
        ),
        compare(
            cases,
            title="People per problem vs. satisfaction",
            outcome="satisfaction (1-5)",
            groups=("problems handed between people", "problems kept by one person"),
            include=_rated,
            in_first=lambda c: bool(c.get("people_many")),
            value=_satisfaction,
            proportion=False,
        ),
        compare(
            cases,
            title="People per problem vs. retention",
            outcome="coming back after a bad experience",
            groups=("problems handed between people", "problems kept by one person"),
            include=lambda c: bool(c.get("bad_experiences")),
            in_first=lambda c: bool(c.get("people_many")),
            value=lambda c: bool(c.get("came_back")),
            proportion=True,
        ),
        compare(
            cases,
            title="Wait for a first answer vs. satisfaction",
            outcome="satisfaction (1-5)",
            groups=("customers answered within the hour", "customers who waited longer"),
            include=lambda c: _rated(c) and bool(c.get("frt")),
            in_first=lambda c: c["frt"][0] <= QUICK_FIRST_RESPONSE,
            value=_satisfaction,
            proportion=False,
        ),
    ]
