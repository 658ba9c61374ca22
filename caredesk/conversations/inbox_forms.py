"""The inbox's filter bar and bulk-action bar: parse and validate, nothing more."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from caredesk.conversations.inbox import (
    BULK_ACTIONS,
    SORTS,
    UNOWNED,
    VIEW_ORDER,
    WAITING,
    InboxFilters,
)
from caredesk.conversations.models import Channel, Severity, Status
from caredesk.conversations.services import tag_names
from caredesk.empathy.types import EMOTIONS, SIGNALS
from caredesk.people.models import Agent, Team

ANY = [("", "Any")]


def _words(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v.replace("_", " ").capitalize()) for v in values]


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(choices=ANY + list(Status.choices), required=False)
    severity = forms.TypedChoiceField(
        choices=ANY + list(Severity.choices), coerce=int, empty_value=None, required=False
    )
    team = forms.TypedChoiceField(choices=ANY, coerce=int, empty_value=None, required=False)
    owner = forms.ChoiceField(choices=ANY, required=False)
    channel = forms.ChoiceField(choices=ANY + list(Channel.choices), required=False)
    emotion = forms.ChoiceField(choices=ANY + _words(EMOTIONS), required=False)
    signal = forms.ChoiceField(choices=ANY + _words(SIGNALS), required=False)
    tag = forms.CharField(required=False, max_length=40)
    waiting = forms.ChoiceField(
        choices=ANY + [(k, f"Longer than {k}") for k in WAITING], required=False
    )
    sort = forms.ChoiceField(
        choices=[("", "The view's order")] + [(k, v[0]) for k, v in SORTS.items()],
        required=False,
    )

    def __init__(self, data: object = None, *, like: InboxFilterForm | None = None) -> None:
        """`like`: another filter form whose team and owner choices this one reuses (the saved
        views' forms on one page read the teams and agents once)."""
        super().__init__(data)  # type: ignore[arg-type]
        team, owner = self.fields["team"], self.fields["owner"]
        if like is not None:
            team.choices = like.fields["team"].choices  # type: ignore[attr-defined]
            owner.choices = like.fields["owner"].choices  # type: ignore[attr-defined]
            return
        teams = Team.objects.order_by("name", "pk")
        team.choices = [*ANY, *((t.pk, t.name) for t in teams)]  # type: ignore[attr-defined]
        agents = Agent.objects.select_related("user").order_by("user__first_name", "pk")
        owner.choices = [  # type: ignore[attr-defined]
            *ANY,
            (UNOWNED, "No one"),
            *((str(a.pk), str(a)) for a in agents),
        ]

    def filters(self) -> InboxFilters:
        """The valid filters; a bad value is left out (the form shows its error)."""
        data = self.cleaned_data if self.is_bound else {}
        return InboxFilters(
            status=data.get("status", ""),
            severity=data.get("severity"),
            team=data.get("team"),
            owner=data.get("owner", ""),
            channel=data.get("channel", ""),
            emotion=data.get("emotion", ""),
            signal=data.get("signal", ""),
            tag=(data.get("tag") or "").strip().lower(),
            waiting=data.get("waiting", ""),
            sort=data.get("sort", ""),
        )


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=list(BULK_ACTIONS.items()))
    agent = forms.ModelChoiceField(queryset=Agent.objects.select_related("user"), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False)
    note = forms.CharField(required=False, widget=forms.Textarea)
    severity = forms.TypedChoiceField(
        choices=ANY + list(Severity.choices), coerce=int, empty_value=None, required=False
    )
    tags = forms.CharField(required=False, max_length=400)
    next = forms.CharField(required=False, max_length=2000)

    def clean_tags(self) -> tuple[str, ...]:
        try:
            return tuple(tag_names(self.cleaned_data.get("tags", "")))
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def ids(self) -> list[int]:
        """The ticked conversations (checkboxes named `ids`); a value that is not an id is
        dropped, never an error page."""
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        return [int(v) for v in raw if v.isascii() and v.isdigit() and len(v) < 12]


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=60)
    view = forms.ChoiceField(choices=[(v, v) for v in ("queue", *VIEW_ORDER)])
    query = forms.CharField(required=False, max_length=2000)
    next = forms.CharField(required=False, max_length=2000)
