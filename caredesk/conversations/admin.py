"""Conversations and their history, read-only: the desk's services change them, with an event."""

from django.contrib import admin

from caredesk.admin_site import ReadOnly
from caredesk.conversations.models import Conversation, Event, Message, Rating


@admin.register(Conversation)
class ConversationAdmin(ReadOnly):
    list_display = ["pk", "subject", "status", "severity", "team", "owner", "created_at"]
    list_filter = ["status", "severity", "team", "channel"]
    search_fields = ["subject"]
    raw_id_fields = ["customer", "owner", "merged_into"]


@admin.register(Event)
class EventAdmin(ReadOnly):
    """Events are an append-only history."""

    list_display = ["conversation", "kind", "actor", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["conversation", "actor"]


@admin.register(Message)
class MessageAdmin(ReadOnly):
    list_display = ["conversation", "direction", "author", "created_at"]
    raw_id_fields = ["conversation", "author"]


@admin.register(Rating)
class RatingAdmin(ReadOnly):
    list_display = ["conversation", "satisfaction", "effort", "created_at"]
    raw_id_fields = ["conversation"]
