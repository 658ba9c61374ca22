"""Customers, their identities and organisations over the API (agents only, as on the desk)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, P, QueryEx, Router, Schema
from ninja import Status as Answer

from caredesk.apikit import MAX_ID, Cursor, Id, In, Limit, keyset_page, responses, utc
from caredesk.customers import services
from caredesk.customers.models import Customer, IdentityKind, Organisation
from caredesk.people.selectors import agent_of, customer_filter

router = Router(tags=["customers"])
MAX_WORDS = 5  # `q` words; each is one more join, so a long query stays cheap


class IdentityOut(Schema):
    id: int
    kind: str
    value: str
    verified: bool


class CustomerOut(Schema):
    id: int
    name: str
    locale: str
    organisation_id: int | None
    created_at: datetime
    identities: list[IdentityOut]


class CustomerIn(In):
    name: str = Field(max_length=200)
    email: str = Field("", max_length=254)
    organisation_id: int | None = Field(None, ge=1, le=MAX_ID)
    locale: str = Field("en", max_length=16)


class CustomerPatch(In):
    name: str | None = Field(None, max_length=200)
    organisation_id: int | None = Field(None, ge=1, le=MAX_ID)
    clear_organisation: bool = False
    locale: str | None = Field(None, max_length=16)


class IdentityIn(In):
    kind: IdentityKind
    value: str = Field(max_length=254)


class OrganisationOut(Schema):
    id: int
    name: str
    plan: str


class OrganisationIn(In):
    name: str = Field(max_length=200)
    plan: str = Field("", max_length=50)


def _visible(request: HttpRequest) -> QuerySet[Customer]:
    if agent_of(request.user) is None:
        raise PermissionDenied("Only agents may look up customers.")
    return Customer.objects.filter(customer_filter(request.user)).distinct()


def _customer(request: HttpRequest, customer_id: int) -> Customer:
    return get_object_or_404(_visible(request).prefetch_related("identities"), pk=customer_id)


@router.get("/customers", response=responses({200: list[CustomerOut]}, 400, 403, 422))
def customer_list(
    request: HttpRequest,
    response: HttpResponse,
    limit: Limit = 50,
    cursor: Cursor = None,
    q: QueryEx[str, P(max_length=200)] = "",
    organisation: QueryEx[int | None, P(ge=1, le=MAX_ID)] = None,
    updated_since: datetime | None = None,
) -> Any:
    """Customers of the conversations you may see, oldest first. `q` finds words in the name,
    the e-mail addresses and the organisation's name; `updated_since` keeps the customers added,
    or with conversation activity, at or after that time (customers keep no change time of their
    own). More pages: follow the `Link: rel="next"` header, which keeps the filters."""
    qs = _visible(request)
    if organisation is not None:
        qs = qs.filter(organisation_id=organisation)
    since = utc(updated_since, field="updated_since")
    if since is not None:
        qs = qs.filter(Q(created_at__gte=since) | Q(conversations__last_message_at__gte=since))
    for word in q.split()[:MAX_WORDS]:
        qs = qs.filter(
            Q(name__icontains=word)
            | Q(identities__kind=IdentityKind.EMAIL, identities__value__icontains=word)
            | Q(organisation__name__icontains=word)
        )
    qs = qs.prefetch_related("identities")
    return keyset_page(qs, request=request, response=response, limit=limit, cursor=cursor)


@router.post("/customers", response=responses({201: CustomerOut}, 400, 403, 409, 422))
def customer_create(request: HttpRequest, payload: CustomerIn) -> Any:
    _visible(request)
    customer = services.customer_create(**payload.dict())
    return Answer(201, customer)


@router.get("/customers/{customer_id}", response=responses({200: CustomerOut}, 403, 404, 422))
def customer_get(request: HttpRequest, customer_id: Id) -> Any:
    return _customer(request, customer_id)


@router.patch(
    "/customers/{customer_id}", response=responses({200: CustomerOut}, 400, 403, 404, 422)
)
def customer_update(request: HttpRequest, customer_id: Id, payload: CustomerPatch) -> Any:
    customer = _customer(request, customer_id)
    return services.customer_update(customer=customer, **payload.dict())


@router.post(
    "/customers/{customer_id}/identities",
    response=responses({201: IdentityOut}, 400, 403, 404, 409, 422),
)
def identity_add(request: HttpRequest, customer_id: Id, payload: IdentityIn) -> Any:
    customer = _customer(request, customer_id)
    identity = services.identity_add(customer=customer, kind=payload.kind, value=payload.value)
    return Answer(201, identity)


@router.get("/organisations", response=responses({200: list[OrganisationOut]}, 400, 403, 422))
def organisation_list(
    request: HttpRequest, response: HttpResponse, limit: Limit = 50, cursor: Cursor = None
) -> Any:
    _visible(request)
    qs = Organisation.objects.all()
    return keyset_page(qs, request=request, response=response, limit=limit, cursor=cursor)


@router.post("/organisations", response=responses({201: OrganisationOut}, 400, 403, 409, 422))
def organisation_create(request: HttpRequest, payload: OrganisationIn) -> Any:
    _visible(request)
    return Answer(201, services.organisation_create(name=payload.name, plan=payload.plan))
