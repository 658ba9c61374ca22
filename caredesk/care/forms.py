"""The leads' SLA page as a form: it only translates the page into `sla_settings_save`'s
arguments; the service decides what is valid."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms

from caredesk.care.business_hours import DAYS
from caredesk.care.models import BusinessHours, SlaPolicy, SlaTarget, week_default
from caredesk.people.models import Severity, Team


def _policy_field(target: str, severity: int) -> str:
    return f"{target}_{severity}"


class SlaForm(forms.Form):
    time_zone = forms.CharField(max_length=64)
    holidays = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One date per line, e.g. 2026-12-25.",
    )
    warn_minutes = forms.IntegerField(min_value=1)
    owner_answer_minutes = forms.IntegerField(min_value=1)

    def __init__(
        self,
        *args: Any,
        hours: BusinessHours | None,
        policies: list[SlaPolicy],
        **kwargs: Any,
    ) -> None:
        week = hours.week if hours else week_default()
        initial: dict[str, Any] = {
            "time_zone": hours.time_zone if hours else "UTC",
            "holidays": "\n".join(hours.holidays) if hours else "",
            "warn_minutes": hours.warn_minutes if hours else 30,
            "owner_answer_minutes": hours.owner_answer_minutes if hours else 240,
        }
        for i, day in enumerate(week):
            initial[f"open_{i}"], initial[f"close_{i}"] = day if day else ("", "")
        for p in policies:
            for target in SlaTarget:
                initial[_policy_field(target.value, p.severity)] = p.minutes(target.value)
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.effective = {p.severity: p.effective_from for p in policies}
        for i, day in enumerate(DAYS):
            for edge in ("open", "close"):
                self.fields[f"{edge}_{i}"] = forms.CharField(
                    required=False, max_length=5, label=f"{day} {edge}s"
                )
        for severity in sorted(Severity.values, reverse=True):
            for target in SlaTarget:
                self.fields[_policy_field(target.value, severity)] = forms.IntegerField(
                    required=False, min_value=1, label=f"{Severity(severity).label}: {target.label}"
                )

    def day_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(day, self[f"open_{i}"], self[f"close_{i}"]) for i, day in enumerate(DAYS)]

    def policy_rows(self) -> list[tuple[str, list[forms.BoundField], datetime | None]]:
        """Each severity's label, its three target fields, and since when its targets count."""
        return [
            (
                Severity(severity).label,
                [self[_policy_field(t.value, severity)] for t in SlaTarget],
                self.effective.get(severity),
            )
            for severity in sorted(Severity.values, reverse=True)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for i, day in enumerate(DAYS):
            opens, closes = data.get(f"open_{i}"), data.get(f"close_{i}")
            if bool(opens) != bool(closes):
                self.add_error(f"open_{i}", f"{day}: give both times, or neither when closed.")
        for severity in Severity.values:
            values = [data.get(_policy_field(t.value, severity)) for t in SlaTarget]
            if any(v is not None for v in values) and any(v is None for v in values):
                self.add_error(
                    _policy_field(SlaTarget.FIRST_RESPONSE.value, severity),
                    f"{Severity(severity).label}: give all three targets, or none.",
                )
        return data

    def week(self) -> list[list[str] | None]:
        days: list[list[str] | None] = []
        for i in range(len(DAYS)):
            opens, closes = self.cleaned_data[f"open_{i}"], self.cleaned_data[f"close_{i}"]
            days.append([opens.strip(), closes.strip()] if opens and closes else None)
        return days

    def holiday_list(self) -> list[str]:
        text = self.cleaned_data.get("holidays") or ""
        return [part for part in text.replace(",", "\n").split() if part]

    def policies(self) -> dict[int, tuple[int, int, int] | None]:
        chosen: dict[int, tuple[int, int, int] | None] = {}
        for severity in Severity.values:
            values = [self.cleaned_data.get(_policy_field(t.value, severity)) for t in SlaTarget]
            first, later, resolution = values
            chosen[severity] = (
                None if first is None else (int(first), int(later or 0), int(resolution or 0))
            )
        return chosen


class ReportForm(forms.Form):
    """Which team and which days (inclusive, UTC) the compliance report covers."""

    team = forms.ModelChoiceField(queryset=Team.objects.all(), empty_label=None)
    start = forms.DateField()
    end = forms.DateField()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The period must end on or after its first day.")
        return data
