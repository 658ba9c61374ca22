"""Writes for people: agents, teams and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from caredesk.empathy.types import SIGNALS
from caredesk.people.models import (
    Agent,
    ApiToken,
    Role,
    Severity,
    Team,
    TokenScope,
    User,
    token_scopes_default,
)
from caredesk.people.selectors import may_manage_teams
from caredesk.text import clean_line


def api_token_create(*, email: str, name: str, scopes: Iterable[str] | None = None) -> str:
    """Make a bearer token (see `api_token_issue`) and answer its secret."""
    return api_token_issue(email=email, name=name, scopes=scopes)[1]


def api_token_issue(
    *, email: str, name: str, scopes: Iterable[str] | None = None
) -> tuple[ApiToken, str]:
    """Make a bearer token; only its hash is kept, so it is shown exactly once.

    `scopes`: ["read"] for a token that may only read, ["read", "write"] (the default) for one
    that may also change things."""
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise ValueError(f"No user with the email {email!r}.")
    wanted = sorted(set(token_scopes_default() if scopes is None else scopes))
    unknown = [s for s in wanted if s not in TokenScope.values]
    if unknown or not wanted:
        raise ValidationError(
            {"scopes": f"Choose scopes from: {', '.join(TokenScope.values)} (at least one)."}
        )
    if TokenScope.WRITE in wanted and TokenScope.READ not in wanted:
        wanted = sorted([*wanted, TokenScope.READ.value])  # writing needs reading what you wrote
    name = clean_line(name, field="name", max_chars=100, required="Name the token.")
    token = secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user, name=name, digest=hashlib.sha256(token.encode()).hexdigest(), scopes=wanted
    )
    return row, token


def api_token_revoke(*, token: ApiToken, actor: User) -> None:
    """A revoked token stops working at once; only its owner revokes it."""
    if token.user_id != actor.pk:
        raise PermissionDenied("Only the token's owner can revoke it.")
    token.delete()


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


def agent_notify_by_email_set(*, agent: Agent, on: bool) -> None:
    """Whether the agent's desk notifications also come by e-mail (their own choice)."""
    agent.notify_by_email = on
    agent.save(update_fields=["notify_by_email"])


def signal_policy_check(policy: object) -> dict[str, int]:
    """The risk policy as the reading needs it, or an error naming each bad entry.

    The reading skips entries it cannot use, so a bad value saved here would be ignored
    without a word; it is refused here instead.
    """
    if not isinstance(policy, dict):
        raise ValidationError({"signal_policy": 'Write an object, like {"churn_intent": 3}.'})
    problems: list[str] = []
    for signal, severity in policy.items():
        if signal not in SIGNALS:
            problems.append(f"Unknown signal {signal!r}; known signals: {', '.join(SIGNALS)}.")
        elif isinstance(severity, bool) or severity not in Severity.values:
            problems.append(
                f"{signal}: unknown severity {severity!r}; use "
                + ", ".join(f"{value} ({label.lower()})" for value, label in Severity.choices)
                + "."
            )
    if problems:
        raise ValidationError({"signal_policy": problems})
    return {signal: int(severity) for signal, severity in policy.items()}


def team_update(
    *,
    team: Team,
    actor: Agent,
    auto_assign: bool,
    update_interval_hours: int,
    signal_policy: dict[str, int],
) -> Team:
    """Leads decide how their team works: automatic assignment, update rhythm, risk policy."""
    if not may_manage_teams(actor):
        raise PermissionDenied("Only leads and admins change how a team works.")
    policy = signal_policy_check(signal_policy)
    if update_interval_hours < 1:
        raise ValidationError(
            {"update_interval_hours": "Send updates at least every hour (1 or more)."}
        )
    team.auto_assign = auto_assign
    team.update_interval_hours = update_interval_hours
    team.signal_policy = policy
    team.full_clean()
    team.save(update_fields=["auto_assign", "update_interval_hours", "signal_policy"])
    return team


@transaction.atomic
def team_members_set(
    *, team: Team, actor: Agent, members: Iterable[Agent]
) -> tuple[list[Agent], list[Agent]]:
    """Make exactly these agents the team's members; returns who joined and who left.

    Only the team's own membership rows change: the agents' other teams, their conversations
    and their roles stay as they are, and an unchanged list writes nothing.
    """
    if not may_manage_teams(actor):
        raise PermissionDenied("Only leads and admins change who is in a team.")
    wanted = {agent.pk: agent for agent in members}
    switched_off = sorted(a.name for a in wanted.values() if not a.user.is_active)
    if switched_off:
        raise ValidationError(
            {"members": f"These accounts are switched off: {', '.join(switched_off)}."}
        )
    current = {agent.pk: agent for agent in team.agents.select_related("user")}
    added = [wanted[pk] for pk in wanted.keys() - current.keys()]
    removed = [current[pk] for pk in current.keys() - wanted.keys()]
    if added:
        team.agents.add(*added)
    if removed:
        team.agents.remove(*removed)
    return sorted(added, key=str), sorted(removed, key=str)
