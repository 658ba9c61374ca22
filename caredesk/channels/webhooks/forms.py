from __future__ import annotations

from django import forms

from caredesk.conversations.models import EventKind


class SubscriptionForm(forms.Form):
    url = forms.CharField(max_length=500, label="URL that receives the events")
    description = forms.CharField(max_length=200, required=False, label="What it is for")
    kinds = forms.MultipleChoiceField(
        choices=EventKind.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Events to send",
        error_messages={"required": "Choose at least one kind of event."},
    )
