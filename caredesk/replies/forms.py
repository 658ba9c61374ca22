from __future__ import annotations

from django import forms

from caredesk.people.models import Team


class CoachForm(forms.Form):
    text = forms.CharField(required=False, max_length=50_000, strip=False)


class ApplyForm(CoachForm):
    finding = forms.IntegerField(min_value=0)
    rewrite = forms.IntegerField(min_value=0)
    # set: apply every finding at once as one reply (the coach's combined rewrite)
    combined = forms.BooleanField(required=False)


class InsertForm(CoachForm):
    saved_reply = forms.IntegerField(min_value=1)


class SavedReplyForm(forms.Form):
    title = forms.CharField(max_length=120)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=5000)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)

    def __init__(self, *args: object, teams: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if teams is not None:
            self.fields["team"].queryset = teams  # type: ignore[attr-defined]
