"""Who may see and do what. Every view, API route and service asks here, never decides on its own.

The decisions are about people (an agent's role and teams, a customer's login); they name the
conversation's fields in a `Q` but never import conversations, which sit above people
(`conversations.selectors.conversations_visible_to` applies the filter).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from caredesk.people.models import ESCALATING_SIGNALS, Agent, Severity, User


def agent_of(user: Any) -> Agent | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        agent: Agent = user.agent
    except Agent.DoesNotExist:
        return None
    return agent


def conversation_filter(user: User | Any) -> Q:
    """Which conversations the user may see, as a filter on `Conversation`: a customer their own;
    an agent their teams', the shared queue's and those they own; a lead or admin all."""
    agent = agent_of(user)
    if agent is not None:
        if agent.sees_everything:
            return Q()
        # team is a foreign key, so this filter cannot duplicate rows: no distinct() needed.
        return (
            Q(team__in=agent.teams.all())
            | Q(team__isnull=True)
            | Q(owner=agent)
            | open_to_every_agent()
        )
    if getattr(user, "is_authenticated", False):
        return Q(customer__user=user)
    return Q(pk__in=[])


def open_to_every_agent() -> Q:
    """An unowned conversation escalated by risk is every agent's, whatever its team: the leads'
    alert asks whoever is free to take it now. Escalated means urgent (safety, legal, public
    escalation, or any signal a team's policy makes urgent) or an open risk that escalates at
    once below urgent (churn intent stays High, `risk_signal` keeps it until resolved)."""
    return Q(owner__isnull=True) & (
        Q(severity__gte=Severity.URGENT) | Q(risk_signal__in=sorted(ESCALATING_SIGNALS))
    )


def may_manage_teams(agent: Agent | None) -> bool:
    """Leads and admins decide how teams work (assignment, rhythm, risk policy) and who is in
    them; agents only see them."""
    return agent is not None and agent.sees_everything


def may_set_severity(user: User | Any) -> bool:
    """Agents set a conversation's severity; a customer's conversation starts at normal and only
    the problem and its risk raise it (the reading's signals), never the customer's say-so."""
    return agent_of(user) is not None


def customer_filter(user: User | Any) -> Q:
    """Which customers an agent may look up: a lead or admin all; an agent those with a
    conversation the agent may see (as the desk's customer page). Customers see none here."""
    agent = agent_of(user)
    if agent is None:
        return Q(pk__in=[])
    if agent.sees_everything:
        return Q()
    return (
        Q(conversations__team__in=agent.teams.all())
        | Q(conversations__team__isnull=True, conversations__isnull=False)
        | Q(conversations__owner=agent)
    )


def may_merge_customers(agent: Agent | None) -> bool:
    """Leads and admins merge two customer records into one (it moves every conversation)."""
    return agent is not None and agent.sees_everything
