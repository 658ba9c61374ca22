"""The leads' SLA pages: a team's hours and targets, and the compliance report."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from caredesk.care import selectors, services
from caredesk.care.forms import ReportForm, SlaForm
from caredesk.care.models import BusinessHours, SlaPolicy
from caredesk.forms import add_service_errors
from caredesk.people.decorators import AgentRequest, agent_required
from caredesk.people.models import Team
from caredesk.people.selectors import may_manage_teams

REPORT_DAYS = 30


def _lead(request: AgentRequest) -> None:
    if not may_manage_teams(request.agent):
        raise PermissionDenied("Only leads and admins see and set SLAs.")


@require_http_methods(["GET", "POST"])
@agent_required
def sla_edit(request: AgentRequest, pk: int) -> HttpResponse:
    _lead(request)
    team = get_object_or_404(Team, pk=pk)
    form = SlaForm(
        request.POST or None,
        hours=BusinessHours.objects.filter(team=team).first(),
        policies=list(SlaPolicy.objects.filter(team=team)),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.sla_settings_save(
                team=team,
                actor=request.agent,
                time_zone=form.cleaned_data["time_zone"],
                week=form.week(),
                holidays=form.holiday_list(),
                warn_minutes=form.cleaned_data["warn_minutes"],
                owner_answer_minutes=form.cleaned_data["owner_answer_minutes"],
                policies=form.policies(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved {team.name}'s SLA.")
            return redirect("care_sla:edit", pk=team.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "care/sla_edit.html", {"team": team, "form": form}, status=status)


@require_GET
@agent_required
def sla_report(request: AgentRequest) -> HttpResponse:
    _lead(request)
    today = timezone.now().astimezone(UTC).date()
    team = Team.objects.order_by("name").first()
    defaults = {
        "team": team.pk if team else None,
        "start": today - timedelta(days=REPORT_DAYS - 1),
        "end": today,
    }
    form = ReportForm(request.GET or defaults)
    rows = None
    if form.is_valid():
        start = datetime.combine(form.cleaned_data["start"], time(0), tzinfo=UTC)
        end = datetime.combine(form.cleaned_data["end"] + timedelta(days=1), time(0), tzinfo=UTC)
        rows = selectors.sla_report(
            team=form.cleaned_data["team"], start=start, end=end, at=timezone.now()
        )
    status = 400 if request.GET and not form.is_valid() else 200
    return render(request, "care/sla_report.html", {"form": form, "rows": rows}, status=status)
