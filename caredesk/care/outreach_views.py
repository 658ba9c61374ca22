"""Outreach pages: the leads' at-risk list (who is reaching out to whom, and why), an agent's
own outreach tasks, and recording how one went. Thin: parse, call, render."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from caredesk.care import outreach_selectors as selectors
from caredesk.care.models import OutreachOutcome
from caredesk.care.outreach_services import NOTE_MAX_CHARS, outreach_close
from caredesk.forms import add_service_errors
from caredesk.people.decorators import AgentRequest, agent_required
from caredesk.people.selectors import may_manage_teams

SUMMARY_DAYS = 30


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=OutreachOutcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        required=False, max_length=NOTE_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 2})
    )
    back = forms.ChoiceField(choices=[("mine", "mine"), ("list", "list")], required=False)


@require_GET
@agent_required
def at_risk(request: AgentRequest) -> HttpResponse:
    if not may_manage_teams(request.agent):
        raise PermissionDenied("Only leads and admins see every customer at risk.")
    now = timezone.now()
    context = {
        "page": selectors.at_risk_page(page=request.GET.get("page")),
        "summary": selectors.outreach_summary(start=now - timedelta(days=SUMMARY_DAYS), end=now),
        "summary_days": SUMMARY_DAYS,
        "outcomes": OutreachOutcome.choices,
    }
    return render(request, "care/at_risk.html", context)


@require_GET
@agent_required
def mine(request: AgentRequest) -> HttpResponse:
    return _mine(request, OutcomeForm(), status=200)


def _mine(request: AgentRequest, form: OutcomeForm, *, status: int) -> HttpResponse:
    context = {
        "tasks": selectors.outreach_tasks_of(request.agent),
        "form": form,
        "outcomes": OutreachOutcome.choices,
    }
    return render(request, "care/outreach_mine.html", context, status=status)


@require_POST
@agent_required
def outcome(request: AgentRequest, pk: int) -> HttpResponse:
    task = selectors.outreach_task_for(request.agent, pk)
    if task is None:
        raise Http404("No such outreach task of yours.")
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            outreach_close(
                task=task,
                actor=request.agent,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            label = OutreachOutcome(form.cleaned_data["outcome"]).label.lower()
            messages.success(request, f"Recorded: {task.customer} {label}.")
            if form.cleaned_data["back"] == "list" and may_manage_teams(request.agent):
                return redirect("care_outreach:list")
            return redirect("care_outreach:mine")
    return _mine(request, form, status=400)
