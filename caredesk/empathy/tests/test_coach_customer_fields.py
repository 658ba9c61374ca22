"""Issue 15: the rule fields that read the customer's message, each shown to matter.

Every field gets a pair: the same draft and context with and without the field, so a test fails
if the engine ignored it. The shipped rules that use them (`no_thanks`, `no_apology`) are checked
through the public `coach()` call.
"""

from __future__ import annotations

from typing import Any

import pytest

from caredesk.empathy.coaching import coach, load_rules
from caredesk.empathy.coaching.rules import RuleError, compile_rule

HEADS_UP = "Just a heads-up: your checkout page points to a 404 when I press pay."
PLAIN_QUESTION = "Where is my order? It was due on Monday and the tracking has not moved."
LONG_REPLY = (
    "Hi Sam, I've looked into your order and it left our warehouse on Monday. The courier has it "
    "at their local depot now and it is booked onto tomorrow's first round, so it should be with "
    "you before noon. I'll check the tracking tomorrow afternoon and email you if it is not there."
)
SHORT_REPLY = "I've fixed the link on the checkout page."


def fires(draft: str, context: dict[str, Any] | None, rule: dict[str, Any]) -> bool:
    """Whether ``rule`` (alone, no shipped rules) finds anything in ``draft``."""
    ruleset = load_rules(extra_rules=[rule], base=False)
    return any(f.rule == rule["id"] for f in coach(draft, context, rules=ruleset))


def missing(**fields: Any) -> dict[str, Any]:
    """A minimal missing-kind rule: a thank-you is owed unless one is present."""
    return {
        "id": "test.owed",
        "category": "no_thanks",
        "kind": "missing",
        "reason": "Say thank you.",
        "present": ["\\bthank"],
        "rewrites": ["Thank you."],
        **fields,
    }


# The shipped rules --------------------------------------------------------------------------


def test_no_thanks_stays_quiet_when_the_customer_did_no_favour() -> None:
    found = coach(LONG_REPLY, {"customer": PLAIN_QUESTION})
    assert "no_thanks" not in {f.category for f in found}


def test_no_thanks_is_owed_for_a_heads_up_even_in_a_short_reply() -> None:
    found = [f for f in coach(SHORT_REPLY, {"customer": HEADS_UP}) if f.category == "no_thanks"]
    assert len(found) == 1
    assert found[0].kind == "add" and found[0].start == len(SHORT_REPLY)
    assert any("thank" in r.lower() for r in found[0].rewrites)


def test_no_thanks_is_satisfied_by_thanking_for_the_favour() -> None:
    draft = "Thanks for the heads-up. " + SHORT_REPLY
    assert "no_thanks" not in {f.category for f in coach(draft, {"customer": HEADS_UP})}


def test_no_thanks_on_a_bare_draft_still_asks_for_thanks() -> None:
    # customer_optional: without the customer's message a long reply is judged as before.
    assert "no_thanks" in {f.category for f in coach(LONG_REPLY)}


def test_no_apology_reads_the_situation_from_the_customers_message() -> None:
    context = {"customer": "You charged me twice for the same order and I want the money back."}
    found = [f for f in coach("I've refunded the second payment today.", context)]
    apology = [f for f in found if f.category == "no_apology"]
    assert len(apology) == 1
    assert apology[0].start == 0 and "went wrong" in apology[0].reason
    # Nothing in the desk's context says so: without the customer's words no apology is owed.
    assert "no_apology" not in {f.category for f in coach("I've refunded the second payment.")}


def test_no_apology_quiet_when_the_reply_apologises_or_nothing_went_wrong() -> None:
    context = {"customer": "You charged me twice for the same order and I want the money back."}
    sorry = "I'm sorry we charged you twice. I've refunded the second payment today."
    assert "no_apology" not in {f.category for f in coach(sorry, context)}
    request = {"customer": "Can you change my delivery address to 4 Elm Road please?"}
    done = "I've updated your address for the next delivery."
    assert "no_apology" not in {f.category for f in coach(done, request)}


# Each field, with and without -----------------------------------------------------------------


def test_customer_says_waits_for_the_customers_words() -> None:
    rule = missing(customer_says=["heads[- ]up"])
    assert fires(SHORT_REPLY, {"customer": HEADS_UP}, rule)
    assert not fires(SHORT_REPLY, {"customer": PLAIN_QUESTION}, rule)
    assert fires(SHORT_REPLY, {"customer": PLAIN_QUESTION}, missing())  # without the field


