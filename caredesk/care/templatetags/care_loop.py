"""`{% whose_move conversation %}`: the portal's line saying whose move it is, and when the
customer hears from us next (a tag, so the portal needs no import of care)."""

from __future__ import annotations

from typing import Any

from django import template

from caredesk.care import updates
from caredesk.conversations.models import DONE_STATUSES, Conversation, Status

register = template.Library()


@register.inclusion_tag("care/_whose_move.html")
def whose_move(conversation: Conversation) -> dict[str, Any]:
    if conversation.status in DONE_STATUSES:
        move = "done"
    elif conversation.status == Status.WAITING_ON_CUSTOMER:
        move = "you"
    else:
        move = "us"
    return {"move": move, "next_update_at": updates.next_update_at(conversation)}
