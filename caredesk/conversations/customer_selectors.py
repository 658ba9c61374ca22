"""Reads for merging customers at the desk: finding the other customer, and where a merged one
went. The merged record is deleted (`customers.services.customer_merge`), so its only trace is
the CUSTOMER_MERGED event on the conversations that moved; its old address follows that."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Q

from caredesk.conversations.models import Conversation, Event, EventKind
from caredesk.customers.models import Customer, Identity
from caredesk.customers.selectors import customer_identities

CANDIDATES_SHOWN = 20
MERGE_HOPS = 10  # A merged into B merged into C…: more hops than this is a loop or a bad record


@dataclass(frozen=True)
class MergeSide:
    """One customer as the confirmation page compares them."""

    customer: Customer
    identities: list[Identity]
    conversations: int
    first_contact: datetime | None


def customer_merge_candidates(*, customer: Customer, query: str) -> list[Customer]:
    """Customers other than `customer` whose name or any identity (e-mail, external id, phone)
    contains `query`; bounded, so a one-letter query cannot list the whole desk."""
    query = query.strip()
    if not query:
        return []
    matches = Q(name__icontains=query) | Q(identities__value__icontains=query)
    ids = (
        Customer.objects.filter(matches)
        .exclude(pk=customer.pk)
        .values_list("pk", flat=True)
        .distinct()
        .order_by("name", "pk")[:CANDIDATES_SHOWN]
    )
    found = Customer.objects.filter(pk__in=list(ids)).select_related("organisation")
    return list(found.prefetch_related("identities").order_by("name", "pk"))


def customer_merge_side(customer: Customer) -> MergeSide:
    """Who the customer is and how much history they bring, in two queries."""
    totals = Conversation.objects.filter(customer=customer).aggregate(
        n=Count("pk"), first=Min("created_at")
    )
    return MergeSide(customer, customer_identities(customer), totals["n"], totals["first"])


def customer_merged_into(pk: int) -> int | None:
    """The customer a deleted customer `pk` now lives on (following later merges), or None when
    no merge of `pk` was recorded (it never existed, or it had no conversation to record on)."""
    seen = {pk}
    for _ in range(MERGE_HOPS):
        event = (
            Event.objects.filter(kind=EventKind.CUSTOMER_MERGED, data__merged_from=pk)
            .order_by("-pk")
            .first()
        )
        into = event.data.get("into") if event is not None else None
        if not isinstance(into, int) or into in seen:
            return None
        if Customer.objects.filter(pk=into).exists():
            return into
        pk = into
        seen.add(into)
    return None
