"""The reply coach at the desk: what it knows about a conversation, and the draft it checks."""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone

from caredesk.conversations.models import DONE_STATUSES, Conversation, Direction, EventKind
from caredesk.empathy.coaching import Finding
from caredesk.people.models import Agent
from caredesk.replies.services import draft_coach

# Words that say the customer hit technology trouble: the coach then expects an apology.
TECH_PROBLEM = re.compile(
    r"\b(?:error|crash\w*|bug|glitch\w*|freez\w*|frozen|outage|offline|not working|"
    r"(?:won't|doesn't|does not|can't|cannot|couldn't) (?:load|log ?in|sign ?in|connect|open)|"
    r"keeps? (?:crashing|freezing|failing|dropping)|"
    r"(?:app|site|website|portal|router|wi-?fi|internet|connection|checkout|payment page) "
    r"(?:is |was |keeps )?(?:down|broken|failing|failed|dropping))\b",
    re.IGNORECASE,
)


def coach_context(conversation: Conversation) -> dict[str, Any]:
    """What the desk knows: the latest reading, transfers, how long the problem has run."""
    inbound = list(
        conversation.messages.filter(direction=Direction.INBOUND)
        .order_by("-created_at")
        .values_list("text", "reading")[:10]
    )
    reading = next((r for _, r in inbound if r), None)
    transfers = conversation.events.filter(kind=EventKind.TRANSFERRED).count()
    end = conversation.resolved_at if conversation.status in DONE_STATUSES else timezone.now()
    waited = ((end or timezone.now()) - conversation.created_at).total_seconds() / 3600
    return {
        "reading": reading,
        "transfers": transfers,
        "waited_hours": round(waited, 1),
        "tech_problem": any(TECH_PROBLEM.search(text) for text, _ in inbound),
    }


def placeholder_values(conversation: Conversation, agent: Agent) -> dict[str, str]:
    name = conversation.customer.name
    return {
        "customer_name": name,
        "customer_first_name": name.split()[0] if name else "",
        "agent_name": agent.name,
        "agent_first_name": agent.user.first_name or agent.name,
        "conversation_id": str(conversation.pk),
        "subject": conversation.subject,
        "team": conversation.team.name if conversation.team else "",
    }


def conversation_coach(conversation: Conversation, draft: str) -> list[Finding]:
    return draft_coach(draft, coach_context(conversation))
