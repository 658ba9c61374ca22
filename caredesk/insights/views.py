"""The insights pages: dashboards, correlations, goals and the review.

Thin views: a form parses the request, a selector or service does the work (every figure comes
from the rollups through `selectors.metrics_for`), a template renders it. Charts are drawn by
`static/insights/charts.js` from a `<script type="application/json">` block, so the site's CSP
(scripts from 'self' only) holds.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caredesk.forms import add_service_errors
from caredesk.insights import goals, review, selectors
from caredesk.insights.correlations import Correlation, correlations_for
from caredesk.insights.facts import desk_zone
from caredesk.insights.forms import (
    CheckpointForm,
    DashboardForm,
    GoalChangeForm,
    GoalForm,
    ReviewForm,
    ScheduleForm,
)
from caredesk.insights.metrics import METRICS, Metric
from caredesk.insights.models import Checkpoint, Goal, ReviewSchedule
from caredesk.people.decorators import AgentRequest, agent_required
from caredesk.people.selectors import may_manage_teams


def _today() -> date:
    return timezone.now().astimezone(desk_zone()).date()


def _lead(request: AgentRequest) -> None:
    if not may_manage_teams(request.agent):
        raise PermissionDenied("Only leads and admins may do this.")


def _chart_value(metric: Metric, value: float | None) -> float | None:
    """What the chart plots: shares in per cent, times in hours."""
    if value is None:
        return None
    if metric.unit == "share":
        return round(value * 100, 1)
    if metric.unit == "seconds":
        return round(value / 3600, 2)
    return round(value, 2)


def _chart_unit(metric: Metric) -> str:
    return {"share": "%", "seconds": "hours"}.get(metric.unit, metric.unit)


def _dashboard(
    request: AgentRequest,
) -> tuple[DashboardForm, list[selectors.Group], selectors.Group | None, Any]:
    form = DashboardForm(request.GET, today=_today(), lead=request.agent.sees_everything)
    if not form.is_valid():
        return form, [], None, None
    scope = selectors.scope_for(request.user, form.scope())
    data = form.cleaned_data
    groups, total = selectors.metrics_trend(
        start=data["start"], end=data["end"], scope=scope, grouping=data["grouping"]
    )
    return form, groups, total, scope


def _goal_view(p: goals.GoalProgress) -> dict[str, Any]:
    """A goal's progress as the page shows it: values formatted for people."""
    m = p.metric
    return {
        "goal": p.goal,
        "metric": m,
        "target": goals.fmt(m, p.goal.target),
        "celebrations": [{"text": goals.celebration_text(c)} for c in p.celebrations],
        "rows": [
            {
                "checkpoint": c.checkpoint,
                "target": goals.fmt(m, c.checkpoint.target),
                "value": goals.fmt(m, c.value),
                "cases": c.cases,
                "thin": c.thin,
                "state": c.state,
            }
            for c in p.checkpoints
        ],
        "forecast_text": p.forecast_text,
    }


@require_GET
@agent_required
def dashboard(request: AgentRequest) -> HttpResponse:
    form, groups, total, scope = _dashboard(request)
    if total is None:
        return render(request, "insights/dashboard.html", {"form": form}, status=400)
    totals = total.values
    charts: list[dict[str, Any]] = []
    chart_data: dict[str, dict[str, Any]] = {}
    for i, metric in enumerate(METRICS):
        rows = [(g, g.values[i]) for g in groups]
        charts.append(
            {
                "metric": metric,
                "total": totals[i],
                "shown": goals.fmt(metric, totals[i].value),
                "rows": [(g, v, goals.fmt(metric, v.value)) for g, v in rows],
            }
        )
        chart_data[metric.name] = {
            "title": metric.title,
            "unit": _chart_unit(metric),
            "x": [g.key for g, _ in rows],
            "y": [_chart_value(metric, v.value) for _, v in rows],
            "cases": [v.cases for _, v in rows],
        }
    today = _today()
    live = [
        _goal_view(goals.goal_progress(g, today))
        for g in goals.goals_live()
        if scope.team is None or g.team_id in (None, scope.team)
    ]
    context = {
        "form": form,
        "scope": scope,
        "charts": charts,
        "chart_data": chart_data,
        "goals": live,
        "query": request.GET.urlencode(),
    }
    return render(request, "insights/dashboard.html", context)


@require_GET
@agent_required
def dashboard_csv(request: AgentRequest) -> HttpResponse:
    """The dashboard's figures as CSV: every metric, or the one named by `metric`."""
    form, groups, _, scope = _dashboard(request)
    if scope is None:
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    wanted = request.GET.get("metric") or None
    if wanted is not None and wanted not in {m.name for m in METRICS}:
        return HttpResponse("Unknown metric.", status=400, content_type="text/plain")
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        ["period_start", "period_end", "metric", "title", "value", "unit", "cases", "too_few_cases"]
    )
    for g in groups:
        for v in g.values:
            if wanted is None or v.metric.name == wanted:
                w.writerow(
                    [
                        g.start,
                        g.end,
                        v.metric.name,
                        v.metric.title,
                        v.value,
                        v.metric.unit,
                        v.cases,
                        v.thin,
                    ]
                )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"insights-{wanted or 'all'}-{form.cleaned_data['start']}-{form.cleaned_data['end']}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def reports(request: HttpRequest) -> HttpResponse:
    """`/reports/` is where people look first: it is the dashboard."""
    return redirect("insights:dashboard")


