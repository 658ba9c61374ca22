"""Rules as data: every rule's own examples, and how a lead extends the rule set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from caredesk.empathy.coaching import (
    RuleError,
    check_examples,
    coach,
    compile_rule,
    default_rules,
    load_rules,
)

SCRIPTED = {
    "id": "indifference.scripted_hold",
    "category": "indifference",
    "reason": "A scripted line tells the customer they are a number.",
    "keywords": ["call", "important"],
    "patterns": ["your call is (?:very )?important to us"],
    "span": "sentence",
    "rewrites": ["I'm here and I'll stay with you until this is sorted."],
    "examples": {"fire": ["Your call is very important to us."], "pass": ["Your call is booked."]},
}


def test_every_shipped_rule_fires_on_its_examples_and_only_those() -> None:
    assert check_examples(default_rules()) == []


def test_every_shipped_rule_has_examples_both_ways() -> None:
    for rule in default_rules().rules:
        assert rule.fire, rule.id
        assert rule.passes, rule.id


def test_check_examples_reports_a_rule_that_misses_its_example() -> None:
    broken = dict(SCRIPTED, examples={"fire": ["Your call matters."], "pass": []})
    problems = check_examples(load_rules(extra_rules=[broken]), [str(SCRIPTED["id"])])
    assert problems == ["indifference.scripted_hold: should fire on 'Your call matters.'"]


def test_extra_rules_from_the_admin_are_merged() -> None:
    draft = "Your call is important to us. I'll reply today."
    assert coach(draft) == []
    rules = load_rules(extra_rules=[SCRIPTED])
    (finding,) = coach(draft, rules=rules)
    assert finding.rule == "indifference.scripted_hold"
    assert draft[finding.start : finding.end] == "Your call is important to us."
    assert check_examples(rules, [str(SCRIPTED["id"])]) == []


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_extra_rules_from_a_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"extra{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps({"rules": [SCRIPTED]}))
    else:
        path.write_text(
            '[[rules]]\nid = "indifference.scripted_hold"\ncategory = "indifference"\n'
            'reason = "Scripted."\nkeywords = ["call"]\n'
            "patterns = ['your call is (?:very )?important to us']\n"
            'rewrites = ["I\'m here."]\n'
        )
    rules = load_rules(extra_paths=[path])
    assert [f.rule for f in coach("Your call is important to us.", rules=rules)] == [
        "indifference.scripted_hold"
    ]


def test_a_lead_can_replace_or_disable_a_shipped_rule() -> None:
    draft = "Please calm down. I'll sort it today."
    assert [f.category for f in coach(draft)] == ["indifference"]
    disabled = load_rules(extra_rules=[{"id": "indifference.calm_down", "enabled": False}])
    assert coach(draft, rules=disabled) == []
    original = default_rules().get("indifference.calm_down").source
    replaced = dict(original, rewrites=["I can hear this has been hard"])
    (finding,) = coach(draft, rules=load_rules(extra_rules=[replaced]))
    assert finding.rewrites == ("I can hear this has been hard",)


def test_settings_can_be_changed_by_a_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"settings": {"protracted_hours": 24}}))
    draft = "Your refund was issued today. Thanks."
    assert coach(draft, {"waited_hours": 30}) == []
    found = coach(draft, {"waited_hours": 30}, rules=load_rules(extra_paths=[path]))
    assert [f.category for f in found] == ["no_apology"]


def test_patterns_tolerate_whitespace_and_case() -> None:
    assert [f.category for f in coach("THAT is\nNOT   my\tjob.")] == ["indifference", "shouting"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"patterns": ["(unclosed"]}, "bad pattern"),
        ({"patterns": ["{NOPE} job"]}, "unknown macro"),
        ({"reason": ""}, "reason is required"),
        ({"category": "not a name"}, "category"),
        ({"kind": "magic"}, "kind"),
        ({"span": "paragraph"}, "span"),
        ({"rewrites": []}, "rewrites"),
        ({"keywords": ["two words"]}, "keywords"),
    ],
)
def test_broken_rules_are_rejected_with_their_id(change: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleError, match=message) as info:
        compile_rule(dict(SCRIPTED, **change))
    assert "indifference.scripted_hold" in str(info.value)


def test_rule_without_id_is_rejected() -> None:
    with pytest.raises(RuleError):
        load_rules(extra_rules=[{"category": "absolute"}])


def test_unreadable_rules_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(RuleError, match="cannot read"):
        load_rules(extra_paths=[path])


def test_unknown_setting_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"settings": {"upset_treshold": 0.4}}))
    with pytest.raises(RuleError, match="setting"):
        load_rules(extra_paths=[path])


def test_missing_rule_needs_present_patterns() -> None:
    with pytest.raises(RuleError, match="present"):
        compile_rule(
            {
                "id": "x",
                "category": "no_thanks",
                "kind": "missing",
                "reason": "r",
                "rewrites": ["t"],
            }
        )
