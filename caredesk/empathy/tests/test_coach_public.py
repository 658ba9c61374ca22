"""The coach on real company replies (public data): real agents mostly write well, so the share
it flags harsh must stay at most 3%. The shipped sample is a subset of IBM's Twitter customer-care
set (Apache-2.0, see data/public_support_replies_sample.NOTICE); the full check reads a local copy
(`caredesk eval coach --public dev.json --public test.json`, figures in docs/coach.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caredesk.empathy.coaching.evaluate import (
    HARSH,
    MAX_HARSH,
    PUBLIC_SAMPLE,
    evaluate_public,
    load_public,
    main,
)


def test_real_replies_are_rarely_flagged_harsh() -> None:
    replies = load_public(PUBLIC_SAMPLE)
    assert len(replies) >= 70 and len({r.company for r in replies}) >= 15
    report = evaluate_public(replies, name="sample")
    assert report.harsh_share <= MAX_HARSH, [(r.text, got) for r, got in report.flagged]


def _conversation(company: str, turns: list[tuple[str, str]], final: str) -> dict[str, object]:
    return {
        "dialogHeader": {"company": company},
        "dialogContent": [{who: who, "message": text} for who, text in turns],
        "agentURL": {"url_utterance": final},
    }


def test_the_ibm_shape_pairs_each_agent_turn_with_the_customer_before_it(tmp_path: Path) -> None:
    stock = "@{} We can help with that. Please submit a request here: https://example.com/r"
    data = [
        _conversation(
            "GameSupport",
            [("client", "@GameSupport my pack never arrived!"), ("agent", "@ann Which platform?")],
            stock.format("ann"),
        ),
        _conversation(
            "GameSupport", [("client", "@GameSupport refund please")], stock.format("bo")
        ),
    ]
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    replies = load_public(path)
    assert [(r.text[:18], r.customer) for r in replies] == [
        ("Which platform?", "my pack never arrived!"),
        ("We can help with t", "my pack never arrived!"),
        ("We can help with t", "refund please"),  # a stock answer sent twice is two replies
    ]


def test_the_check_fails_when_real_replies_would_be_nagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "harsh.jsonl"
    rows = [{"text": "That's not my job. Calm down."}] + [
        {"text": f"Thanks for waiting! Your order {n} ships today and I'll send the tracking."}
        for n in range(20)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    report = evaluate_public(load_public(path))
    assert report.harsh == 1 and report.by_category["indifference"] == 1
    assert report.harsh_share > MAX_HARSH and not report.passed
    assert main(["--public", str(path)]) == 1
    out = capsys.readouterr().out
    assert all(c in out for c in HARSH)
    assert main(["--public", str(PUBLIC_SAMPLE), "--json"]) == 0
