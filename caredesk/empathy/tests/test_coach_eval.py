"""The coach meets its targets on the labelled replies, as `caredesk eval coach` prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caredesk.empathy.coaching import CATEGORIES
from caredesk.empathy.coaching.evaluate import (
    HELD_OUT_SET,
    HELD_OUT_SET_2,
    MAX_FALSE_FLAGS,
    MIN_RECALL,
    TUNING_SET,
    evaluate,
    load_rows,
    main,
)


def test_tuning_set_is_big_enough_and_covers_every_category() -> None:
    rows = load_rows(TUNING_SET)
    flawed = [r for r in rows if r.expect]
    good = [r for r in rows if not r.expect]
    assert len(flawed) >= 150 and len(good) >= 150
    covered = {c for r in flawed for c in r.expect}
    assert covered == set(CATEGORIES)
    for category in CATEGORIES:
        assert sum(category in r.expect for r in flawed) >= 10, category
    assert sum(len(r.text) <= 140 for r in good) >= 30  # social-media style replies


def test_held_out_set_is_separate_from_the_tuning_set() -> None:
    tuning = {r.text for r in load_rows(TUNING_SET)}
    held_out = load_rows(HELD_OUT_SET)
    assert len(held_out) >= 60
    assert not tuning & {r.text for r in held_out}


def test_second_held_out_set_is_big_varied_and_separate() -> None:
    """Issue 15: at least 150 flawed and 150 good replies across six or more industries,
    with text-speak, sarcasm and polite-but-cold replies, none of them in the tuning set."""
    rows = load_rows(HELD_OUT_SET_2)
    assert sum(bool(r.expect) for r in rows) >= 150 and sum(not r.expect for r in rows) >= 150
    industries = {
        json.loads(line)["industry"] for line in HELD_OUT_SET_2.read_text().splitlines() if line
    }
    assert len(industries) >= 6
    expected = {c for r in rows for c in r.expect}
    assert {"curt", "sarcasm", "no_acknowledgment"} <= expected
    assert not {r.text for r in load_rows(TUNING_SET)} & {r.text for r in rows}


@pytest.mark.parametrize(
    "path", [TUNING_SET, HELD_OUT_SET, HELD_OUT_SET_2], ids=["tuning", "held_out", "held_out_2"]
)
def test_recall_and_false_flags_meet_targets(path: Path) -> None:
    report = evaluate(load_rows(path), name=str(path))
    assert report.recall >= MIN_RECALL, [row.text for row, _ in report.misses]
    assert report.false_flag_rate <= MAX_FALSE_FLAGS, [row.text for row, _ in report.false_flags]


def test_eval_command_prints_both_sets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "coach_replies: recall" in out and "coach_heldout: recall" in out
    assert "coach_heldout2: recall" in out


def test_eval_command_json_and_failure_exit(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "rows.jsonl"
    rows = [
        {"text": "Your parcel ships today.", "expect": ["no_thanks"]},  # too short to need thanks
        {"text": "We'll ship it today.", "expect": []},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    assert main(["--data", str(path), "--json"]) == 1
    (report,) = json.loads(capsys.readouterr().out)
    assert report["recall"] == 0.0 and report["false_flag_rate"] == 0.0
    assert report["passed"] is False
