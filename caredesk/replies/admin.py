from django.contrib import admin

from caredesk.replies.models import CoachRule, SavedReply


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "team", "updated_at"]
    list_filter = ["team"]
    readonly_fields = ["findings"]


@admin.register(CoachRule)
class CoachRuleAdmin(admin.ModelAdmin):
    """Leads extend the coach here; a rule is saved only if it compiles and passes its examples."""

    list_display = ["rule_id", "enabled", "updated_at"]
    list_filter = ["enabled"]
