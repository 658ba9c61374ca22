"""The one registry of metric definitions: used by the API, and by the pages, CSV and review.

Each metric says in plain words what it measures, its unit, how it is computed from the daily
rollups, which way is better, and what counts as one case (shown beside every value: a rate
on fewer than `THIN` cases says so instead of pretending). Times count business hours where the
conversation's team keeps them (the care app's), wall-clock time otherwise. There is no
handle-time metric, on purpose: nothing here may push an agent to end a conversation early.

Durations (time to first response, to resolution) are kept as counts in fixed buckets, so that
a dashboard sums a few integer columns in the database instead of decoding every conversation's
seconds. `DURATION_EDGES` are the buckets' upper edges, each at most 1.5 times the one before
(1 min, 1.5 min, 2 min, 3 min ... 1 h, 1.5 h, 2 h ... 1 day ... a year); a percentile is read
from the bucket that holds the exact nearest-rank value, interpolated inside it, so it lies in
the same bucket as the exact figure: never more than one bucket's width away from it.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

THIN = 20  # a rate on fewer cases than this is flagged as too thin to read

_M, _H, _D = 60, 3600, 86400
DURATION_EDGES: tuple[int, ...] = tuple(
    int(x)
    for x in (
        *(_M, 1.5 * _M, 2 * _M, 3 * _M, 4 * _M, 5 * _M, 7.5 * _M, 10 * _M, 15 * _M, 20 * _M),
        *(30 * _M, 45 * _M, _H, 1.5 * _H, 2 * _H, 3 * _H, 4 * _H, 6 * _H, 8 * _H, 12 * _H),
        *(16 * _H, _D, 1.5 * _D, 2 * _D, 3 * _D, 4 * _D, 5 * _D, 7 * _D, 10 * _D, 14 * _D),
        *(21 * _D, 30 * _D, 45 * _D, 60 * _D, 90 * _D, 120 * _D, 180 * _D, 270 * _D, 365 * _D),
    )
)
BUSINESS = (
    " Counted in the team's business hours (its opening hours, in its time zone, less its "
    "holidays) where the conversation's team has them; around the clock otherwise."
)
RESOLUTION = (
    " Read from buckets whose edges are at most 1.5 times apart (1 min, 1.5 min, 2 min, 3 min "
    "... 1 h, 1.5 h ... a year; longer counts as a year): the figure lies in the same bucket as "
    "the exact value, interpolated within it."
)


def duration_bucket(seconds: int) -> int:
    """The bucket a duration falls in: the first whose upper edge is not below it."""
    return min(bisect.bisect_left(DURATION_EDGES, seconds), len(DURATION_EDGES) - 1)


def bucket_bounds(index: int) -> tuple[int, int]:
    """A bucket's lower and upper edge in seconds (the lower one exclusive, but the first's)."""
    return (DURATION_EDGES[index - 1] if index else 0), DURATION_EDGES[index]


def histogram_percentile(counts: Sequence[int], share: float) -> float | None:
    """The nearest-rank percentile of the durations counted in `counts` (one per bucket),
    placed inside its bucket as if the bucket's values were spread evenly across it."""
    total = sum(counts)
    if total <= 0:
        return None
    rank = max(1, math.ceil(share * total))
    before = 0
    for index, count in enumerate(counts):
        if count and before + count >= rank:
            low, high = bucket_bounds(index)
            return low + (high - low) * (rank - before - 0.5) / count
        before += count
    raise AssertionError("unreachable: the ranks add up to the total")


