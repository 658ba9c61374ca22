"""The one way a service takes hold of a conversation before changing it."""

from __future__ import annotations

from caredesk.conversations.models import Conversation


def locked(conversation: Conversation) -> Conversation:
    """The conversation, locked for this transaction, with what the lifecycle reads."""
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("owner", "team")
        .get(pk=conversation.pk)
    )
