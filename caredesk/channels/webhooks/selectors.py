"""Reads for webhooks: who listens to a kind, what is due, a subscription's recent deliveries."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet

from caredesk.channels.webhooks.models import (
    DeliveryStatus,
    SubscriptionStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

DELIVERIES_SHOWN = 50


def subscribed_to(kind: str) -> bool:
    """Whether any active subscription wants events of `kind`: one small query per event, so a
    desk without webhooks enqueues nothing for them."""
    rows = WebhookSubscription.objects.filter(status=SubscriptionStatus.ACTIVE)
    return any(kind in (kinds or ()) for kinds in rows.values_list("kinds", flat=True))


def subscriptions_listening(kind: str) -> list[WebhookSubscription]:
    rows = WebhookSubscription.objects.filter(status=SubscriptionStatus.ACTIVE)
    return [s for s in rows if kind in (s.kinds or ())]


def subscription_list() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.select_related("created_by").order_by("pk")


def deliveries_recent(
    subscription: WebhookSubscription, *, limit: int = DELIVERIES_SHOWN, before: int | None = None
) -> list[WebhookDelivery]:
    """Newest first, with each delivery's attempts (two queries, whatever the number)."""
    rows = subscription.deliveries.order_by("-pk")
    if before is not None:
        rows = rows.filter(pk__lt=before)
    attempts = Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("-at", "-pk"))
    return list(rows.prefetch_related(attempts)[:limit])


def deliveries_due(*, now: datetime, limit: int) -> list[int]:
    """Pending deliveries of active subscriptions whose next try is due: the sweep's work."""
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            subscription__status=SubscriptionStatus.ACTIVE,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
