from django.contrib import admin

from caredesk.conversations.models import Conversation, Event, Message, Rating


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["pk", "subject", "status", "severity", "team", "owner", "created_at"]
    list_filter = ["status", "severity", "team", "channel"]
    search_fields = ["subject"]
    raw_id_fields = ["customer", "owner", "merged_into"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["conversation", "kind", "actor", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["conversation", "actor"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # events are an append-only history


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["conversation", "direction", "author", "created_at"]
    raw_id_fields = ["conversation", "author"]


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["conversation", "satisfaction", "effort", "created_at"]
    raw_id_fields = ["conversation"]
