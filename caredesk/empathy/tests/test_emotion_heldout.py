"""The held-out real customer text (docs/emotion-heldout.md) and the figures printed on it.

The floors are today's figures on a fixed sample of the shipped rows (every fourth row of each
source: 707 short posts, 200 long complaints), a little under what was measured on 2026-12-01, so a
change that makes an engine read real customers worse fails here. Nothing is tuned on these rows.
"""

from __future__ import annotations

import pytest

from caredesk.empathy.emotion import get_engine
from caredesk.empathy.emotion.datasets import HELDOUT_SOURCES, load_heldout
from caredesk.empathy.emotion.evaluate import (
    expected_calibration_error,
    heldout_figures,
    main,
    polarity_scores,
    vader_polarity,
)

SAMPLE_EVERY = 4


def test_the_shipped_sources_have_the_rows_and_labels_the_doc_lists() -> None:
    counts = {
        source: {
            p: sum(m.polarity == p for m in load_heldout(source))
            for p in ("negative", "neutral", "positive")
        }
        for source in HELDOUT_SOURCES
    }
    assert counts["smile"] == {"negative": 107, "neutral": 1572, "positive": 1148}
    assert counts["cfpb"] == {"negative": 800, "neutral": 0, "positive": 0}
    cfpb = load_heldout("cfpb")
    assert len({m.ref for m in cfpb}) == 800 and all(m.ref.startswith("cfpb:") for m in cfpb)
    assert any("\n" in m.text for m in cfpb)  # line breaks of the narratives come back


def test_an_unknown_source_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown held-out source 'airline'"):
        load_heldout("airline")


def test_expected_calibration_error() -> None:
    # Two bins: 0.9 confident and right 9 times in 10, 0.6 confident and right 3 times in 5.
    confidences = [0.9] * 10 + [0.6] * 5
    correct = [True] * 9 + [False] + [True] * 3 + [False] * 2
    assert expected_calibration_error(confidences, correct) == pytest.approx(0.0)
    # Always 1.0 sure and right half the time: off by 0.5.
    assert expected_calibration_error([1.0] * 4, [True, False, True, False]) == pytest.approx(0.5)


def test_macro_f1_counts_only_the_polarities_a_source_has() -> None:
    only_complaints = polarity_scores(
        ["negative"] * 4, ["negative", "negative", "neutral", "positive"], [0.5] * 4
    )
    assert only_complaints["negative_recall"] == 0.5
    assert only_complaints["macro_f1"] == pytest.approx(2 / 3)  # F1 of "negative" alone


@pytest.mark.parametrize(
    ("engine", "floors"),
    [
        ("rules", {"total": (0.66, 0.64), "cfpb": (0.68, 0.68)}),
        ("linear", {"total": (0.79, 0.77), "cfpb": (0.82, 0.82), "smile": (0.78, 0.44)}),
    ],
)
def test_regression_floor_on_the_held_out_sample(
    engine: str, floors: dict[str, tuple[float, float]]
) -> None:
    figures = heldout_figures(get_engine(engine), vader_polarity(), every=SAMPLE_EVERY)
    assert figures["total"]["rows"] == 907
    for source, (accuracy, negative_recall) in floors.items():
        assert figures[source]["polarity_accuracy"] >= accuracy, (source, figures[source])
        assert figures[source]["negative_recall"] >= negative_recall, (source, figures[source])
    assert 0.0 <= figures["total"]["ece"] <= 0.2
    # VADER is read on the same rows: today's engines beat it on the long complaints.
    cfpb = figures["cfpb"]
    assert cfpb["negative_recall"] > cfpb["vader"]["negative_recall"]


def test_the_eval_command_prints_the_held_out_figures_per_source(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--engine", "rules", "--heldout-only"]) == 0
    out = capsys.readouterr().out
    assert "Held-out real customer text" in out
    for source in (*HELDOUT_SOURCES, "total"):
        assert f"\n  {source} " in out
