"""Agents set their presence; leads set how their teams work."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caredesk.people import services
from caredesk.people.decorators import AgentRequest, agent_required
from caredesk.people.forms import PresenceForm, TeamForm
from caredesk.people.models import Team


@require_POST
@agent_required
def presence(request: AgentRequest) -> HttpResponse:
    form = PresenceForm(request.POST)
    if form.is_valid():
        services.agent_set_presence(agent=request.agent, presence=form.cleaned_data["presence"])
        messages.success(request, f"You are now {request.agent.get_presence_display().lower()}.")
    else:
        messages.error(request, "Choose online, away or offline.")
    return redirect(request.POST.get("next") or "desk:queue")


def _lead(request: AgentRequest) -> None:
    if not request.agent.sees_everything:
        raise PermissionDenied("Only leads and admins change how a team works.")


@require_GET
@agent_required
def team_list(request: AgentRequest) -> HttpResponse:
    _lead(request)
    teams = Team.objects.prefetch_related("agents__user")
    return render(request, "people/teams.html", {"teams": teams})


@require_http_methods(["GET", "POST"])
@agent_required
def team_edit(request: AgentRequest, pk: int) -> HttpResponse:
    _lead(request)
    team = get_object_or_404(Team, pk=pk)
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST":
        if form.is_valid():
            services.team_update(team=team, actor=request.agent, **form.cleaned_data)
            messages.success(request, f"Saved how {team.name} works.")
            return redirect("people:teams")
        return render(request, "people/team_edit.html", {"team": team, "form": form}, status=400)
    return render(request, "people/team_edit.html", {"team": team, "form": form})
