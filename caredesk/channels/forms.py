from __future__ import annotations

from django import forms


class SignupForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField(max_length=254)
    password = forms.CharField(widget=forms.PasswordInput, max_length=128)


class NewConversationForm(forms.Form):
    subject = forms.CharField(max_length=400, required=False)
    text = forms.CharField(widget=forms.Textarea, required=False)


class CustomerReplyForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea, required=False)


class RatingForm(forms.Form):
    satisfaction = forms.TypedChoiceField(choices=[(i, i) for i in range(1, 6)], coerce=int)
    effort = forms.TypedChoiceField(choices=[(i, i) for i in range(1, 6)], coerce=int)
    comment = forms.CharField(widget=forms.Textarea, required=False, max_length=2000)
