"""Figures on the shared public data, when it is present (``../shared/data``).

The minilm engine is held to the issue's targets (macro-F1 >= 0.60, +0.10 polarity over VADER,
EmoBank r >= 0.40 on its test split, held-out customer set >= 0.75 / 0.75). The linear and polar
engines, which do not reach them all, are held to floors just under what they measure. Figures:
docs/emotion.md and docs/emotion-training.md.
"""

from __future__ import annotations

import os

import pytest

from caredesk.empathy.emotion import get_engine
from caredesk.empathy.emotion.datasets import shared_data_dir
from caredesk.empathy.emotion.evaluate import (
    customer_set_figures,
    emobank_figures,
    evaluate,
    goemotions_figures,
    vader_polarity,
)

pytestmark = pytest.mark.skipif(
    not (shared_data_dir() / "goemotions").exists() or not (shared_data_dir() / "emobank").exists(),
    reason="shared GoEmotions/EmoBank data not found",
)


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="touches no database: run once, in the SQLite pass",
)
def test_linear_engine_floors_on_public_data() -> None:
    # The held-out real text is left out: test_emotion_heldout.py holds its sample to floors.
    report = evaluate("linear", vader_polarity(), heldout=False)
    go = report["goemotions_test"]
    assert go["macro_f1"] >= 0.545
    assert go["polarity_accuracy"] - go["vader_polarity_accuracy"] >= 0.092
    assert report["emobank"]["pearson_r_test"] >= 0.35
    assert report["emobank"]["pearson_r_test"] > report["emobank"]["vader_r_test"]
    own = report["own_written_set"]
    assert own["polarity_accuracy"] >= 0.75 and own["negative_recall"] >= 0.75


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="touches no database and takes a minute: run once, in the SQLite pass",
)
def test_polar_engine_floors_on_public_data() -> None:
    """The engine on arrival, held just under what it measures (docs/emotion-training.md); the
    held-out real text is left to `caredesk eval emotion`, so no test run reads it."""
    engine, vader = get_engine("polar"), vader_polarity()
    go = goemotions_figures(engine, vader)
    assert go["macro_f1"] >= 0.535
    assert go["polarity_accuracy"] - go["vader_polarity_accuracy"] >= 0.08
    bank = emobank_figures(engine, vader, test_only=True)
    assert bank["pearson_r_test"] >= 0.30 and bank["pearson_r_test"] > bank["vader_r_test"]
    own = customer_set_figures(engine, vader, "customer_messages.tsv")
    assert own["polarity_accuracy"] >= 0.95 and own["negative_recall"] >= 0.95


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="touches no database and takes a minute: run once, in the SQLite pass",
)
def test_minilm_engine_meets_the_issue_targets() -> None:
    engine, vader = get_engine("minilm"), vader_polarity()
    go = goemotions_figures(engine, vader)
    assert go["macro_f1"] >= 0.60
    assert go["polarity_accuracy"] - go["vader_polarity_accuracy"] >= 0.10
    assert emobank_figures(engine, vader, test_only=True)["pearson_r_test"] >= 0.40
    held = customer_set_figures(engine, vader, "customer_heldout.tsv")
    assert held["polarity_accuracy"] >= 0.75 and held["negative_recall"] >= 0.75
