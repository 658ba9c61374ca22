"""Who may see what. Every view and API route asks here, never decides on its own."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from caredesk.conversations.models import Conversation
from caredesk.people.models import Agent, User


def agent_of(user: Any) -> Agent | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        agent: Agent = user.agent
    except Agent.DoesNotExist:
        return None
    return agent


def conversations_visible_to(user: User) -> QuerySet[Conversation]:
    """A customer sees their own; an agent their teams' and the shared queue; a lead all."""
    qs = Conversation.objects.all()
    agent = agent_of(user)
    if agent is not None:
        if agent.sees_everything:
            return qs
        # team is a foreign key, so this filter cannot duplicate rows: no distinct() needed.
        return qs.filter(Q(team__in=agent.teams.all()) | Q(team__isnull=True) | Q(owner=agent))
    if getattr(user, "is_authenticated", False):
        return qs.filter(customer__user=user)
    return qs.none()
