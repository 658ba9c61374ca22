"""The coach's view of a conversation when an agent writes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from caredesk.conversations.models import DONE_STATUSES, Conversation

# Words that say the customer hit technology trouble: the coach then expects an apology.
TECH_PROBLEM = re.compile(
    r"\b(?:error|crash\w*|bug|glitch\w*|freez\w*|frozen|outage|offline|not working|"
    r"(?:won't|doesn't|does not|can't|cannot|couldn't) (?:load|log ?in|sign ?in|connect|open)|"
    r"keeps? (?:crashing|freezing|failing|dropping)|"
    r"(?:app|site|website|portal|router|wi-?fi|internet|connection|checkout|payment page) "
    r"(?:is |was |keeps )?(?:down|broken|failing|failed|dropping))\b",
    re.IGNORECASE,
)

# The coach looks at this many of the customer's latest messages.
COACH_INBOUND = 10


def coach_context(
    conversation: Conversation,
    *,
    inbound: Sequence[tuple[str, dict[str, Any] | None]],
    transfers: int,
    at: datetime,
) -> dict[str, Any]:
    """What the desk knows when an agent writes at `at`: the latest reading, transfers so far,
    how long the problem has run (to its resolution, or to `at`), and whether it sounds like
    technology trouble. `inbound`: the customer's latest messages (text, reading), newest first."""
    latest = inbound[:COACH_INBOUND]
    end = conversation.resolved_at if conversation.status in DONE_STATUSES else at
    waited = ((end or at) - conversation.created_at).total_seconds() / 3600
    return {
        "reading": next((r for _, r in latest if r), None),
        "transfers": transfers,
        "waited_hours": round(waited, 1),
        "tech_problem": any(TECH_PROBLEM.search(text) for text, _ in latest),
        # how much the customer wrote last: the coach finds a two-word answer to it curt
        "customer_words": len(latest[0][0].split()) if latest else 0,
        # their words: a summary or an offer of time may be owed (too upset to talk now)
        "customer": latest[0][0] if latest else "",
    }
