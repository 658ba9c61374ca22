"""The insights pages' forms: they parse and check input; the selectors and services decide."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms

from caredesk.conversations.models import Channel
from caredesk.insights.metrics import METRICS
from caredesk.insights.models import Cadence
from caredesk.insights.review import preset
from caredesk.insights.selectors import MAX_DAYS, Grouping, Scope
from caredesk.people.models import Agent, Severity, Team

PRESETS = {"week": 7, "month": 30, "quarter": 91, "year": 365}
METRIC_CHOICES = [(m.name, m.title) for m in METRICS]


class DashboardForm(forms.Form):
    """Which part of the desk, which period and which grouping the dashboard shows."""

    period = forms.ChoiceField(
        required=False,
        choices=[("", "Custom dates"), *[(k, f"Last {k}") for k in PRESETS]],
    )
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    grouping = forms.ChoiceField(
        choices=[
            (g.value, f"By {g.value}") for g in (Grouping.WEEK, Grouping.MONTH, Grouping.QUARTER)
        ],
        initial=Grouping.WEEK.value,
        required=False,
    )
    team = forms.ModelChoiceField(
        Team.objects.order_by("name"), required=False, empty_label="All teams"
    )
    agent = forms.ModelChoiceField(
        Agent.objects.select_related("user").order_by("user__email"),
        required=False,
        empty_label="All agents",
    )
    channel = forms.ChoiceField(choices=[("", "All channels"), *Channel.choices], required=False)
    severity = forms.TypedChoiceField(
        choices=[("", "All severities"), *Severity.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args: Any, today: date, lead: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        if not lead:  # an agent sees their own figures: no team or agent to choose
            del self.fields["team"]
            del self.fields["agent"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        end = data.get("end") or self.today
        preset = data.get("period")
        if preset:
            end = self.today
            start = end - timedelta(days=PRESETS[preset] - 1)
        else:
            start = data.get("start") or end - timedelta(days=90)
        if end < start:
            self.add_error("end", "The period ends before it starts.")
        elif (end - start).days >= MAX_DAYS:
            self.add_error("start", f"Choose at most {MAX_DAYS} days.")
        data["start"], data["end"] = start, end
        data["grouping"] = Grouping(data.get("grouping") or Grouping.WEEK)
        return data

    def scope(self) -> Scope:
        data = self.cleaned_data
        team, agent = data.get("team"), data.get("agent")
        return Scope(
            team=team.pk if team else None,
            agent=agent.pk if agent else None,
            channel=data.get("channel") or None,
            severity=data.get("severity"),
        )


class GoalForm(forms.Form):
    metric = forms.ChoiceField(choices=METRIC_CHOICES)
    team = forms.ModelChoiceField(
        Team.objects.order_by("name"), required=False, empty_label="The whole desk"
    )
    target = forms.FloatField(
        help_text="Shares as a fraction (0.8 for 80%), times in seconds, scores as 1–5."
    )
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    cadence = forms.ChoiceField(choices=Cadence.choices, label="Checkpoints")
    note = forms.CharField(max_length=200, required=False)


class GoalChangeForm(forms.Form):
    target = forms.FloatField()
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(max_length=200, required=False)


class CheckpointForm(forms.Form):
    target = forms.FloatField()


class ReviewForm(forms.Form):
    preset = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Custom dates"),
            ("week", "Last week"),
            ("month", "Last month"),
            ("quarter", "Last quarter"),
        ],
    )
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        """A preset, or both dates; nothing chosen means last week's review."""
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if data.get("preset") or not (start or end):
            start, end = preset(data.get("preset") or "week", self.today)
        elif not (start and end):
            self.add_error("start" if not start else "end", "Give both dates, or a preset.")
            return data
        if end < start:
            self.add_error("end", "The period ends before it starts.")
        elif (end - start).days >= MAX_DAYS:
            self.add_error("start", f"Choose at most {MAX_DAYS} days.")
        data["start"], data["end"] = start, end
        return data


class ScheduleForm(forms.Form):
    cadence = forms.ChoiceField(choices=Cadence.choices)
    to = forms.EmailField(label="Send to")
