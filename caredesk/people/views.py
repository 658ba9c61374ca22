"""Agents set their presence; leads set how their teams work."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caredesk.forms import add_service_errors
from caredesk.people import selectors, services
from caredesk.people.decorators import AgentRequest, agent_required
from caredesk.people.forms import PresenceForm, TeamForm
from caredesk.people.models import Agent, Severity, Team


@require_POST
@agent_required
def presence(request: AgentRequest) -> HttpResponse:
    form = PresenceForm(request.POST)
    if form.is_valid():
        services.agent_set_presence(agent=request.agent, presence=form.cleaned_data["presence"])
        messages.success(request, f"You are now {request.agent.get_presence_display().lower()}.")
    else:
        messages.error(request, "Choose online, away or offline.")
    # Back to the page the form was on, but never to another site (an open redirect).
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect("desk:queue")


def _lead(request: AgentRequest) -> None:
    if not selectors.may_manage_teams(request.agent):
        raise PermissionDenied("Only leads and admins change how a team works.")


@require_GET
@agent_required
def team_list(request: AgentRequest) -> HttpResponse:
    _lead(request)
    teams = Team.objects.prefetch_related("agents__user")
    rows = [(team, _policy_summary(team)) for team in teams]
    return render(request, "people/teams.html", {"rows": rows})


def _policy_summary(team: Team) -> str:
    labels = dict(Severity.choices)
    return ", ".join(
        f"{signal.replace('_', ' ')} → {str(labels.get(severity, severity)).lower()}"
        for signal, severity in sorted((team.signal_policy or {}).items())
    )


@require_http_methods(["GET", "POST"])
@agent_required
def team_edit(request: AgentRequest, pk: int) -> HttpResponse:
    _lead(request)
    team = get_object_or_404(Team, pk=pk)
    form = TeamForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.team_update(
                    team=team,
                    actor=request.agent,
                    auto_assign=form.cleaned_data["auto_assign"],
                    update_interval_hours=form.cleaned_data["update_interval_hours"],
                    signal_policy=form.signal_policy(),
                )
                added, removed = services.team_members_set(
                    team=team, actor=request.agent, members=form.cleaned_data["members"]
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _saved_message(team, added, removed))
            return redirect("people:teams")
    status = 400 if request.method == "POST" else 200
    return render(request, "people/team_edit.html", {"team": team, "form": form}, status=status)


def _saved_message(team: Team, added: list[Agent], removed: list[Agent]) -> str:
    joined = f" {', '.join(map(str, added))} joined." if added else ""
    left = f" {', '.join(map(str, removed))} left." if removed else ""
    return f"Saved how {team.name} works.{joined}{left}"
