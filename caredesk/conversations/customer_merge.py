"""Merging two customers, as the conversations see it: every conversation keeps its history and
gets an event saying whose it now is. The customers' part is `customers.services.customer_merge`;
this module sits in conversations because recording a conversation's event belongs here."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from caredesk.conversations.events import event_record
from caredesk.conversations.models import Conversation, EventKind
from caredesk.customers import services as customer_services
from caredesk.customers.models import Customer
from caredesk.people.models import Agent
from caredesk.people.selectors import may_merge_customers


@transaction.atomic
def customer_merge(
    *, source: Customer, target: Customer, actor: Agent, at: datetime | None = None
) -> Customer:
    """Fold `source` into `target` (a lead's decision); an event on each of both customers'
    conversations records it, with the two ids, so the timeline explains the change."""
    if not may_merge_customers(actor):
        raise PermissionDenied("Only leads and admins merge customers.")
    source_pk, source_name = source.pk, source.name
    merged = customer_services.customer_merge(source=source, target=target)
    now = at or timezone.now()
    for conversation in Conversation.objects.filter(customer=merged).order_by("pk"):
        event_record(
            conversation=conversation,
            kind=EventKind.CUSTOMER_MERGED,
            actor=actor.user,
            at=now,
            merged_from=source_pk,
            merged_from_name=source_name,
            into=merged.pk,
        )
    return merged
