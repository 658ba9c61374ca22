from __future__ import annotations

import json
from typing import Any

from django import forms

from caredesk.conversations.models import Severity
from caredesk.people.models import Presence, Team


class PresenceForm(forms.Form):
    presence = forms.ChoiceField(choices=Presence.choices)


class TeamForm(forms.ModelForm):  # type: ignore[type-arg]
    signal_policy = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="JSON: which severity (1 low … 4 urgent) a risk signal raises a conversation to, "
        'e.g. {"churn_intent": 3, "legal_threat": 4}.',
    )

    class Meta:
        model = Team
        fields = ["auto_assign", "update_interval_hours", "signal_policy"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["signal_policy"] = json.dumps(self.instance.signal_policy or {}, indent=2)

    def clean_signal_policy(self) -> dict[str, int]:
        from caredesk.empathy.types import SIGNALS

        raw = (self.cleaned_data.get("signal_policy") or "").strip() or "{}"
        try:
            policy = json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(f"That is not valid JSON: {exc}") from exc
        if not isinstance(policy, dict):
            raise forms.ValidationError('Write an object, like {"churn_intent": 3}.')
        for signal, severity in policy.items():
            if signal not in SIGNALS:
                raise forms.ValidationError(
                    f"Unknown signal {signal!r}; known signals: {', '.join(SIGNALS)}."
                )
            if severity not in Severity.values:
                raise forms.ValidationError(f"{signal}: severity must be 1, 2, 3 or 4.")
        return policy
