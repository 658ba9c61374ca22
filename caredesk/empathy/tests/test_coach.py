"""Behaviour of ``caredesk.empathy.coach`` through its public surface."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

import caredesk.empathy
from caredesk.empathy import Reading
from caredesk.empathy.coaching import (
    CATEGORIES,
    CoachContext,
    Finding,
    apply_rewrite,
    coach,
)

ANGRY = {"reading": {"emotion": "anger", "polarity": "negative", "intensity": 0.9}}


def categories(draft: str, context: CoachContext | Mapping[str, Any] | None = None) -> list[str]:
    return [f.category for f in coach(draft, context)]


def test_entry_point_is_reachable_from_the_empathy_package() -> None:
    assert caredesk.empathy.coach is coach
    findings = caredesk.empathy.coach("That's not my job.")
    assert [f.category for f in findings] == ["indifference"]


def test_finding_shape_and_dict() -> None:
    draft = "Sorry, but that isn't my job. Thanks."
    (finding,) = coach(draft)
    assert isinstance(finding, Finding)
    assert draft[finding.start : finding.end] == "Sorry, but that isn't my job."
    assert finding.kind == "replace" and finding.rule == "indifference.not_my_job"
    assert finding.reason and finding.rewrites
    data = finding.to_dict()
    assert set(data) == {"start", "end", "category", "reason", "rewrites", "rule", "kind"}
    assert Finding.from_dict(data) == finding


@pytest.mark.parametrize(
    ("draft", "span"),
    [
        ("That isn't my job, sorry.", "That isn't my job, sorry."),
        ("It's not really my responsibility to chase them.", "It's not really my responsibility"),
        ("There's nothing more we can do.", "There's nothing more we can do."),
        ("That's not important right now; let's pay first.", "That's not important right now"),
        ("Please calm down, sir.", "Please calm down"),
        ("As I already said, we close at five.", "As I already said"),
        ("Our policy says no refunds after 14 days.", "Our policy says no refunds after 14 days."),
    ],
)
def test_indifference_tolerates_variations(draft: str, span: str) -> None:
    found = [f for f in coach(draft) if f.category == "indifference"]
    assert found, draft
    assert any(span in draft[f.start : f.end] or draft[f.start : f.end] in span for f in found)


@pytest.mark.parametrize(
    "draft",
    [
        "You should have read the terms.",
        "That's on you, I'm afraid.",
        "If you had followed the instructions, it would work.",
        "You agreed to the terms when you signed up.",
        "It was your responsibility to check the dates.",
    ],
)
def test_blame_is_a_category_of_its_own(draft: str) -> None:
    (finding,) = coach(draft)
    assert finding.category == "blame" and finding.rule.startswith("blame.")
    assert finding.reason and finding.rewrites


@pytest.mark.parametrize(
    "draft",
    [
        "You always forget the order number.",
        "You never told us about the move.",
        "This will never work on that phone.",
        "We can never change an order once it is placed.",
    ],
)
def test_absolutes_aimed_at_the_customer(draft: str) -> None:
    assert "absolute" in categories(draft)


@pytest.mark.parametrize(
    "draft",
    [
        "You'll never be charged twice for the same order.",
        "We never share your data with anyone.",
        "We're always happy to help!",
        "You can always reach us on the phone.",
        "I'm sorry you never received the confirmation.",
        "That should never have happened, and I'm sorry it did.",
        "I'll make sure this never happens again.",
    ],
)
def test_reassuring_never_and_always_are_not_absolutes(draft: str) -> None:
    assert "absolute" not in categories(draft)


def test_real_support_tweet_has_no_findings() -> None:
    draft = (
        "Hi Anna, sorry to hear that. Please send us a DM with your booking reference so we can "
        "look into this for you."
    )
    assert coach(draft) == []
    assert coach(draft, ANGRY) == []


@pytest.mark.parametrize(
    "draft",
    [
        "Please send your ID as a PDF to the URL in the FAQ.",
        "Order ABC-123 ships by UPS today, ASAP as promised.",
        "I'm happy to help with the VAT on your EU order.",
    ],
)
def test_acronyms_and_order_numbers_are_not_shouting(draft: str) -> None:
    assert "shouting" not in categories(draft)


@pytest.mark.parametrize(
    ("draft", "span", "rewrite"),
    [
        ("PLEASE READ THE EMAIL. Thanks.", "PLEASE READ THE EMAIL", "Please read the email"),
        ("You MUST bring the receipt.", "MUST", "must"),
        ("It has shipped!!! Thanks.", "!!!", "!"),
        ("Why did you cancel?! Thanks.", "?!", "?"),
    ],
)
def test_shouting(draft: str, span: str, rewrite: str) -> None:
    found = [f for f in coach(draft) if f.category == "shouting"]
    assert [draft[f.start : f.end] for f in found] == [span]
    assert found[0].rewrites[0] == rewrite


def test_quoted_customer_text_is_not_the_agent_speaking() -> None:
    draft = (
        "You wrote \"YOU NEVER LISTEN, that's not my job!!\" and you are right. I'll call today."
    )
    assert coach(draft) == []


def test_doubt_without_help_but_not_with_help() -> None:
    assert categories("That probably won't work.") == ["doubt"]
    assert categories("That probably won't work, but I'll check with the team today.") == []
    assert categories("I doubt it. Those usually sell out.") == ["doubt"]


def test_acknowledgment_whenever_the_customer_reads_negative() -> None:
    draft = "Your refund was issued today. Thanks."
    assert categories(draft) == []
    calm = {"reading": {"emotion": "anger", "polarity": "negative", "intensity": 0.2}}
    assert categories(draft, calm) == []
    cross = {"reading": {"emotion": "anger", "polarity": "negative", "intensity": 0.4}}
    assert categories(draft, cross) == ["no_acknowledgment"]  # polite but cold (issue 15)
    (finding,) = coach(draft, ANGRY)
    assert finding.category == "no_acknowledgment"
    assert (finding.start, finding.end, finding.kind) == (0, 0, "add")
    assert "upset" in finding.rewrites[0]


def test_acknowledgment_accepts_a_reading_object_and_must_come_first() -> None:
    reading = Reading(emotion="worry", scores={}, polarity="negative", intensity=0.7)
    late = "Your card is blocked. A new one is on its way. I'll call you tomorrow. Sorry."
    (finding,) = coach(late, {"reading": reading})
    assert finding.category == "no_acknowledgment"
    assert "worrying" in finding.rewrites[0]
    early = "I understand this is worrying. Your card is blocked and a new one is on its way."
    assert coach(early, {"reading": reading}) == []


@pytest.mark.parametrize(
    ("context", "words"),
    [
        ({"transfers": 1}, "transferred"),
        ({"tech_problem": True}, "difficulties"),
        ({"waited_hours": 72}, "longer than anticipated"),
    ],
)
def test_apology_owed_in_the_three_situations(context: dict[str, object], words: str) -> None:
    draft = "I've corrected your invoice today. Thanks."
    assert coach(draft) == []
    (finding,) = coach(draft, context)
    assert finding.category == "no_apology" and finding.kind == "add"
    assert any(words in rewrite for rewrite in finding.rewrites)
    assert coach("Sorry for the wait. " + draft, context) == []


def test_short_wait_needs_no_apology() -> None:
    assert coach("I've corrected your invoice today. Thanks.", {"waited_hours": 5}) == []


def test_apology_goes_after_the_greeting() -> None:
    draft = "Hi Jo,\n\nYour order ships today. Thanks.\n\nBest,\nAlex"
    (finding,) = coach(draft, {"transfers": 2})
    fixed = apply_rewrite(draft, finding)
    assert fixed.startswith("Hi Jo,\n\nI'm sorry you were transferred;")
    assert fixed.endswith("Your order ships today. Thanks.\n\nBest,\nAlex")


def test_next_step_missing_from_an_explanation() -> None:
    draft = (
        "Thanks for your email. Delivery times can vary during busy periods, and the couriers "
        "are working hard to get every parcel out."
    )
    (finding,) = coach(draft)
    assert finding.category == "no_next_step"
    assert finding.start == finding.end == len(draft)
    assert apply_rewrite(draft, finding).endswith(
        "out. I'll [do what] and update you by [day and time]."
    )


def test_thanks_missing_from_a_long_reply_goes_before_the_sign_off() -> None:
    draft = (
        "Hi Tom,\n\nI've looked into your account and the payment went through twice on the 3rd. "
        "I've refunded the second payment today and you should see it back on your card within "
        "three to five working days. I'll check on Friday that it has arrived and email you.\n\n"
        "Best,\nSam"
    )
    (finding,) = coach(draft)
    assert finding.category == "no_thanks"
    fixed = apply_rewrite(draft, finding)
    assert "email you. Thank you for your patience while we sort this out.\n\nBest,\nSam" in fixed


def test_short_replies_are_not_asked_for_thanks_or_next_steps() -> None:
    assert coach("Glad that worked, Jess!") == []
    assert coach("Your order shipped today.") == []


def test_apply_rewrite_replace_and_case() -> None:
    draft = "Thanks. As I already said, we close at five."
    (finding,) = coach(draft)
    assert apply_rewrite(draft, finding) == "Thanks. Just to confirm, we close at five."
    assert apply_rewrite(draft, finding, 1) == "Thanks. To recap, we close at five."
    mid = "Sorry, you never sent it."
    (absolute,) = coach(mid)
    assert apply_rewrite(mid, absolute) == "Sorry, you may not have sent it."


def test_apply_rewrite_rejects_a_finding_from_another_draft() -> None:
    finding = Finding(5, 50, "absolute", "r", ("x",), "rule")
    with pytest.raises(ValueError):
        apply_rewrite("short", finding)


def test_typographic_apostrophes_keep_offsets() -> None:
    draft = "Hi! That\u2019s not my job \u2014 sorry."
    (finding,) = coach(draft)
    assert draft[finding.start : finding.end] == "That\u2019s not my job \u2014 sorry."


def test_context_coercion() -> None:
    assert CoachContext.coerce(None) == CoachContext()
    ctx = CoachContext.coerce({"reading": None, "transfers": "2", "waited_hours": 3})
    assert ctx.transfers == 2 and ctx.waited_hours == 3.0 and not ctx.is_upset()
    with pytest.raises(TypeError):
        CoachContext.coerce(["transfers"])  # the wrong type on purpose


def test_every_category_name_is_used_by_a_rule() -> None:
    from caredesk.empathy.coaching import default_rules

    assert set(CATEGORIES) <= set(default_rules().categories)


def test_empty_draft() -> None:
    assert coach("") == []
    assert coach("   ", ANGRY) == []


def test_local_sentence_lookup_agrees_with_a_full_split() -> None:
    """The coach finds sentence edges locally for speed; they must match a plain full split."""
    import random

    from caredesk.empathy.coaching.text import _BOUNDARY_RE, Sentences

    def full_split(text: str) -> list[tuple[int, int]]:
        spans, start = [], 0
        cuts = [
            (m.start() if m.group(0)[0] == "\n" else m.end(), m.end())
            for m in _BOUNDARY_RE.finditer(text)
        ]
        for end, after in [*cuts, (len(text), len(text))]:
            piece = text[start:end]
            a = start + len(piece) - len(piece.lstrip())
            b = start + len(piece.rstrip())
            if a < b:
                spans.append((a, b))
            start = after
        return spans

    rng = random.Random(3)
    pieces = [
        "Hi there",
        " ",
        ".",
        "!",
        "?",
        "\n",
        "\n\n",
        "\n \n",
        "3.5",
        "a.com",
        '."',
        "!!",
        "I'm",
    ]
    for _ in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        sentences = Sentences(text)
        for span in full_split(text):
            for pos in range(*span):
                if text[pos].isalnum():
                    assert sentences.around(pos) == span, (text, pos)
