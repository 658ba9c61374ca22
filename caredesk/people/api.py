"""People over the API: agents and teams (read; leads change teams), and your own API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja import Status as Answer

from caredesk.apikit import Cursor, Id, In, Limit, keyset_page, responses, user_of
from caredesk.people import services
from caredesk.people.models import Agent, ApiToken, Team, TokenScope
from caredesk.people.selectors import agent_of

router = Router(tags=["people"])


class AgentOut(Schema):
    id: int
    name: str
    email: str
    role: str
    presence: str
    team_ids: list[int]


class TeamOut(Schema):
    id: int
    name: str
    auto_assign: bool
    update_interval_hours: int
    signal_policy: dict[str, int]
    agent_ids: list[int]


class TeamPatch(In):
    auto_assign: bool | None = None
    update_interval_hours: int | None = Field(None, ge=1, le=10_000)
    signal_policy: dict[str, int] | None = None
    agent_ids: list[int] | None = Field(None, max_length=1000)


class TokenIn(In):
    name: str = Field(max_length=100)
    scopes: list[TokenScope] = [TokenScope.READ, TokenScope.WRITE]


class TokenOut(Schema):
    id: int
    name: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The bearer token, shown this once; only its hash is kept.")


def _agent(request: HttpRequest) -> Agent:
    agent = agent_of(request.user)
    if agent is None:
        raise PermissionDenied("Only agents may see the desk's people.")
    return agent


def _agent_out(a: Agent) -> dict[str, Any]:
    return {
        "id": a.pk,
        "name": a.name,
        "email": a.user.email,
        "role": a.role,
        "presence": a.presence,
        "team_ids": [t.pk for t in a.teams.all()],
    }


def _team_out(t: Team) -> dict[str, Any]:
    return {
        "id": t.pk,
        "name": t.name,
        "auto_assign": t.auto_assign,
        "update_interval_hours": t.update_interval_hours,
        "signal_policy": t.signal_policy or {},
        "agent_ids": [a.pk for a in t.agents.all()],
    }


@router.get("/agents", response=responses({200: list[AgentOut]}, 400, 403, 422))
def agent_list(
    request: HttpRequest, response: HttpResponse, limit: Limit = 50, cursor: Cursor = None
) -> Any:
    _agent(request)
    qs = Agent.objects.filter(user__is_active=True).select_related("user")
    qs = qs.prefetch_related("teams")
    page = keyset_page(qs, request=request, response=response, limit=limit, cursor=cursor)
    return [_agent_out(a) for a in page]


@router.get("/teams", response=responses({200: list[TeamOut]}, 400, 403, 422))
def team_list(
    request: HttpRequest, response: HttpResponse, limit: Limit = 50, cursor: Cursor = None
) -> Any:
    _agent(request)
    qs = Team.objects.prefetch_related("agents")
    page = keyset_page(qs, request=request, response=response, limit=limit, cursor=cursor)
    return [_team_out(t) for t in page]


@router.get("/teams/{team_id}", response=responses({200: TeamOut}, 403, 404, 422))
def team_get(request: HttpRequest, team_id: Id) -> Any:
    _agent(request)
    return _team_out(get_object_or_404(Team, pk=team_id))


@router.patch("/teams/{team_id}", response=responses({200: TeamOut}, 400, 403, 404, 422))
def team_update(request: HttpRequest, team_id: Id, payload: TeamPatch) -> Any:
    """Leads change how a team works and who is in it; what is not sent stays."""
    actor = _agent(request)
    team = get_object_or_404(Team, pk=team_id)
    services.team_update(
        team=team,
        actor=actor,
        auto_assign=team.auto_assign if payload.auto_assign is None else payload.auto_assign,
        update_interval_hours=payload.update_interval_hours or team.update_interval_hours,
        signal_policy=(
            team.signal_policy if payload.signal_policy is None else payload.signal_policy
        ),
    )
    if payload.agent_ids is not None:
        members = list(Agent.objects.filter(pk__in=payload.agent_ids).select_related("user"))
        services.team_members_set(team=team, actor=actor, members=members)
    return _team_out(team)


@router.get("/tokens", response=responses({200: list[TokenOut]}, 400, 422), tags=["tokens"])
def token_list(
    request: HttpRequest, response: HttpResponse, limit: Limit = 50, cursor: Cursor = None
) -> Any:
    """Your own API tokens (never their secret: only its hash is kept)."""
    qs = ApiToken.objects.filter(user=user_of(request))
    return keyset_page(qs, request=request, response=response, limit=limit, cursor=cursor)


@router.post(
    "/tokens", response=responses({201: TokenCreated}, 400, 403, 409, 422), tags=["tokens"]
)
def token_create(request: HttpRequest, payload: TokenIn) -> Any:
    user = user_of(request)
    row, secret = services.api_token_issue(
        email=user.email, name=payload.name, scopes=payload.scopes
    )
    return Answer(201, {**TokenOut.from_orm(row).dict(), "token": secret})


@router.delete(
    "/tokens/{token_id}", response=responses({204: None}, 403, 404, 422), tags=["tokens"]
)
def token_revoke(request: HttpRequest, token_id: Id) -> Any:
    """Revoke one of your tokens; it stops working at once."""
    user = user_of(request)
    token = get_object_or_404(ApiToken.objects.filter(user=user), pk=token_id)
    services.api_token_revoke(token=token, actor=user)
    return Answer(204, None)
