from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.core.cache import cache

from caredesk.channels.accounts import MAIL_INTERVAL_SECONDS


class SignupForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField(max_length=254)
    password = forms.CharField(widget=forms.PasswordInput, max_length=128)


class ResendForm(forms.Form):
    email = forms.EmailField(max_length=254)


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form, sending at most one account mail per address per minute."""

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        to_email = kwargs.get("to_email", args[4] if len(args) > 4 else "")
        if cache.add(f"caredesk:reset-mail:{to_email}", 1, MAIL_INTERVAL_SECONDS):
            super().send_mail(*args, **kwargs)


class NewConversationForm(forms.Form):
    subject = forms.CharField(max_length=400, required=False)
    text = forms.CharField(widget=forms.Textarea, required=False)


class CustomerReplyForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea, required=False)


class RatingForm(forms.Form):
    satisfaction = forms.TypedChoiceField(choices=[(i, i) for i in range(1, 6)], coerce=int)
    effort = forms.TypedChoiceField(choices=[(i, i) for i in range(1, 6)], coerce=int)
    comment = forms.CharField(widget=forms.Textarea, required=False, max_length=2000)
