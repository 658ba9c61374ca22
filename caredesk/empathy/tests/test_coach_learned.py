"""The coach's learned part: shipped weights, explainable findings, and reproducible training."""

from __future__ import annotations

import pytest

from caredesk.empathy.coaching import apply_rewrite, coach, combine, train
from caredesk.empathy.coaching.learned import (
    META,
    WEIGHTS,
    LearnedModel,
    default_model,
    load_model,
)

UPSET = {"reading": {"emotion": "anger", "polarity": "negative", "intensity": 0.8}}

# Per category the model switches on: a reply the rules miss that it must flag, and a caring
# reply on the same subject it must leave alone. None of them is in the training sets.
PAIRS = {
    "indifference": (
        "Refund queries are a billing matter, so there's not much point raising it with me.",
        "Refunds are handled by billing; I've passed your request to them and I'll update you "
        "by Friday.",
    ),
    "blame": (
        "The booking failed because the card details entered were wrong.",
        "The booking didn't go through; I've sent you a new payment link that works until 6pm.",
    ),
    "doubt": (
        # After the dev5/dev6 retrain the doubt cut-off rose (0.87 -> 0.92): the bare
        # "Chances are slim the part arrives this month." no longer passes it.
        "Honestly, chances are slim the part turns up this month.",
        "The part is due on the 20th, and I'll tell you the moment it ships.",
    ),
    "reacting": (
        "There's no call to speak to me like that; the engineer comes Tuesday.",
        "The engineer comes on Tuesday between 8 and 12, and I'll text you when they set off.",
    ),
    "own_mistake": (
        "We apologise for any confusion caused.",
        "I'm sorry we confused you: we sent the wrong date, and the right one is the 14th.",
    ),
}


def _model() -> LearnedModel:
    model = default_model()
    assert model is not None, (
        "learned.npz / learned.json are missing: run caredesk eval coach --train"
    )
    return model


def test_shipped_weights_load_and_match_their_metadata() -> None:
    model = load_model(WEIGHTS, META)
    assert model.weights.shape == (len(model.index), len(model.categories))
    assert len(model.index) > 1000
    assert all(0.5 <= t <= 1.0 for t in model.thresholds)
    assert set(model.reasons) == set(model.rewrites) == set(model.categories)
    assert model.meta["figures"]["training_sets"]


@pytest.mark.parametrize("category", sorted(PAIRS))
def test_must_fire_and_must_pass_through_the_learned_part(category: str) -> None:
    flawed, good = PAIRS[category]
    assert not [f for f in coach(flawed, UPSET, learned=False) if f.category == category]
    found = [f for f in coach(flawed, UPSET) if f.rule == f"learned.{category}"]
    assert found, f"the learned part should flag {category} in {flawed!r}"
    wrong = [
        f for f in coach(good, UPSET) if f.category == category or f.rule.startswith("learned.")
    ]
    assert not wrong, f"nothing learned should flag {good!r}"


@pytest.mark.parametrize("category", sorted(PAIRS))
def test_learned_findings_carry_span_reason_and_rewrite(category: str) -> None:
    draft = PAIRS[category][0]
    finding = next(f for f in coach(draft, UPSET) if f.rule == f"learned.{category}")
    assert 0 <= finding.start < finding.end <= len(draft)
    assert draft[finding.start : finding.end].strip()
    assert finding.reason == _model().reasons[category]
    assert finding.rewrites and finding.kind == "replace"
    fixed = apply_rewrite(draft, finding)
    assert finding.rewrites[0] in fixed
    assert finding.rewrites[0] in combine(draft, [finding])


def test_the_learned_part_never_removes_a_rule_finding() -> None:
    draft = "That's not my job. You should have read the terms before you paid."
    rules = {(f.rule, f.start) for f in coach(draft, UPSET, learned=False)}
    assert rules <= {(f.rule, f.start) for f in coach(draft, UPSET)}


def test_notes_are_coached_by_the_rules_alone() -> None:
    draft = PAIRS["reacting"][0]
    assert [f for f in coach(draft) if f.rule.startswith("learned.")]
    assert not [f for f in coach(draft, audience="note") if f.rule.startswith("learned.")]


def test_training_reproduces_the_shipped_figures() -> None:
    """Refit on the shipped model's own training sets (no cross-validation, nothing written)."""
    model = _model()
    shipped = model.meta["figures"]
    paths = [train.DATA_DIR / name for name in shipped["training_sets"]]
    figures = train.train(save=False, report_cv=False, paths=paths)
    for source, fig in shipped["training_fit"].items():
        again = figures["training_fit"][source]
        assert again["recall"] == pytest.approx(fig["recall"], abs=0.02), source
        assert again["false_flags"] == pytest.approx(fig["false_flags"], abs=0.02), source
