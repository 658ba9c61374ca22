"""Every risk signal on our written set of service messages: recall >= 90%, false signals <= 3%."""

from __future__ import annotations

import pytest

from caredesk.empathy.emotion import get_engine
from caredesk.empathy.emotion.datasets import load_signal_cases
from caredesk.empathy.emotion.evaluate import signal_rates
from caredesk.empathy.types import SIGNALS

CASES = load_signal_cases()


def test_fixture_has_thirty_messages_per_signal_and_as_many_without() -> None:
    for signal in SIGNALS:
        assert sum(signal in c.signals for c in CASES) >= 30, signal
    with_signals = sum(bool(c.signals) for c in CASES)
    assert sum(not c.signals for c in CASES) >= with_signals


@pytest.mark.parametrize("engine", ["rules", None])
def test_signal_recall_and_false_rate(engine: str | None) -> None:
    rates = signal_rates(get_engine(engine))
    failures = {
        name: r
        for name, r in rates.items()
        if r.get("recall", 1.0) < 0.90 or r["false_rate"] > 0.03
    }
    assert not failures


@pytest.mark.parametrize(
    "text",
    [
        "I cancelled the order by mistake, can you restore it?",
        "Can you review my order before it ships?",
        "Press the button on the side to turn it on?",
        "I'll leave you a 5-star review on Google, great job!",
        "The court date is next month so I need the suit cleaned and pressed before then.",
        "Hello, I ordered a lamp two days ago and wonder when it ships.",
        "I placed the order 3 days ago, any tracking number?",
        "We booked this two weeks ago for our anniversary, can we add a cake?",
    ],
)
def test_hard_negatives_raise_no_signal(text: str) -> None:
    assert get_engine(None).analyze(text).signals == ()


def test_signal_evidence_points_at_the_words() -> None:
    text = "Hi. I've been on hold for an hour and I'm switching to another provider."
    reading = get_engine(None).analyze(text)
    assert set(reading.signals) == {"long_wait", "churn_intent"}
    spans = {e.label: e for e in reading.evidence if e.label in SIGNALS}
    for evidence in spans.values():
        assert text[evidence.start : evidence.end] == evidence.text
    assert "hour" in spans["long_wait"].text
    assert "switching" in spans["churn_intent"].text


@pytest.mark.parametrize(
    "text",
    [
        "I've been waiting two weeks",
        "ordered three weeks ago and still nothing",
        "on hold for an hour",
        "Your engineer was due 6 weeks ago.",
    ],
)
def test_real_long_waits_still_fire(text: str) -> None:
    assert "long_wait" in get_engine(None).analyze(text).signals
