"""Writes to conversations: every change goes through one of these and leaves an event.

The services live by what they change — `messages` (opening, writing, replying, notes, the
desk's own messages), `ownership` (assigning, transferring), `status` (severity, resolving,
closing, reopening, merging, rating), `tags` — and are all importable from here, the one name
callers use: `services.reply_send(...)`. Each locks the conversation (`locking.locked`), asks
the lifecycle what the step changes, and saves that plan.
"""

from __future__ import annotations

from caredesk.conversations.services.messages import (
    care_message_send,
    conversation_create,
    customer_message_add,
    note_add,
    reply_send,
)
from caredesk.conversations.services.ownership import (
    agent_teams_by_name,
    conversation_assign,
    conversation_transfer,
)
from caredesk.conversations.services.status import (
    CLOSE_AFTER_DAYS,
    conversation_close,
    conversation_merge,
    conversation_reopen,
    conversation_resolve,
    conversations_close_resolved,
    rating_submit,
    severity_change,
)
from caredesk.conversations.services.tags import TAG_NAME, conversation_tag, tag_names

__all__ = [
    "CLOSE_AFTER_DAYS",
    "TAG_NAME",
    "agent_teams_by_name",
    "care_message_send",
    "conversation_assign",
    "conversation_close",
    "conversation_create",
    "conversation_merge",
    "conversation_reopen",
    "conversation_resolve",
    "conversation_tag",
    "conversation_transfer",
    "conversations_close_resolved",
    "customer_message_add",
    "note_add",
    "rating_submit",
    "reply_send",
    "severity_change",
    "tag_names",
]
