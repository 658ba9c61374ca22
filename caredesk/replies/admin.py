"""Leads' coach rules and saved replies; leads and admins manage both (`caredesk.admin_site`)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from caredesk.admin_site import LeadsManage
from caredesk.people.models import User
from caredesk.replies.models import CoachRule, SavedReply
from caredesk.replies.services import saved_reply_check, saved_reply_save
from caredesk.text import clean_line, clean_text


class SavedReplyAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """Runs the checks `saved_reply_save` runs, so a refusal shows on the form, not as an error
    page once the admin calls the service."""

    class Meta:
        model = SavedReply
        fields = ["title", "team", "body"]

    def clean_title(self) -> str:
        try:
            return clean_line(self.cleaned_data["title"], field="title", max_chars=120)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc

    def clean_body(self) -> str:
        try:
            body = clean_text(self.cleaned_data["body"], field="body")
            saved_reply_check(body)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        return body


@admin.register(SavedReply)
class SavedReplyAdmin(LeadsManage):
    """Saved through the same service as on the desk, so the coach's findings are kept."""

    form = SavedReplyAdminForm
    list_display = ["title", "team", "updated_at"]
    list_filter = ["team"]
    readonly_fields = ["findings", "created_by"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        author = cast(User, request.user)  # the admin lets in only logged-in users
        if not change:
            obj.created_by = author
        saved_reply_save(title=obj.title, body=obj.body, team=obj.team, author=author, reply=obj)


EXAMPLE_RULE = {
    "category": "jargon",
    "reason": "Internal names mean nothing to the customer.",
    "patterns": ["\\bL3 queue\\b"],
    "rewrites": ["our specialist team"],
    "examples": {
        "fire": ["I sent it to the L3 queue."],
        "quiet": ["I asked our specialist team to look at it."],
    },
}


@admin.register(CoachRule)
class CoachRuleAdmin(LeadsManage):
    """Leads extend the coach here; a rule is saved only if it compiles and passes its examples."""

    list_display = ["rule_id", "enabled", "updated_at"]
    list_filter = ["enabled"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """A new rule starts from a filled-in example to edit, not from an empty "null"."""
        return {"definition": EXAMPLE_RULE, **super().get_changeform_initial_data(request)}
