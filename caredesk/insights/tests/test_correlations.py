"""Correlations: cases per group, an effect size with its interval, plain words, or "not enough"."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from caredesk.insights.correlations import Case, cases_for, compare, correlations_for
from caredesk.insights.tests.history import History, history_build


def _cases(first: list[float], second: list[float]) -> list[Case]:
    return [{"a": True, "v": v} for v in first] + [{"a": False, "v": v} for v in second]


def _compare(cases: list[Case], *, proportion: bool) -> Any:
    return compare(
        cases,
        title="t",
        outcome="first-contact resolution",
        groups=("upset customers", "the others"),
        include=lambda c: True,
        in_first=lambda c: c["a"],
        value=lambda c: c["v"],
        proportion=proportion,
    )


def test_a_difference_in_proportions_with_its_normal_interval() -> None:
    found = _compare(_cases([1] * 60 + [0] * 40, [1] * 40 + [0] * 60), proportion=True)
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
    found = _compare(_cases([4, 5, 3, 4] * 6, [5, 3, 4, 4] * 6), proportion=False)
    assert found.difference == pytest.approx(0.0)
    assert found.low < 0 < found.high
    assert found.sentence.startswith("No clear difference in first-contact resolution")


def test_under_twenty_cases_in_a_group_nothing_is_claimed() -> None:
    found = _compare(_cases([1] * 19, [0] * 200), proportion=True)
    assert not found.enough and found.difference is None
    assert found.sentence.startswith("Not enough data") and "(19 and 200 so far)" in found.sentence


@pytest.fixture
def history(settings: Any, db: None, django_capture_on_commit_callbacks: Any) -> History:
    settings.TIME_ZONE = "Europe/Berlin"
    with django_capture_on_commit_callbacks(execute=True):
        return history_build()


def test_cases_come_from_each_conversations_rollup_facts(history: History) -> None:
    cases = cases_for(start=date(2026, 3, 27), end=date(2026, 4, 2))
    assert len(cases) == 6  # C6, merged into C1, is not a case of its own
    complaints = [c for c in cases if c.get("complaints")]
    assert len(complaints) == 2  # C2 and C3
    c2 = next(c for c in complaints if c.get("resolved"))
    assert (c2["reopened"], c2["replies"], c2.get("fcr", 0)) == (1, 3, 0)
    technical = cases_for(start=date(2026, 3, 27), end=date(2026, 4, 2), team=history.technical.pk)
    # C4, and C5 transferred there: a conversation counts for the team it ended with, as in
    # the rollups.
    assert len(technical) == 2 and {c["people_sum"] for c in technical} == {1, 2}
    found = correlations_for(start=date(2026, 3, 27), end=date(2026, 4, 2))
    assert len(found) == 5 and not any(c.enough for c in found)
