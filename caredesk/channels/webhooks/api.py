"""Webhooks in the API, for leads: subscriptions, their deliveries, and replaying one.

Mounted by the API assembly (`channels/api/`); errors answer in the one JSON error shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja import Status as Answer

from caredesk.apikit import Cursor, Id, In, Limit, keyset_page, responses
from caredesk.channels.webhooks import services
from caredesk.channels.webhooks.models import (
    SubscriptionStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from caredesk.channels.webhooks.payload import SCHEMA_VERSION
from caredesk.channels.webhooks.tasks import delivery_send_task
from caredesk.people.selectors import agent_of

router = Router(tags=["webhooks"])


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    kinds: list[str]
    status: str
    paused_reason: str
    failures_in_a_row: int
    secret: str = Field(description="Verify each delivery's Caredesk-Signature with it.")
    schema_version: int = Field(description="The version of the payloads it receives.")
    created_at: datetime


class WebhookIn(In):
    url: str = Field(max_length=500)
    kinds: list[str] = Field(max_length=50, description="Event kinds, e.g. created, replied.")
    description: str = Field("", max_length=200)


class WebhookPatch(In):
    url: str | None = Field(None, max_length=500)
    kinds: list[str] | None = Field(None, max_length=50)
    description: str | None = Field(None, max_length=200)
    status: Literal["active", "paused"] | None = None


class AttemptOut(Schema):
    at: datetime
    status_code: int | None
    latency_ms: int
    error: str
    replay: bool


class DeliveryOut(Schema):
    id: int
    webhook_id: int
    event_id: int
    kind: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptOut]


def _lead_required(request: HttpRequest) -> None:
    agent = agent_of(request.user)
    if agent is None or not agent.sees_everything:
        raise PermissionDenied("Only leads and admins manage webhooks.")


def _webhook_out(s: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": s.pk,
        "url": s.url,
        "description": s.description,
        "kinds": s.kinds,
        "status": s.status,
        "paused_reason": s.paused_reason,
        "failures_in_a_row": s.failures_in_a_row,
        "secret": s.secret,
        "schema_version": SCHEMA_VERSION,
        "created_at": s.created_at,
    }


def _delivery_out(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.pk,
        "webhook_id": d.subscription_id,
        "event_id": d.event_id,
        "kind": d.kind,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "created_at": d.created_at,
        "delivered_at": d.delivered_at,
        "attempt_log": [
            {
                "at": a.at,
                "status_code": a.status_code,
                "latency_ms": a.latency_ms,
                "error": a.error,
                "replay": a.replay,
            }
            for a in d.attempt_log.all()
        ],
    }


@router.get("/webhooks", response=responses({200: list[WebhookOut]}, 400, 403, 422))
def webhook_list(
    request: HttpRequest, response: HttpResponse, limit: Limit = 50, cursor: Cursor = None
) -> Any:
    _lead_required(request)
    qs = WebhookSubscription.objects.all()
    page = keyset_page(qs, request=request, response=response, limit=limit, cursor=cursor)
    return [_webhook_out(s) for s in page]


@router.post("/webhooks", response=responses({201: WebhookOut}, 400, 403, 413, 422))
def webhook_create(request: HttpRequest, payload: WebhookIn) -> Any:
    """Subscribe a URL to kinds of conversation events (see docs/webhooks.md)."""
    _lead_required(request)
    subscription = services.subscription_create(
        actor=request.user,  # type: ignore[arg-type]
        url=payload.url,
        kinds=payload.kinds,
        description=payload.description,
    )
    return Answer(201, _webhook_out(subscription))


@router.get("/webhooks/{pk}", response=responses({200: WebhookOut}, 403, 404, 422))
def webhook_get(request: HttpRequest, pk: Id) -> Any:
    _lead_required(request)
    return _webhook_out(get_object_or_404(WebhookSubscription, pk=pk))


@router.patch("/webhooks/{pk}", response=responses({200: WebhookOut}, 400, 403, 404, 413, 422))
def webhook_update(request: HttpRequest, pk: Id, payload: WebhookPatch) -> Any:
    """Change what it receives, or pause and resume it (resuming sends what waited)."""
    _lead_required(request)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    services.subscription_update(
        subscription=subscription,
        url=payload.url,
        kinds=payload.kinds,
        description=payload.description,
    )
    if payload.status == SubscriptionStatus.PAUSED and subscription.is_active:
        services.subscription_pause(subscription=subscription, reason=f"Paused by {request.user}.")
    elif payload.status == SubscriptionStatus.ACTIVE and not subscription.is_active:
        for delivery in services.subscription_resume(subscription=subscription):
            delivery_send_task(delivery)
    return _webhook_out(subscription)


@router.delete("/webhooks/{pk}", response=responses({204: None}, 403, 404, 422))
def webhook_delete(request: HttpRequest, pk: Id) -> Any:
    _lead_required(request)
    services.subscription_delete(subscription=get_object_or_404(WebhookSubscription, pk=pk))
    return Answer(204, None)


@router.get(
    "/webhooks/{pk}/deliveries", response=responses({200: list[DeliveryOut]}, 400, 403, 404, 422)
)
def webhook_deliveries(
    request: HttpRequest, response: HttpResponse, pk: Id, limit: Limit = 50, cursor: Cursor = None
) -> Any:
    """Its deliveries, newest first, each with the log of its attempts."""
    _lead_required(request)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    qs = subscription.deliveries.prefetch_related("attempt_log")
    page = keyset_page(
        qs, request=request, response=response, limit=limit, cursor=cursor, key="-pk"
    )
    return [_delivery_out(d) for d in page]


@router.post(
    "/webhook-deliveries/{pk}/replay", response=responses({202: DeliveryOut}, 400, 403, 404, 422)
)
def webhook_delivery_replay(request: HttpRequest, pk: Id) -> Any:
    """Send a delivery again: the same body, a fresh signature, a new series of retries."""
    _lead_required(request)
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("subscription"), pk=pk)
    services.delivery_replay(delivery=delivery, actor=request.user)  # type: ignore[arg-type]
    delivery_send_task(delivery.pk)
    delivery.refresh_from_db()
    return Answer(202, _delivery_out(delivery))
