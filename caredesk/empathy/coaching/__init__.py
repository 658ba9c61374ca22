"""The reply coach: holds every draft reply to the words that convey care.

Usage::

    from caredesk.empathy.coaching import coach, apply_rewrite
    findings = coach("That's not my job.", {"transfers": 1})
    fixed = apply_rewrite("That's not my job.", findings[0])
    whole = combine("That's not my job.", findings)  # every finding at once, as one reply

No Django import here; the desk passes extra rules from the admin through ``load_rules``.
"""

from __future__ import annotations

from caredesk.empathy.coaching.compose import combine
from caredesk.empathy.coaching.context import (
    NEGATIVE_INTENSITY,
    PROTRACTED_HOURS,
    UPSET_INTENSITY,
    CoachContext,
)
from caredesk.empathy.coaching.engine import check_examples, coach
from caredesk.empathy.coaching.findings import Finding, apply_rewrite
from caredesk.empathy.coaching.rules import (
    Rule,
    RuleError,
    RuleSet,
    compile_rule,
    default_rules,
    load_rules,
)

CATEGORIES: tuple[str, ...] = (
    "absolute",
    "indifference",
    "blame",
    "doubt",
    "sarcasm",
    "curt",
    "own_mistake",
    "reacting",
    "agreement",
    "no_acknowledgment",
    "no_apology",
    "no_next_step",
    "no_thanks",
    "no_summary",
    "offer_time",
    "shouting",
)
#: Categories for internal notes only (``coach(..., audience="note")``).
NOTE_CATEGORIES: tuple[str, ...] = ("respect",)

__all__ = [
    "CATEGORIES",
    "NEGATIVE_INTENSITY",
    "NOTE_CATEGORIES",
    "PROTRACTED_HOURS",
    "UPSET_INTENSITY",
    "CoachContext",
    "Finding",
    "Rule",
    "RuleError",
    "RuleSet",
    "apply_rewrite",
    "check_examples",
    "coach",
    "combine",
    "compile_rule",
    "default_rules",
    "load_rules",
]
