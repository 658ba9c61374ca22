"""The reply coach at the desk: what it knows about a conversation, and the draft it checks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils import timezone

from caredesk.conversations import lifecycle
from caredesk.conversations.models import Conversation, Direction, EventKind
from caredesk.empathy.coaching import Finding, RuleSet, coach
from caredesk.people.models import Agent
from caredesk.replies.services import coach_rules, draft_coach


def coach_context(conversation: Conversation, *, at: datetime | None = None) -> dict[str, Any]:
    """What the desk knows when an agent writes at `at` (now, unless the reply is back-dated):
    the latest reading, transfers, how long the problem has run (`lifecycle.coach_context`)."""
    inbound = list(
        conversation.messages.filter(direction=Direction.INBOUND)
        .order_by("-created_at", "-pk")
        .values_list("text", "reading")[: lifecycle.COACH_INBOUND]
    )
    transfers = conversation.events.filter(kind=EventKind.TRANSFERRED).count()
    return lifecycle.coach_context(
        conversation, inbound=inbound, transfers=transfers, at=at or timezone.now()
    )


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


def conversation_coach(
    conversation: Conversation, draft: str, *, at: datetime | None = None
) -> list[Finding]:
    return draft_coach(draft, coach_context(conversation, at=at))


def note_nudge(text: str) -> str:
    """A gentle word from the coach on an internal note, or "" (respect inside the team becomes
    respect shown to the customer). It never blocks: the note is saved either way."""
    found = coach(text, None, rules=coach_rules(), audience="note")
    if not found:
        return ""
    first = found[0]
    quoted = text[first.start : first.end]
    return (
        f" A thought from the coach on “{quoted}”: {first.reason} Perhaps: “{first.rewrites[0]}”."
    )


def desk_rules() -> RuleSet:
    """The desk's coach rules as they stand, for a caller that coaches many drafts at once."""
    return coach_rules()


def findings_with(draft: str, context: Mapping[str, Any], *, rules: RuleSet) -> list[Finding]:
    """What `draft_coach` finds, with rules loaded once by the caller (the demo's bulk path)."""
    return coach(draft, context, rules=rules)
