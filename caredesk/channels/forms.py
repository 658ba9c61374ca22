from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.core.cache import cache
from django.template.loader import render_to_string

from caredesk.channels.accounts import MAIL_INTERVAL_SECONDS
from caredesk.channels.tasks import mail_send_task


class SignupForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField(max_length=254)
    password = forms.CharField(widget=forms.PasswordInput, max_length=128)


class ResendForm(forms.Form):
    email = forms.EmailField(max_length=254)


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form, sending at most one account mail per address per minute, from the
    worker (the page answers at once, the same way for every address, whatever the mail server)."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        if not cache.add(f"caredesk:reset-mail:{to_email}", 1, MAIL_INTERVAL_SECONDS):
            return
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        mail_send_task(subject, render_to_string(email_template_name, context), [to_email])


class NewConversationForm(forms.Form):
    subject = forms.CharField(max_length=400, required=False)
    text = forms.CharField(widget=forms.Textarea, required=False)


class CustomerReplyForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea, required=False)


class RatingForm(forms.Form):
    satisfaction = forms.TypedChoiceField(choices=[(i, i) for i in range(1, 6)], coerce=int)
    effort = forms.TypedChoiceField(choices=[(i, i) for i in range(1, 6)], coerce=int)
    comment = forms.CharField(widget=forms.Textarea, required=False, max_length=2000)
