"""Who owns a conversation: assignment and the warm transfer."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from caredesk.conversations import lifecycle, queue
from caredesk.conversations.events import plan_record
from caredesk.conversations.models import Conversation
from caredesk.conversations.services.locking import locked
from caredesk.people.models import Agent, Team, User
from caredesk.text import clean_text


@transaction.atomic
def conversation_assign(
    *, conversation: Conversation, agent: Agent, actor: User, at: datetime | None = None
) -> None:
    now = at or timezone.now()
    conversation = locked(conversation)
    plan_record(lifecycle.assigned(conversation, agent=agent, actor=actor, at=now, how="assigned"))


def agent_teams_by_name(agent: Agent) -> list[Team]:
    """An agent's teams in the order the transfer rule picks from (by name)."""
    return sorted(agent.teams.all(), key=lambda t: t.name)


@transaction.atomic
def conversation_transfer(
    *,
    conversation: Conversation,
    actor: User,
    note: str,
    to_agent: Agent | None = None,
    to_team: Team | None = None,
    at: datetime | None = None,
) -> Conversation:
    """A warm transfer: the handoff note is required so the customer never repeats themselves."""
    note = clean_text(note, field="note")
    if not note:
        raise ValidationError(
            {
                "note": "Write a handoff note: what the customer needs, what you "
                "already tried, and what is next — so they never have to repeat it."
            }
        )
    if len(note) > settings.CAREDESK_MAX_MESSAGE_CHARS:
        raise ValidationError({"note": "The handoff note is too long."})
    now = at or timezone.now()
    conversation = locked(conversation)
    plan_record(
        lifecycle.transferred(
            conversation,
            actor=actor,
            note=note,
            to_agent=to_agent,
            to_team=to_team,
            agent_teams=agent_teams_by_name(to_agent) if to_agent and to_team is None else [],
            at=now,
        )
    )
    if to_agent is None and conversation.team is not None and conversation.team.auto_assign:
        queue.auto_assign(conversation=conversation, at=now)
    return conversation
