"""Writes for people: agents and API tokens."""

from __future__ import annotations

import hashlib
import secrets

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
