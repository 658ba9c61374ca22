from __future__ import annotations

from typing import Any

from django import forms

from caredesk.knowledge.models import ArticleStatus
from caredesk.people.models import Team


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 16}), max_length=100_000)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    status = forms.ChoiceField(choices=ArticleStatus.choices)

    def __init__(self, *args: Any, teams: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if teams is not None:
            self.fields["team"].queryset = teams  # type: ignore[attr-defined]


class SolvedForm(forms.Form):
    """The "This solved it" button, sent with what the customer had typed in the portal's form."""

    article = forms.IntegerField(min_value=1)
    subject = forms.CharField(required=False, max_length=400)
    text = forms.CharField(required=False, max_length=50_000, strip=False)


class LinkInsertForm(forms.Form):
    text = forms.CharField(required=False, max_length=50_000, strip=False)
    article = forms.IntegerField(min_value=1)