def _correlation_view(c: Correlation) -> dict[str, Any]:
    def shown(x: float | None, *, signed: bool = False) -> str:
        if x is None:
            return "–"
        if c.proportion:
            return f"{x * 100:+.0f} points" if signed else f"{x * 100:.0f}%"
        return f"{x:+.2f}" if signed else f"{x:.2f}"

    return {
        "title": c.title,
        "outcome": c.outcome,
        "groups": c.groups,
        "cases": c.cases,
        "enough": c.enough,
        "sentence": c.sentence,
        "shown": (
            shown(c.values[0]),
            shown(c.values[1]),
            shown(c.difference, signed=True),
            shown(c.low, signed=True),
            shown(c.high, signed=True),
        ),
    }


@require_GET
@agent_required
def correlations(request: AgentRequest) -> HttpResponse:
    _lead(request)
    form = DashboardForm(request.GET, today=_today(), lead=True)
    found = []
    if form.is_valid():
        team = form.cleaned_data.get("team")
        found = correlations_for(
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            team=team.pk if team else None,
        )
    status = 200 if form.is_valid() else 400
    context = {"form": form, "correlations": [_correlation_view(c) for c in found]}
    return render(request, "insights/correlations.html", context, status=status)


# -- goals ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@agent_required
def goal_list(request: AgentRequest) -> HttpResponse:
    """Goals are tracked in the open: every agent reads them; leads set them."""
    today = _today()
    form = GoalForm(request.POST or None)
    if request.method == "POST":
        _lead(request)
        if form.is_valid():
            try:
                goal = goals.goal_create(
                    actor=request.agent, at=timezone.now(), **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Goal set, with its checkpoints.")
                return redirect("insights:goal", pk=goal.pk)
    retired = Goal.objects.filter(retired_at__isnull=False).select_related("team")
    context = {
        "form": form,
        "goals": [_goal_view(goals.goal_progress(g, today)) for g in goals.goals_live()],
        "retired": retired.order_by("-retired_at")[:50],
        "lead": may_manage_teams(request.agent),
    }
    return render(request, "insights/goals.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@agent_required
def goal_detail(request: AgentRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(Goal.objects.select_related("team"), pk=pk)
    form = GoalChangeForm(
        request.POST or None, initial={"target": goal.target, "end": goal.end, "note": goal.note}
    )
    if request.method == "POST":
        _lead(request)
        if form.is_valid():
            try:
                goals.goal_change(
                    goal=goal, actor=request.agent, at=timezone.now(), **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Goal changed; what it was is kept below.")
                return redirect("insights:goal", pk=goal.pk)
    context = {
        "goal": goal,
        "p": _goal_view(goals.goal_progress(goal, _today())),
        "form": form,
        "changes": goal.changes.select_related("actor__user"),
        "lead": may_manage_teams(request.agent),
    }
    return render(request, "insights/goal.html", context, status=400 if form.errors else 200)


@require_POST
@agent_required
def goal_retire(request: AgentRequest, pk: int) -> HttpResponse:
    _lead(request)
    goal = get_object_or_404(Goal, pk=pk)
    goals.goal_retire(goal=goal, actor=request.agent, at=timezone.now())
    messages.success(request, "Goal retired; its history is kept.")
    return redirect("insights:goal", pk=goal.pk)


@require_POST
@agent_required
def checkpoint_edit(request: AgentRequest, pk: int) -> HttpResponse:
    _lead(request)
    checkpoint = get_object_or_404(Checkpoint.objects.select_related("goal"), pk=pk)
    form = CheckpointForm(request.POST)
    if form.is_valid():
        try:
            goals.checkpoint_target_set(
                checkpoint=checkpoint,
                actor=request.agent,
                target=form.cleaned_data["target"],
                at=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
    if form.errors:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    else:
        messages.success(request, "Checkpoint target saved.")
    return redirect("insights:goal", pk=checkpoint.goal_id)


# -- the review -------------------------------------------------------------------------------


def _review(request: AgentRequest) -> tuple[ReviewForm, review.Review | None]:
    _lead(request)
    today = _today()
    form = ReviewForm(request.GET, today=today)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, review.review_for(start=data["start"], end=data["end"], today=today)


@require_GET
@agent_required
def review_page(request: AgentRequest) -> HttpResponse:
    form, found = _review(request)
    context: dict[str, Any] = {"form": form, "review": found, "query": request.GET.urlencode()}
    if found is not None:
        context["sections"] = [
            (
                title,
                [
                    {
                        "title": v.metric.title,
                        "shown": goals.fmt(v.metric, v.value),
                        "cases": v.cases,
                        "thin": v.thin,
                        "definition": v.metric.definition,
                    }
                    for v in values
                ],
            )
            for title, values in found.sections.items()
        ]
        context["goals"] = [_goal_view(p) for p in found.goals]
    return render(request, "insights/review.html", context, status=200 if found else 400)


@require_GET
@agent_required
def review_csv(request: AgentRequest) -> HttpResponse:
    form, found = _review(request)
    if found is None:
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    response = HttpResponse(review.review_csv(found), content_type="text/csv; charset=utf-8")
    name = f"review-{found.start}-{found.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_http_methods(["GET", "POST"])
@agent_required
def schedules(request: AgentRequest) -> HttpResponse:
    _lead(request)
    form = ScheduleForm(request.POST or None, initial={"to": request.user.email})
    if request.method == "POST" and form.is_valid():
        try:
            review.review_schedule_create(
                actor=request.agent, at=timezone.now(), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The review will be e-mailed on that schedule.")
            return redirect("insights:schedules")
    context = {
        "form": form,
        "schedules": ReviewSchedule.objects.filter(active=True).order_by("pk"),
    }
    return render(request, "insights/schedules.html", context, status=400 if form.errors else 200)


@require_POST
@agent_required
def schedule_stop(request: AgentRequest, pk: int) -> HttpResponse:
    _lead(request)
    review.review_schedule_stop(schedule=get_object_or_404(ReviewSchedule, pk=pk))
    messages.success(request, "Schedule stopped.")
    return redirect("insights:schedules")
