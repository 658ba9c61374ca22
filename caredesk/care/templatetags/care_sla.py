"""The inbox's SLA column: time left on each conversation, for a whole page at once.

Conversations sit below care, so the inbox cannot ask care directly; its template loads this
library instead, which reads the page's clocks in a fixed number of queries (not one per row).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils import timezone

from caredesk.care.selectors import SlaView, sla_views
from caredesk.conversations.models import Conversation

register = template.Library()


@register.simple_tag
def sla_page(rows: Iterable[Any]) -> dict[int, SlaView]:
    """`{% sla_page conversations as sla %}`: rows are conversations or queue entries."""
    conversations = [r if isinstance(r, Conversation) else r.conversation for r in rows]
    return sla_views(conversations, at=timezone.now())


@register.filter
def sla_text(views: dict[int, SlaView], pk: int) -> str:
    """What the inbox says about one row: the target with the least time left, or nothing."""
    found = views.get(pk) if views else None
    return found.text if found else ""