class Better(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"
    NEITHER = "neither"


@dataclass(frozen=True)
class Metric:
    name: str
    title: str
    definition: str
    unit: str
    computed: str
    better: Better
    cases: str  # what one case is
    rate: bool = False  # a share or average that needs enough cases to mean anything


METRICS: tuple[Metric, ...] = (
    Metric(
        "opened",
        "Conversations opened",
        "Customer problems that arrived in the period (a merged duplicate is not counted twice).",
        "conversations",
        "Count of conversations by the day they were opened, merged-away duplicates left out.",
        Better.NEITHER,
        "conversations opened",
    ),
    Metric(
        "first_response_median",
        "Time to first response (median)",
        "How long half of the customers waited at most for the first answer from a person.",
        "seconds",
        "Median (nearest rank) of (first agent reply - opened) over conversations first "
        "answered in the period; conversations never answered are not in it (see backlog)."
        + BUSINESS
        + RESOLUTION,
        Better.LOWER,
        "conversations first answered",
        rate=True,
    ),
    Metric(
        "first_response_p90",
        "Time to first response (90th percentile)",
        "The wait for a first answer that nine in ten customers did not exceed.",
        "seconds",
        "90th percentile (nearest rank) of (first agent reply - opened) over conversations "
        "first answered in the period." + BUSINESS + RESOLUTION,
        Better.LOWER,
        "conversations first answered",
        rate=True,
    ),
    Metric(
        "resolution_median",
        "Time to resolution (median)",
        "How long half of the problems took at most from the first message to being resolved.",
        "seconds",
        "Median (nearest rank) of (last resolution - opened) over conversations resolved in "
        "the period and still resolved; a thank-you after resolution does not move it."
        + BUSINESS
        + RESOLUTION,
        Better.LOWER,
        "conversations resolved",
        rate=True,
    ),
    Metric(
        "resolution_p90",
        "Time to resolution (90th percentile)",
        "The time to resolution that nine in ten problems did not exceed.",
        "seconds",
        "90th percentile (nearest rank) of (last resolution - opened) over conversations "
        "resolved in the period." + BUSINESS + RESOLUTION,
        Better.LOWER,
        "conversations resolved",
        rate=True,
    ),
    Metric(
        "first_contact_resolution",
        "First-contact resolution",
        "Problems solved with one answer: resolved after exactly one agent reply and not "
        "reopened within 7 days.",
        "share",
        "Conversations first resolved in the period after one agent reply and with no reopen "
        "within 7 days, divided by all conversations first resolved in the period.",
        Better.HIGHER,
        "conversations first resolved",
        rate=True,
    ),
    Metric(
        "reopen_rate",
        "Reopen rate",
        "Problems that came back after we called them resolved. A customer's thank-you after "
        "resolution is not a reopen.",
        "share",
        "Conversations first resolved in the period that were reopened later (by an agent, or "
        "by a customer message that needed another reply), divided by all first resolved.",
        Better.LOWER,
        "conversations first resolved",
        rate=True,
    ),
    Metric(
        "people_per_problem",
        "People per problem",
        "How many agents the customer had to explain the problem to.",
        "agents",
        "Mean number of different agents who owned or answered each conversation resolved in "
        "the period.",
        Better.LOWER,
        "conversations resolved",
        rate=True,
    ),
    Metric(
        "people_many_share",
        "Handed between people",
        "Share of problems that passed through more than one agent.",
        "share",
        "Conversations resolved in the period with more than one agent, divided by all resolved.",
        Better.LOWER,
        "conversations resolved",
        rate=True,
    ),
    Metric(
        "satisfaction",
        "Satisfaction",
        "How satisfied customers said they were, from 1 (not at all) to 5 (very).",
        "score 1-5",
        "Mean satisfaction of the ratings of conversations resolved in the period.",
        Better.HIGHER,
        "ratings",
        rate=True,
    ),
    Metric(
        "effort",
        "Customer effort",
        "How hard customers said it was to get the problem solved, from 1 (very easy) to 5.",
        "score 1-5",
        "Mean effort of the ratings of conversations resolved in the period.",
        Better.LOWER,
        "ratings",
        rate=True,
    ),
    Metric(
        "rating_response_rate",
        "Rating response rate",
        "How many customers rated the help they got: read satisfaction and effort beside it.",
        "share",
        "Rated conversations divided by conversations resolved in the period.",
        Better.HIGHER,
        "conversations resolved",
        rate=True,
    ),
    Metric(
        "backlog",
        "Backlog",
        "Conversations not yet resolved at the end of the period (in the queue or with an agent).",
        "conversations",
        "Running sum of conversations entering (opened, reopened) and leaving (resolved, "
        "merged) the backlog up to the end of the period.",
        Better.LOWER,
        "open conversations",
    ),
    Metric(
        "backlog_age",
        "Backlog age (mean)",
        "How long, on average, the open conversations at the end of the period had been open.",
        "seconds",
        "End of the period minus the mean time the open conversations entered the backlog.",
        Better.LOWER,
        "open conversations",
        rate=True,
    ),
    Metric(
        "complaints",
        "Complaints",
        "Conversations that opened with a negative reading of the customer's first message.",
        "conversations",
        "Count of conversations opened in the period whose first message read negative.",
        Better.NEITHER,
        "conversations opened",
    ),
    Metric(
        "complaints_resolved_share",
        "Complaints resolved for good",
        "Of the complaints, how many are resolved and never came back.",
        "share",
        "Complaints opened in the period, resolved and never reopened, divided by all "
        "complaints opened in the period (the rest: resolved after a reopen, or still open).",
        Better.HIGHER,
        "complaints",
        rate=True,
    ),
    Metric(
        "retention",
        "Retention after a bad experience",
        "Customers who came back within 90 days after a bad experience (a complaint or a rating "
        "of 1 or 2), rather than going silent.",
        "share",
        "Bad experiences resolved in the period whose customer opened another conversation "
        "within 90 days, divided by all bad experiences resolved in the period.",
        Better.HIGHER,
        "bad experiences",
        rate=True,
    ),
    Metric(
        "at_risk_reached",
        "At-risk customers reached",
        "Of the customers the desk found at risk of leaving quietly (unhappy, then silent), how "
        "many an agent reached out to and got an answer from.",
        "share",
        "Customers with an outreach task opened in the period whose task ended reached or "
        "recovered, divided by all customers with an outreach task opened in the period (each "
        "customer once). Read from the outreach tasks, split by the conversation that started "
        "them (the agent's own tasks for an agent).",
        Better.HIGHER,
        "at-risk customers",
        rate=True,
    ),
    Metric(
        "self_service_rate",
        "Self-service resolution rate",
        "Of the customers who said a help article solved their problem, how many really did "
        "not need to write to us within 7 days.",
        "share",
        '"This solved it" answers given in the period with no new conversation from that '
        "customer within 7 days, divided by those decided (7 days passed, or a conversation "
        "came); younger ones without a conversation are pending and left out. Read from the "
        "self-service answers, split only by the article's team.",
        Better.HIGHER,
        "decided self-service answers",
        rate=True,
    ),
)

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
