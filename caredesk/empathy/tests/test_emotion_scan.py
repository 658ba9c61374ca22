"""The word scan must find exactly what a plain `finditer` over the text finds, for every rule.

The scan only changes where each rule's regex is tried; this compares the two on our written
messages, on texts spliced together mid-word, and on digit-heavy phrasings.
"""

from __future__ import annotations

import random

import pytest

from caredesk.empathy.emotion.datasets import load_customer_messages, load_signal_cases
from caredesk.empathy.emotion.rules import RuleBook, lowered

EXTRA = [
    "this is the 3rd time i call",
    "5 calls, 6 emails, nothing",
    "my 10k followers will know",
    "٣rd time this week",
    "a3rd time",
    "x5 calls, y",
    "waited 3 days and counting. 2 hours on hold",
    "2nd time today!!! Again. again?",
    "the 4th email this week",
    "go viral now",
    "I'll cancel my account and tell the press; my lawyer agrees.",
]


def texts() -> list[str]:
    base = [m.text for m in load_customer_messages()] + [c.text for c in load_signal_cases()]
    rng = random.Random(1)
    out = base + EXTRA
    for _ in range(600):  # spliced mid-word, glued with nothing or a stray character
        a, b = rng.choice(base), rng.choice(base)
        glue = rng.choice(["", " ", ".", "x", "3", "'"])
        out.append(a[rng.randrange(len(a) + 1) :] + glue + b[: rng.randrange(len(b) + 1)])
    for _ in range(300):
        out.append(" ".join(rng.choice(EXTRA + base[:50]) for _ in range(rng.randint(1, 6))))
    return out


@pytest.mark.parametrize("text", texts()[::7] + EXTRA)
def test_scan_finds_what_finditer_finds(text: str) -> None:
    scan = RuleBook.load().scan
    low = lowered(text)
    scanned = scan.read(low)
    for rule in scan.rules.values():
        plain = [(m.span(), m.groups(), m.groupdict()) for m in rule.regex.finditer(low)]
        fast = [(m.span(), m.groups(), m.groupdict()) for m in scanned.finditer(rule.regex)]
        assert fast == plain, rule.regex.pattern[:80]
        assert scanned.search(rule.regex) == (rule.regex.search(low) is not None)


def test_most_rules_are_indexed_by_first_words() -> None:
    rules = RuleBook.load().scan.rules.values()
    assert sum(1 for r in rules if r.words) >= len(rules) * 2 // 3
