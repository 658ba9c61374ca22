"""Writes for people: agents and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction

from caredesk.people.models import Agent, ApiToken, Role, Team, User


def api_token_create(*, email: str, name: str) -> str:
    """Make a bearer token; only its hash is kept, so it is shown exactly once."""
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise ValueError(f"No user with the email {email!r}.")
    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, name=name[:100], digest=hashlib.sha256(token.encode()).hexdigest()
    )
    return token


@transaction.atomic
def agent_create(
    *,
    email: str,
    password: str,
    name: str,
    role: str = Role.AGENT,
    teams: list[Team] | None = None,
    capacity: int = 8,
) -> Agent:
    first, _, last = name.partition(" ")
    user = User.objects.create_user(email, password, first_name=first, last_name=last)
    agent = Agent.objects.create(user=user, role=role, capacity=capacity)
    if teams:
        agent.teams.set(teams)
    return agent


def agent_set_presence(*, agent: Agent, presence: str) -> None:
    agent.presence = presence
    agent.full_clean(validate_unique=False, validate_constraints=False)
    agent.save(update_fields=["presence"])


def team_update(
    *,
    team: Team,
    actor: Agent,
    auto_assign: bool,
    update_interval_hours: int,
    signal_policy: dict[str, int],
) -> Team:
    """Leads decide how their team works: automatic assignment, update rhythm, risk policy."""
    if not actor.sees_everything:
        raise PermissionDenied("Only leads and admins change how a team works.")
    team.auto_assign = auto_assign
    team.update_interval_hours = update_interval_hours
    team.signal_policy = signal_policy
    team.full_clean()
    team.save(update_fields=["auto_assign", "update_interval_hours", "signal_policy"])
    return team
