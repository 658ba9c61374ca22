"""What the conversations routes share: who is asking, what they may see, how answers look."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from caredesk.apikit import user_of
from caredesk.conversations import queue
from caredesk.conversations.api.schemas import ConversationOut
from caredesk.conversations.models import Conversation, Direction, Message
from caredesk.conversations.selectors import conversations_visible_to
from caredesk.people.models import Agent
from caredesk.people.selectors import agent_of


def agent_required(request: HttpRequest) -> Agent:
    agent = agent_of(request.user)
    if agent is None:
        raise PermissionDenied("Only agents may do this.")
    return agent


def visible(request: HttpRequest, pk: int) -> Conversation:
    """A conversation the caller may see, or a 404 that does not tell whether it exists."""
    return get_object_or_404(conversations_visible_to(user_of(request)), pk=pk)


def message_out(m: Message) -> dict[str, Any]:
    return {
        "id": m.pk,
        "direction": m.direction,
        "text": m.text,
        "html": m.html,
        "created_at": m.created_at,
        "author": str(m.author) if m.author else None,
        "reading": m.reading,
        "attachments": [
            {
                "id": a.pk,
                "filename": a.filename,
                "size": a.size,
                "content_type": a.content_type,
                "url": f"/api/attachments/{a.pk}",
            }
            for a in m.attachments.all()
        ],
    }


def detail(request: HttpRequest, conversation: Conversation) -> dict[str, Any]:
    messages = conversation.messages.select_related("author").prefetch_related("attachments")
    if agent_of(request.user) is None:
        messages = messages.exclude(direction=Direction.NOTE)
    position = queue.queue_position(conversation)
    data = ConversationOut.from_orm(conversation).dict()
    data.update(
        messages=[message_out(m) for m in messages],
        queue_position=position,
        wait_estimate=queue.wait_estimate(position).text,
    )
    return data
