"""Correlations: cases per group, an effect size with its interval, plain words, or "not enough"."""

from __future__ import annotations

import math
import statistics
from datetime import date
from typing import Any

import pytest

from caredesk.insights.correlations import QUESTIONS, Stats, compare, correlations_for, stats_for
from caredesk.insights.models import ConversationFact
from caredesk.insights.tests.history import History, history_build


def _compare(first: list[float], second: list[float], *, proportion: bool) -> Any:
    return compare(
        Stats.of(first),
        Stats.of(second),
        title="t",
        outcome="first-contact resolution",
        groups=("upset customers", "the others"),
        proportion=proportion,
    )


def test_a_difference_in_proportions_with_its_normal_interval() -> None:
    found = _compare([1] * 60 + [0] * 40, [1] * 40 + [0] * 60, proportion=True)
    assert found.cases == (100, 100)
    assert found.values == (0.6, 0.4)
    assert found.difference == pytest.approx(0.2)
    # se = sqrt(.6*.4/100 + .4*.6/100) = 0.069282; 1.96 se = 0.135793
    assert (found.low, found.high) == (pytest.approx(0.064207, abs=1e-6), pytest.approx(0.335793))
    assert found.sentence == (
        "For upset customers, first-contact resolution was 20 points higher than for the "
        "others (95% interval 6 to 34 points). This is a link in the data, not proof of a cause."
    )


def test_a_difference_in_means_whose_interval_holds_zero_is_no_clear_difference() -> None:
    found = _compare([4, 5, 3, 4] * 6, [5, 3, 4, 4] * 6, proportion=False)
    assert found.difference == pytest.approx(0.0)
    assert found.low < 0 < found.high
    assert found.sentence.startswith("No clear difference in first-contact resolution")


def test_under_twenty_cases_in_a_group_nothing_is_claimed() -> None:
    found = _compare([1] * 19, [0] * 200, proportion=True)
    assert not found.enough and found.difference is None
    assert found.sentence.startswith("Not enough data") and "(19 and 200 so far)" in found.sentence


@pytest.fixture
def history(settings: Any, db: None, django_capture_on_commit_callbacks: Any) -> History:
    settings.TIME_ZONE = "Europe/Berlin"
    with django_capture_on_commit_callbacks(execute=True):
        return history_build()


def test_a_difference_in_means_matches_the_values_it_was_summed_from() -> None:
    """The database hands over counts, sums and sums of squares: the sample variance from them
    equals the one computed from the values."""
    a, b = [4, 5, 3, 4, 2] * 5, [5, 5, 4, 4] * 6
    found = _compare(a, b, proportion=False)
    se = math.sqrt(statistics.variance(a) / len(a) + statistics.variance(b) / len(b))
    d = statistics.mean(a) - statistics.mean(b)
    assert found.difference == pytest.approx(d)
    assert (found.low, found.high) == (pytest.approx(d - 1.96 * se), pytest.approx(d + 1.96 * se))


def test_cases_come_from_each_conversations_fact_columns(history: History) -> None:
    span = {"start": date(2026, 3, 27), "end": date(2026, 4, 2)}
    facts = ConversationFact.objects.filter(opened_at__isnull=False)
    assert facts.count() == 6  # C6, merged into C1, is not a case of its own
    complaints = facts.filter(complaint=True)
    assert complaints.count() == 2  # C2 and C3
    c2 = complaints.get(first_resolved=True)
    assert (c2.replies, c2.fcr) == (3, False)
    stats = {q.title: (a, b) for q, a, b in stats_for(**span)}
    intake = stats[QUESTIONS[0].title]  # first resolved: upset ones vs. the others
    assert (intake[0].n, intake[1].n) == (
        facts.filter(first_resolved=True, complaint=True).count(),
        facts.filter(first_resolved=True, complaint=False).count(),
    )
    technical = {q.title: (a, b) for q, a, b in stats_for(**span, team=history.technical.pk)}
    # C4, and C5 transferred there: a conversation counts for the team it ended with, as in
    # the rollups; C5 passed through two people.
    assert facts.filter(team_id=history.technical.pk).count() == 2
    assert facts.get(team_id=history.technical.pk, people_many=True)
    assert sum(a.n + b.n for a, b in technical.values()) <= sum(
        a.n + b.n for a, b in stats.values()
    )
    found = correlations_for(**span)
    assert len(found) == 5 and not any(c.enough for c in found)
