"""What the service tests share."""

from __future__ import annotations

from caredesk.conversations.models import Conversation


def kinds(conversation: Conversation) -> list[str]:
    """The kinds of a conversation's events, in the order they were recorded."""
    return list(conversation.events.values_list("kind", flat=True))
