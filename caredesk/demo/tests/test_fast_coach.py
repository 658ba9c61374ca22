"""The bulk path remembers the coach's findings per draft and context; what it remembers is what
the coach gives for every context (the parity test rarely repeats a draft)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caredesk.conversations import coaching
from caredesk.demo.fast import FastWriter

pytestmark = pytest.mark.django_db

DRAFTS = (
    "Hi Ana,\n\nI've reset the export; it should run tonight.\n\nBest, Sam",
    "Hi Ana,\n\nSorry for the wait. I've reset the export.\n\nBest, Sam",
    "Hi Ana,\n\nI understand how frustrating this is. Could you send a screenshot?\n\nSam",
    "YOU NEED TO restart it. Obviously that should fix it.",
)
EMOTIONS = ("anger", "frustration", "worry", "gratitude", "neutral", None)

contexts = st.fixed_dictionaries(
    {
        "reading": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "emotion": st.sampled_from(EMOTIONS),
                    "polarity": st.sampled_from(("negative", "positive", "neutral")),
                    "intensity": st.floats(0, 1),
                }
            ),
        ),
        "transfers": st.integers(0, 3),
        "waited_hours": st.floats(0, 200).map(lambda h: round(h, 1)),
        "tech_problem": st.booleans(),
    }
)


@settings(
    max_examples=200,
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
        assert writer._coach(draft, context)[0] == expected, (draft, context)
    assert len(writer._coached) <= len(batch)
