"""``caredesk coach``: findings and rewrites on the terminal, context from flags."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from caredesk.empathy.coaching.cli import main


def test_prints_findings_and_rewrites(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["That's not my job!!"]) == 0
    out = capsys.readouterr().out
    assert '[indifference] 0-19 "That\'s not my job!!"' in out
    assert "-> Let me get you in touch with the person who can best help you with that." in out
    assert "[shouting]" in out


def test_context_flags_build_the_context(capsys: pytest.CaptureFixture[str]) -> None:
    draft = "Your refund was issued today. Thanks."
    assert main([draft]) == 0
    assert "No findings" in capsys.readouterr().out
    args = [draft, "--json", "--upset", "--emotion", "worry", "--transfers", "1"]
    assert main(args) == 0
    found = json.loads(capsys.readouterr().out)
    assert [f["category"] for f in found] == ["no_acknowledgment", "no_apology"]
    assert "worrying" in found[0]["rewrites"][0]
    assert main([draft, "--json", "--tech-problem"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["category"] == "no_apology"
    assert main([draft, "--json", "--waited-hours", "50"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["category"] == "no_apology"


def test_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Calm down, please."))
    assert main(["--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["category"] == "indifference"


def test_bad_rules_file_is_a_clean_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": [{"id": "x", "category": "absolute"}]}))
    assert main(["hello", "--rules", str(path)]) == 2
    assert "rule x" in capsys.readouterr().err
