from __future__ import annotations

from typing import Any

from django import forms

from caredesk.empathy.types import SIGNALS
from caredesk.people.models import DEFAULT_SIGNAL_POLICY, Agent, Presence, Severity, Team


class PresenceForm(forms.Form):
    presence = forms.ChoiceField(choices=Presence.choices)


def _risk_field_name(signal: str) -> str:
    return f"risk_{signal}"


class MemberChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_role_display().lower()})"


class TeamForm(forms.Form):
    """How a team works, as a lead sees it: one choice per risk signal instead of raw JSON.

    It only translates the page into the arguments of `team_update` and `team_members_set`;
    those services decide what is valid.
    """

    auto_assign = forms.BooleanField(required=False)
    update_interval_hours = forms.IntegerField(widget=forms.NumberInput(attrs={"min": 1}))
    members = MemberChoiceField(
        queryset=Agent.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "auto_assign": team.auto_assign,
                "update_interval_hours": team.update_interval_hours,
                "members": [a.pk for a in team.agents.all()],
                **{_risk_field_name(s): v for s, v in (team.signal_policy or {}).items()},
            },
        )
        super().__init__(*args, **kwargs)
        members = self.fields["members"]
        assert isinstance(members, MemberChoiceField)
        members.queryset = Agent.objects.filter(user__is_active=True).select_related("user")
        for signal in SIGNALS:
            default = DEFAULT_SIGNAL_POLICY.get(signal)
            keep = f"default: {Severity(default).label.lower()}" if default else "never raises"
            self.fields[_risk_field_name(signal)] = forms.TypedChoiceField(
                label=signal.replace("_", " ").capitalize(),
                choices=[("", f"No change ({keep})"), *Severity.choices],
                coerce=int,
                empty_value=None,
                required=False,
            )

    def risk_fields(self) -> list[forms.BoundField]:
        return [self[_risk_field_name(s)] for s in SIGNALS]

    def signal_policy(self) -> dict[str, int]:
        """The signals the lead set; "no change" leaves a signal to the desk's default."""
        chosen = {s: self.cleaned_data.get(_risk_field_name(s)) for s in SIGNALS}
        return {s: severity for s, severity in chosen.items() if severity is not None}
