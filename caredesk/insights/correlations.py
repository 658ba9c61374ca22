"""Correlations that tell a bigger story: two groups of conversations compared on one outcome.

Each conversation's totals are plain columns of its `ConversationFact` (kept with its rollup
contribution), so the database counts and sums both groups of every comparison in one aggregate
query over an indexed range of `opened_at` (the period picks conversations by when they were
opened); no event or message is read. Each comparison gives the cases in each group, the
difference (in proportions or in means) with a 95% normal interval, and a plain sentence that
says a link is not a cause; under `THIN` cases in a group it says "not enough data" instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, Sum

from caredesk.insights.facts import desk_zone
from caredesk.insights.metrics import THIN
from caredesk.insights.models import ConversationFact

Z95 = 1.96
QUICK_FIRST_RESPONSE = 3600  # seconds (business time where the team keeps hours)


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


@dataclass(frozen=True)
class Stats:
    """One group's outcome values, as the database sums them: how many, their sum and the sum
    of their squares (for a proportion the values are 0 or 1)."""

    n: int
    total: float
    squares: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Stats:
        xs = [float(v) for v in values]
        return cls(len(xs), sum(xs), sum(x * x for x in xs))


@dataclass(frozen=True)
class Question:
    """One comparison: which conversations count, which are the first group, what is compared
    (a true/false column for a proportion, else `satisfaction`)."""

    title: str
    outcome: str
    groups: tuple[str, str]
    include: Q
    first: Q
    value: str
    proportion: bool


_RATED = Q(satisfaction__isnull=False)
QUESTIONS: tuple[Question, ...] = (
    Question(
        "Emotion at intake vs. first-contact resolution",
        "first-contact resolution",
        ("conversations that opened upset", "the others"),
        Q(first_resolved=True),
        Q(complaint=True),
        "fcr",
        proportion=True,
    ),
    Question(
        "Coach findings per reply vs. satisfaction",
        "satisfaction (1-5)",
        ("conversations with a coach finding on a reply", "those with none"),
        _RATED & Q(replies__gt=0),
        Q(coached__gt=0),
        "satisfaction",
        proportion=False,
    ),
    Question(
        "People per problem vs. satisfaction",
        "satisfaction (1-5)",
        ("problems handed between people", "problems kept by one person"),
        _RATED,
        Q(people_many=True),
        "satisfaction",
        proportion=False,
    ),
    Question(
        "People per problem vs. retention",
        "coming back after a bad experience",
        ("problems handed between people", "problems kept by one person"),
        Q(bad_experience=True),
        Q(people_many=True),
        "came_back",
        proportion=True,
    ),
    Question(
        "Wait for a first answer vs. satisfaction",
        "satisfaction (1-5)",
        ("customers answered within the hour", "customers who waited longer"),
        _RATED & Q(first_response__isnull=False),
        Q(first_response__lte=QUICK_FIRST_RESPONSE),
        "satisfaction",
        proportion=False,
    ),
)


def _aggregates(index: int, question: Question) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for side, group in (("a", question.first), ("b", ~question.first)):
        where = question.include & group
        name = f"q{index}{side}"
        out[f"{name}_n"] = Count("pk", filter=where)
        if question.proportion:
            out[f"{name}_s"] = Count("pk", filter=where & Q(**{question.value: True}))
        else:
            out[f"{name}_s"] = Sum(question.value, filter=where)
            out[f"{name}_ss"] = Sum(F(question.value) * F(question.value), filter=where)
    return out


def stats_for(
    *, start: date, end: date, team: int | None = None
) -> list[tuple[Question, Stats, Stats]]:
    """Both groups of every question over the conversations opened in the period (merged-away
    ones left out): one aggregate query over the facts."""
    zone = desk_zone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    facts = ConversationFact.objects.filter(opened_at__gte=since, opened_at__lt=until)
    if team is not None:
        facts = facts.filter(team_id=team)
    aggregates: dict[str, Any] = {}
    for index, question in enumerate(QUESTIONS):
        aggregates |= _aggregates(index, question)
    row = facts.aggregate(**aggregates)
    out = []
    for index, question in enumerate(QUESTIONS):
        pair = []
        for side in "ab":
            name = f"q{index}{side}"
            total = row[f"{name}_s"] or 0
            squares = total if question.proportion else row[f"{name}_ss"] or 0
            pair.append(Stats(row[f"{name}_n"] or 0, float(total), float(squares)))
        out.append((question, pair[0], pair[1]))
    return out


def _proportion(a: Stats, b: Stats) -> tuple[float, float, float, float, float]:
    p1, p2 = a.total / a.n, b.total / b.n
    se = math.sqrt(p1 * (1 - p1) / a.n + p2 * (1 - p2) / b.n)
    d = p1 - p2
    return p1, p2, d, d - Z95 * se, d + Z95 * se


def _mean(a: Stats, b: Stats) -> tuple[float, float, float, float, float]:
    def m_var(g: Stats) -> tuple[float, float]:
        m = g.total / g.n
        return m, max(0.0, g.squares - g.n * m * m) / max(1, g.n - 1)

    m1, v1 = m_var(a)
    m2, v2 = m_var(b)
    se = math.sqrt(v1 / a.n + v2 / b.n)
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
    a: Stats,
    b: Stats,
    *,
    title: str,
    outcome: str,
    groups: tuple[str, str],
    proportion: bool,
) -> Correlation:
    if a.n < THIN or b.n < THIN:
        return Correlation(
            title,
            outcome,
            groups,
            (a.n, b.n),
            (None, None),
            None,
            None,
            None,
            proportion,
            f"Not enough data: each group needs at least {THIN} conversations "
            f"({a.n} and {b.n} so far), so nothing is claimed.",
        )
    fn = _proportion if proportion else _mean
    v1, v2, d, low, high = fn(a, b)
    sentence = _say(
        d, low, high, proportion=proportion, who=groups[0], outcome=outcome, others=groups[1]
    )
    return Correlation(
        title, outcome, groups, (a.n, b.n), (v1, v2), d, low, high, proportion, sentence
    )


def correlations_for(*, start: date, end: date, team: int | None = None) -> list[Correlation]:
    return [
        compare(
            a,
            b,
            title=q.title,
            outcome=q.outcome,
            groups=q.groups,
            proportion=q.proportion,
        )
        for q, a, b in stats_for(start=start, end=end, team=team)
    ]
