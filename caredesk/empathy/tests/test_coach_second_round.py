"""Issue 15: wider recognition, the articles' practices, one combined rewrite, notes coached."""

from __future__ import annotations

import re
from typing import Any

import pytest

from caredesk.empathy.coaching import (
    RuleError,
    apply_rewrite,
    coach,
    combine,
    compile_rule,
    load_rules,
)

ANGRY: dict[str, Any] = {"reading": {"emotion": "anger", "polarity": "negative", "intensity": 0.8}}
MILD: dict[str, Any] = {
    "reading": {"emotion": "frustration", "polarity": "negative", "intensity": 0.4}
}
LONG = (
    "I ordered the kettle two weeks ago and paid for next-day delivery. The tracking has said "
    "in transit for nine days and nobody answers the phone. I want this sorted today."
)


def categories(draft: str, context: dict[str, Any] | None = None, **kw: Any) -> set[str]:
    return {f.category for f in coach(draft, context, **kw)}


@pytest.mark.parametrize(
    ("draft", "category"),
    [
        ("Our system doesn't make mistakes, so the total is right. Thanks.", "absolute"),
        ("Our payment page works every time. Please try again. Thanks.", "absolute"),
        ("Honestly I doubt the refund will go through. I'll submit it anyway. Thanks.", "doubt"),
        ("I wouldn't count on the courier finding it. Thanks.", "doubt"),
        ("That request is at the bottom of the list. Thanks.", "indifference"),
        ("The delay is because you picked the wrong branch. Thanks.", "blame"),
        ("Oh great, another password reset. I've sent the link. Thanks.", "sarcasm"),
        ("Mistakes were made with your order. A new one ships today. Thanks.", "own_mistake"),
        ("Sorry you feel that way about the update. Thanks.", "own_mistake"),
        ("I don't appreciate your tone. The refund is on its way. Thanks.", "reacting"),
    ],
)
def test_new_kinds_of_flaw_are_found_with_a_span_a_reason_and_a_rewrite(
    draft: str, category: str
) -> None:
    found = [f for f in coach(draft) if f.category == category]
    assert found, coach(draft)
    finding = found[0]
    assert finding.reason and finding.rewrites and finding.end > finding.start
    fixed = apply_rewrite(draft, finding)
    assert category not in {f.category for f in coach(fixed) if f.start == finding.start}


def test_polite_but_cold_to_any_negative_reading_misses_the_acknowledgment() -> None:
    cold = "Your order left our warehouse this morning and arrives on Thursday. Thank you."
    assert "no_acknowledgment" in categories(cold, MILD)
    assert "no_acknowledgment" not in categories("I'm sorry it's late. " + cold, MILD)
    assert "no_acknowledgment" not in categories(cold)  # no reading: the coach does not guess


def test_text_speak_and_a_two_word_answer_read_curt_only_to_an_upset_customer() -> None:
    speak = [f for f in coach("pls read the faq", ANGRY) if f.category == "curt"]
    assert [apply_rewrite("pls read the faq", f) for f in speak] == ["Please read the faq"]
    assert "curt" not in categories("pls read the faq")  # a cheerful chat may be casual
    assert "curt" in categories("Refund done.", {**ANGRY, "customer": LONG})
    assert "curt" not in categories("Refund done.", {**ANGRY, "customer": "Refund please?"})
    assert "curt" not in categories("I'm sorry. The U-bend is under the sink. Thanks.", ANGRY)


def test_combined_rewrite_reads_as_one_reply() -> None:
    draft = "That's not my job. Calm down. Your refund went out today."
    context = {**ANGRY, "transfers": 2}
    found = coach(draft, context)
    assert len(found) >= 3
    whole = combine(draft, found)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", whole) if s]
    openings = [" ".join(s.split()[:2]).lower() for s in sentences]
    assert len(openings) == len(set(openings)), whole  # never two sentences opening alike
    assert len(re.findall(r"\bsorry\b", whole, re.IGNORECASE)) == 1, whole  # one apology
    assert "Your refund went out today." in whole  # the agent's facts kept
    assert "not my job" not in whole and "Calm down" not in whole
    assert "transferred" in whole  # the apology names the situation
    remaining = {f.category for f in coach(whole, context)}
    assert not remaining & {"indifference", "no_acknowledgment", "no_apology"}, remaining


def test_combined_rewrite_adds_no_second_apology_to_one_the_agent_wrote() -> None:
    draft = "Sorry about this. Mistakes were made with your order. A new one ships today. Thanks."
    whole = combine(draft, coach(draft, {"transfers": 1}))
    assert len(re.findall(r"\bsorry\b", whole, re.IGNORECASE)) == 1, whole
    assert whole.startswith("Sorry about this.") and "A new one ships today." in whole


def test_combined_rewrite_of_a_curt_reply_gets_one_owner_and_next_step() -> None:
    found = coach("Refund done.", {**ANGRY, "customer": LONG})
    whole = combine("Refund done.", found)
    assert "Refund done." in whole and whole.count("I'll") == 1, whole
    # the acknowledgment opens it (with an apology due it gives "I'm sorry" to the apology)
    assert whole.startswith(("I'm", "I understand")), whole


def test_internal_notes_are_coached_for_respect_gently_and_only_as_notes() -> None:
    note = "Customer is a total idiot. Sales screwed up again, refund him."
    found = coach(note, audience="note")
    assert {f.category for f in found} == {"respect"} and len(found) == 2
    assert all(f.kind == "replace" and f.rewrites for f in found)
    assert "respect" not in categories(note)  # replies have their own rules
    assert not coach(
        "Customer is upset after three transfers; please call at 3pm.", None, audience="note"
    )
    # the reply rules that make sense for notes run there too; the "missing" ones do not
    assert categories("Oh great, the printer again.", audience="note") == {"sarcasm"}


def test_a_curt_rule_is_data_and_checked_like_any_other() -> None:
    rules = load_rules(
        extra_rules=[
            {
                "id": "curt.lead_words",
                "category": "curt",
                "kind": "curt",
                "when": "negative",
                "reason": "Write it out.",
                "textspeak": {"cba": "I can't do that"},
            }
        ]
    )
    assert "curt" in {f.category for f in coach("cba sorry", ANGRY, rules=rules)}
    with pytest.raises(RuleError, match="textspeak"):
        compile_rule({"id": "x", "category": "curt", "kind": "curt", "reason": "r"})
    with pytest.raises(RuleError, match="audience"):
        compile_rule(
            {
                "id": "y",
                "category": "c",
                "reason": "r",
                "patterns": ["a"],
                "rewrites": ["b"],
                "audience": ["everyone"],
            }
        )


def test_a_keyword_no_pattern_spells_cannot_hang_the_coach() -> None:
    rules = load_rules(
        extra_rules=[
            {
                "id": "lead.unused_keyword",
                "category": "lead_words",
                "reason": "r",
                "keywords": ["installer", "fault"],
                "patterns": ["(?:the )?fault of"],
                "rewrites": ["x"],
            }
        ]
    )
    found = coach("Ask your installer; it's the fault of the wiring.", rules=rules)
    assert [f.rule for f in found if f.rule == "lead.unused_keyword"] == ["lead.unused_keyword"]
