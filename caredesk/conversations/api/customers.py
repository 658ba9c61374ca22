"""Merging customers over the API: a customers' route that lives here because the merge records
an event on every conversation (conversations sit above customers)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router

from caredesk.apikit import MAX_ID, Id, In, responses
from caredesk.conversations.customer_merge import customer_merge
from caredesk.customers.api import CustomerOut
from caredesk.customers.models import Customer
from caredesk.people.selectors import agent_of, may_merge_customers

router = Router(tags=["customers"])


class CustomerMergeIn(In):
    into_id: int = Field(ge=1, le=MAX_ID, description="The customer who remains.")


@router.post(
    "/customers/{customer_id}/merge",
    response=responses({200: CustomerOut}, 400, 403, 404, 409, 422),
)
def customer_merge_route(request: HttpRequest, customer_id: Id, payload: CustomerMergeIn) -> Any:
    """Fold this customer into `into_id` (leads): every conversation and identity moves."""
    agent = agent_of(request.user)
    if agent is None or not may_merge_customers(agent):
        raise PermissionDenied("Only lead agents and admins merge customers.")
    source = get_object_or_404(Customer, pk=customer_id)
    target = get_object_or_404(Customer, pk=payload.into_id)
    merged = customer_merge(source=source, target=target, actor=agent)
    return Customer.objects.prefetch_related("identities").get(pk=merged.pk)
