"""The bulk path remembers the coach's findings per draft and context as the coach tells contexts
apart (`context_reduced`, `context_key`); what it remembers is what the coach gives for every
full context."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caredesk.conversations import coaching
from caredesk.demo import texts
from caredesk.demo.fast import FastWriter, coach_cuts
from caredesk.empathy.coaching import coach
from caredesk.empathy.coaching.context import CoachContext, context_key, context_reduced

pytestmark = pytest.mark.django_db

DRAFTS = (
    "Hi Ana,\n\nI've reset the export; it should run tonight.\n\nBest, Sam",
    "Hi Ana,\n\nSorry for the wait. I've reset the export.\n\nBest, Sam",
    "Hi Ana,\n\nI understand how frustrating this is. Could you send a screenshot?\n\nSam",
    "YOU NEED TO restart it. Obviously that should fix it.",
    "ok thx",
    "Done.",
    *(f"Hi Ana,\n\n{line} I've reset the export.\n\nSam" for line in texts.ACKS["anger"]),
    *(f"Hi Ana,\n\n{line}\n\nSam" for line in texts.WAIT_APOLOGIES + texts.TRANSFER_APOLOGIES),
)
CUSTOMER_SAYS = (
    None,
    "",
    "Thanks!",
    "Where is my bag?",
    "I can't talk now, just fix it.",
    *(line for lines in texts.SIGNAL_LINES.values() for line in lines),
    *(line for lines in texts.OPENERS.values() for line in lines),
)
EMOTIONS = ("anger", "frustration", "worry", "gratitude", "neutral", None)
# Values on and either side of the thresholds, and anything else.
NEAR = (0.0, 0.29, 0.3, 0.31, 0.49, 0.5, 0.51, 1.0)
HOURS = (0.0, 0.1, 47.9, 48.0, 48.1, 72.0, 200.0)

contexts = st.fixed_dictionaries(
    {
        "reading": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "emotion": st.sampled_from(EMOTIONS),
                    "polarity": st.sampled_from(("negative", "positive", "neutral")),
                    "intensity": st.sampled_from(NEAR) | st.floats(0, 1),
                }
            ),
        ),
        "transfers": st.none() | st.integers(0, 3),
        "waited_hours": st.none()
        | st.sampled_from(HOURS)
        | st.floats(-1, 300).map(lambda h: round(h, 1)),
        "tech_problem": st.none() | st.booleans(),
        "customer": st.sampled_from(CUSTOMER_SAYS),
        "customer_words": st.none() | st.integers(0, 80),
    }
)


@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(draft=st.sampled_from(DRAFTS), context=contexts)
def test_the_reduced_context_gets_the_same_findings(
    django_db_setup: None, draft: str, context: dict[str, Any]
) -> None:
    rules = coaching.desk_rules()
    full = CoachContext.coerce(context)
    reduced = context_reduced(full, coach_cuts(rules))
    assert coach(draft, reduced, rules=rules) == coach(draft, full, rules=rules), (draft, context)


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(draft=st.sampled_from(DRAFTS), batch=st.lists(contexts, min_size=10, max_size=40))
def test_contexts_with_one_key_get_the_same_findings(
    django_db_setup: None, draft: str, batch: list[dict[str, Any]]
) -> None:
    """The customer's message counts only as what the rules hear in it: different messages
    share a key, and must then share the findings."""
    rules = coaching.desk_rules()
    cuts = coach_cuts(rules)
    seen: dict[object, tuple[dict[str, Any], list[Any]]] = {}
    for context in batch:
        ctx = CoachContext.coerce(context)
        found = coach(draft, ctx, rules=rules)
        first = seen.setdefault(context_key(ctx, cuts), (context, found))
        assert found == first[1], (draft, context, first[0])


def test_contexts_the_coach_cannot_tell_apart_reduce_to_one() -> None:
    """What makes the memo hit: a wait of 5.1 or 30.4 hours, two or three transfers."""
    cuts = coach_cuts(coaching.desk_rules())
    one = context_reduced(CoachContext(waited_hours=5.1, transfers=2, intensity=0.62), cuts)
    other = context_reduced(CoachContext(waited_hours=30.4, transfers=3, intensity=0.71), cuts)
    late = context_reduced(CoachContext(waited_hours=48.0, transfers=3, intensity=0.71), cuts)
    assert one == other
    assert late != other
    calm, also_calm = (
        CoachContext(customer=said, customer_words=12)
        for said in ("Where is my bag?", "Where is my parcel?")
    )
    assert context_key(calm, cuts) == context_key(also_calm, cuts)
    assert context_key(calm, cuts) != context_key(CoachContext(customer_words=12), cuts)


@settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batch=st.lists(st.tuples(st.sampled_from(DRAFTS), contexts), min_size=2, max_size=30))
def test_remembered_findings_are_the_coachs(
    django_db_setup: None, batch: list[tuple[str, dict[str, Any]]]
) -> None:
    writer = FastWriter(agents=[], teams={}, customers=[])
    rules = coaching.desk_rules()
    for draft, context in batch:
        expected = [f.to_dict() for f in coaching.findings_with(draft, context, rules=rules)]
        stored = writer._coach(draft, context)
        assert stored is not None
        assert json.loads(stored) == expected, (draft, context)
    assert len(writer._coached) <= len(batch)
