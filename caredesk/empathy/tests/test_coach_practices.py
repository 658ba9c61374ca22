"""Issue 15, point 2: the practices that were only rewrites are now found, gently.

Summarising the customer's point, offering time to a customer who is not ready, and finding a
point of agreement instead of a flat contradiction; blame is a category of its own.
"""

from __future__ import annotations

from typing import Any

from caredesk.empathy.coaching import apply_rewrite, coach, combine
from caredesk.empathy.coaching.evaluate import Row, evaluate

ANGRY = {"emotion": "anger", "polarity": "negative", "intensity": 0.8}
LONG_AND_MANY = (
    "I was charged twice for my March bill and when I called last week the agent said it would "
    "be fixed in two days, which it was not. I have also now had a late payment letter, which is "
    "ridiculous because I paid on time. Why am I being chased for money I already paid? And why "
    "did nobody call me back like they promised? I am really fed up with this."
)
NOT_READY = "I am too upset to go through all this again right now."
PUSH = "I'm sorry. Please confirm your account number so we can continue."


def categories(draft: str, context: dict[str, Any] | None = None) -> set[str]:
    return {f.category for f in coach(draft, context)}


def test_a_long_upset_many_part_message_answered_straight_with_a_fix_asks_for_a_summary() -> None:
    draft = "Sorry about that. I've removed the late fee and refunded the second charge."
    context = {"reading": ANGRY, "customer": LONG_AND_MANY}
    (finding,) = [f for f in coach(draft, context) if f.category == "no_summary"]
    assert finding.kind == "add" and finding.start == 0 and finding.reason
    assert "understood" in apply_rewrite(draft, finding)


def test_a_reply_that_sums_up_the_point_or_a_short_message_needs_no_summary() -> None:
    summed = (
        "I'm sorry you were charged twice and then chased for a bill you'd paid. I've removed "
        "the late fee and refunded the second charge."
    )
    assert "no_summary" not in categories(summed, {"reading": ANGRY, "customer": LONG_AND_MANY})
    short = "Sorry about that. I've removed the late fee and refunded the second charge."
    assert "no_summary" not in categories(short, {"reading": ANGRY, "customer": "Why twice?"})
    # without the customer's words the coach does not guess
    assert "no_summary" not in categories(short, {"reading": ANGRY, "customer_words": 90})


def test_a_customer_who_is_not_ready_is_offered_time_not_pushed_on() -> None:
    context = {"reading": ANGRY, "customer": NOT_READY}
    (finding,) = [f for f in coach(PUSH, context) if f.category == "offer_time"]
    assert finding.kind == "add" and "call you back" in finding.rewrites[0]
    shouting = {"reading": ANGRY, "customer": "I HAVE ASKED YOU THREE TIMES NOW. SORT IT OUT."}
    assert "offer_time" in categories(PUSH, shouting)


def test_an_offer_of_time_or_a_ready_customer_is_left_alone() -> None:
    offered = "I'm sorry. There's no rush: I can call you back at 3pm, or whenever suits you."
    assert "offer_time" not in categories(offered, {"reading": ANGRY, "customer": NOT_READY})
    ready = {"reading": ANGRY, "customer": "You charged me twice. I want it back today."}
    assert "offer_time" not in categories(PUSH, ready)
    no_push = "I'm so sorry. I've refunded the charge and closed the complaint."
    assert "offer_time" not in categories(no_push, {"reading": ANGRY, "customer": NOT_READY})


def test_combined_rewrite_opens_with_one_acknowledgment_then_the_offer_of_time() -> None:
    draft = "Please confirm your account number so we can continue."
    context = {"reading": ANGRY, "customer": NOT_READY}
    found = coach(draft, context)
    assert {"no_acknowledgment", "offer_time"} <= {f.category for f in found}
    whole = combine(draft, found)
    assert whole.index("sorry") < whole.index("no rush") < whole.index("Please confirm")
    assert whole.lower().count("sorry") == 1


def test_a_flat_contradiction_asks_for_a_point_of_agreement() -> None:
    draft = "That's not true, we refunded you on Monday."
    (finding,) = coach(draft)
    assert finding.category == "agreement"
    assert draft[finding.start : finding.end] == "That's not true"
    assert apply_rewrite(draft, finding).startswith("I can see why it looks that way, we refunded")
    for fine in ("That's not true for the annual plan.", "You're right, and I'm sorry."):
        assert "agreement" not in categories(fine)


def test_sets_written_before_blame_was_split_off_count_it_as_indifference() -> None:
    old = [Row("You should have read the terms.", ("indifference",))]
    assert evaluate(old).recall == 1.0
    new = [*old, Row("That's on you.", ("blame",))]
    assert evaluate(new).recall == 0.5  # a set that knows blame gets no help