def test_customer_says_without_the_message_stays_silent_unless_optional() -> None:
    assert not fires(SHORT_REPLY, None, missing(customer_says=["heads[- ]up"]))
    optional = missing(customer_says=["heads[- ]up"], customer_optional=True)
    assert fires(SHORT_REPLY, None, optional)
    assert not fires(SHORT_REPLY, {"customer": PLAIN_QUESTION}, optional)


def test_min_words_with_customer_replaces_min_words_when_the_message_is_known() -> None:
    rule = missing(min_words=45, min_words_with_customer=3)
    assert not fires(SHORT_REPLY, None, rule)  # 8 words, no message: min_words applies
    assert fires(SHORT_REPLY, {"customer": HEADS_UP}, rule)
    assert not fires(SHORT_REPLY, {"customer": HEADS_UP}, missing(min_words=45))


def test_unless_customer_means_the_piece_is_not_owed() -> None:
    rule = missing(unless_customer=["\\?\\s*$"])
    assert not fires(SHORT_REPLY, {"customer": "Is the link fixed yet?"}, rule)
    assert fires(SHORT_REPLY, {"customer": HEADS_UP}, rule)
    assert fires(SHORT_REPLY, {"customer": "Is the link fixed yet?"}, missing())


def test_draft_says_limits_the_rule_to_drafts_that_say_it() -> None:
    rule = missing(draft_says=["\\bfixed\\b"])
    assert fires(SHORT_REPLY, None, rule)
    assert not fires("I've looked at the checkout page.", None, rule)
    assert fires("I've looked at the checkout page.", None, missing())


def test_min_customer_words_needs_a_message_that_long() -> None:
    rule = missing(min_customer_words=10)
    assert not fires(SHORT_REPLY, {"customer": "Link broken."}, rule)
    assert fires(SHORT_REPLY, {"customer": HEADS_UP}, rule)
    assert fires(SHORT_REPLY, {"customer": "Link broken."}, missing())


def test_min_customer_words_on_a_curt_rule() -> None:
    curt = {
        "id": "test.short",
        "category": "curt",
        "kind": "curt",
        "reason": "Too short for the problem described.",
        "max_words": 8,
        "min_customer_words": 20,
        "rewrites": ["I'll check this today and email you by 5pm."],
    }
    longer = HEADS_UP + " It happens on every card I try, every single time."  # 24 words
    assert fires(SHORT_REPLY, {"customer": longer}, curt)
    assert not fires(SHORT_REPLY, {"customer": HEADS_UP}, curt)  # 14 words
    assert not fires(SHORT_REPLY, {"customer": "Link broken."}, curt)


def apology_rule(**fields: Any) -> dict[str, Any]:
    return {
        "id": "test.apology",
        "category": "no_apology",
        "kind": "missing",
        "when": "apology_due",
        "insert": "start",
        "reason": "Apologise for {situations}.",
        "present": ["\\bsorry\\b"],
        "rewrites_by": {"our_failure": ["I'm sorry we got this wrong."]},
        "labels": {"our_failure": "our mistake"},
        **fields,
    }


def test_situations_from_customer_make_an_apology_due() -> None:
    rule = apology_rule(situations_from_customer={"our_failure": ["charged (?:me )?twice"]})
    context = {"customer": "You charged me twice for one order."}
    ruleset = load_rules(extra_rules=[rule], base=False)
    (finding,) = coach("I've refunded the second payment.", context, rules=ruleset)
    assert finding.reason == "Apologise for our mistake."
    assert finding.rewrites == ("I'm sorry we got this wrong.",)
    assert not fires("I've refunded the second payment.", context, apology_rule())
    assert not fires("Sorry about that. I've refunded it.", context, rule)


def test_bad_field_values_are_named() -> None:
    with pytest.raises(RuleError, match="min_words_with_customer"):
        compile_rule(missing(min_words_with_customer="three"))
    with pytest.raises(RuleError, match="situations_from_customer"):
        compile_rule(apology_rule(situations_from_customer=["charged twice"]))


def test_substrings_open_windows_beside_keywords_in_any_case_or_line_break() -> None:
    rule = {
        "id": "test.sorry_if",
        "category": "own_mistake",
        "reason": "A conditional apology.",
        "keywords": ["inconvenience"],
        "substrings": ["sorry if"],
        "patterns": ["sorry if you feel", "any inconvenience"],
        "rewrites": ["I'm sorry we let you down."],
    }
    assert fires("Sorry\nif you feel that way.", None, rule)
    assert fires("We regret any inconvenience.", None, rule)
    assert not fires("Sorry, if it helps I can call you.", None, rule)
