"""Form parsing for the desk; the rules themselves live in services."""

from __future__ import annotations

from django import forms

from caredesk.conversations.models import Severity
from caredesk.people.models import Agent, Team


class ReplyForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea, required=False)
    resolve = forms.BooleanField(required=False)
    # Collision detection: the latest message the agent's page showed, and their word that they
    # have looked at what came after it.
    last_seen = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    send_anyway = forms.BooleanField(required=False)
    # The coach's rule ids shown while the draft was written (the reply box carries them), so a
    # finding gone by sending time is recorded as accepted (replies.services.coach_outcomes_record).
    coach_shown = forms.CharField(required=False, max_length=6000, widget=forms.HiddenInput)


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea, required=False)


class TransferForm(forms.Form):
    to_agent = forms.ModelChoiceField(queryset=Agent.objects.select_related("user"), required=False)
    to_team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False)
    note = forms.CharField(widget=forms.Textarea, required=False)


class SeverityForm(forms.Form):
    severity = forms.TypedChoiceField(choices=Severity.choices, coerce=int)
    reason = forms.CharField(required=False, max_length=500)


class MergeForm(forms.Form):
    target = forms.IntegerField(min_value=1)
