"""Tags: names as typed, put on and taken off with one event."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from caredesk.conversations import lifecycle
from caredesk.conversations.events import plan_record
from caredesk.conversations.models import Conversation, Tag
from caredesk.conversations.services.locking import locked
from caredesk.people.models import User

TAG_NAME = re.compile(r"^[^\W_][\w\- ]{0,39}$")


def tag_names(text: str) -> list[str]:
    """Tags as typed ("Refund, outage"): lower-cased, trimmed, without repeats; a clear error for
    a name that is too long or made of punctuation."""
    names: dict[str, None] = {}
    for raw in text.split(","):
        name = " ".join(raw.split()).lower()
        if not name:
            continue
        if not TAG_NAME.match(name):
            raise ValidationError(
                {
                    "tags": f"“{name[:50]}” is not a tag: letters, digits, spaces and dashes, "
                    "at most 40."
                }
            )
        names.setdefault(name, None)
    return list(names)


@transaction.atomic
def conversation_tag(
    *,
    conversation: Conversation,
    actor: User | None,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    at: datetime | None = None,
) -> None:
    """Put tags on a conversation and take others off; one TAGGED event says what changed."""
    conversation = locked(conversation)
    current = set(conversation.tags.values_list("name", flat=True))
    added = [n for n in dict.fromkeys(add) if n not in current]
    removed = [n for n in dict.fromkeys(remove) if n in current and n not in added]
    plan = lifecycle.tagged(
        conversation, actor=actor, added=added, removed=removed, at=at or timezone.now()
    )
    if added:
        conversation.tags.add(*(Tag.objects.get_or_create(name=n)[0] for n in added))
    if removed:
        conversation.tags.remove(*Tag.objects.filter(name__in=removed))
    plan_record(plan)
