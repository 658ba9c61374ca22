"""Who owns a conversation: assignment and warm transfer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError

from caredesk.conversations.lifecycle.plan import Plan, not_merged
from caredesk.conversations.models import Conversation, EventKind, Status
from caredesk.people.models import Agent, Team, User


def assigned_event(plan: Plan, agent: Agent, actor: User | None, at: datetime, how: str) -> None:
    plan.event(EventKind.ASSIGNED, actor, at, agent=agent.pk, agent_name=agent.name, how=how)


def assigned(
    conversation: Conversation, *, agent: Agent, actor: User | None, at: datetime, how: str
) -> Plan:
    """An agent now owns the conversation; `how` says by what (assigned, auto, take_next…)."""
    plan = Plan(conversation)
    plan.set("owner", agent)
    if plan.get("status") == Status.NEW:
        plan.set("status", Status.OPEN)
    assigned_event(plan, agent, actor, at, how)
    return plan


def transferred(
    conversation: Conversation,
    *,
    actor: User,
    note: str,
    to_agent: Agent | None,
    to_team: Team | None,
    agent_teams: Sequence[Team],
    at: datetime,
) -> Plan:
    """A warm transfer. An agent in another team takes the conversation into their first team
    (by name); a transfer to a team alone puts it back in the queue at the place the customer
    earned by waiting. `agent_teams`: the receiving agent's teams, by name (only needed when
    no team is named)."""
    not_merged(conversation)
    if to_agent is None and to_team is None:
        raise ValidationError({"to": "Choose an agent or a team to transfer to."})
    if to_agent is not None and to_agent.pk == (conversation.owner_id or 0) and to_team is None:
        raise ValidationError({"to": "The conversation is already with that agent."})
    plan = Plan(conversation)
    from_owner = conversation.owner
    team = conversation.team
    joins_other_team = team is not None and agent_teams and team not in agent_teams
    if to_team is None and to_agent is not None and joins_other_team:
        to_team = agent_teams[0]
    plan.set("team", to_team if to_team is not None else team)
    plan.set("owner", to_agent)
    plan.set("queued_at", conversation.created_at if to_agent is None else conversation.queued_at)
    plan.set("status", Status.OPEN if conversation.status == Status.NEW else conversation.status)
    plan.event(
        EventKind.TRANSFERRED,
        actor,
        at,
        note=note,
        from_agent=from_owner.pk if from_owner else None,
        from_agent_name=from_owner.name if from_owner else "",
        to_agent=to_agent.pk if to_agent else None,
        to_agent_name=to_agent.name if to_agent else "",
        to_team=to_team.pk if to_team else None,
        to_team_name=to_team.name if to_team else "",
    )
    return plan
