"""Webhook subscriptions, one delivery per (subscription, event), and the log of every attempt."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from caredesk.conversations.models import Event


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"


class WebhookSubscription(models.Model):
    """A URL that receives the events of the kinds it names, signed with its own secret."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Event kinds (`conversations.models.EventKind` values); never empty.
    kinds = models.JSONField(default=list)
    # Needed in clear to sign each delivery; shown to leads only.
    secret = models.CharField(max_length=100)
    status = models.CharField(
        max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE
    )
    paused_reason = models.CharField(max_length=300, blank=True)
    # Deliveries in a row that failed after every retry; a success sets it back to 0.
    failures_in_a_row = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=SubscriptionStatus.values),
                name="webhook_subscription_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"Webhook #{self.pk} → {self.url}"

    def get_absolute_url(self) -> str:
        return reverse("webhooks:detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status == SubscriptionStatus.ACTIVE


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its first try or its next retry
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed after every retry"


class WebhookDelivery(models.Model):
    """One event for one subscription. The body is built once, so every retry and every replay
    sends the same bytes (a receiver can de-duplicate on the event id)."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="webhook_deliveries")
    kind = models.CharField(max_length=20)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    # Attempts in the current series (a replay starts a new series); the log keeps them all.
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a worker may try it next; a worker claims it by moving this forward (compare-and-set).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # Who last sent it again by hand; the attempts since then are marked as a replay.
    replayed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="webhook_delivery_once_per_event"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values),
                name="webhook_delivery_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["subscription", "created_at"], name="webhook_delivery_sub"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.event_id} → webhook #{self.subscription_id}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: what the receiver answered, how fast, or what went wrong."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=300, blank=True)
    replay = models.BooleanField(default=False, help_text="Sent again by a lead.")

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["delivery", "at"], name="webhook_attempt_delivery")]

    def __str__(self) -> str:
        return f"attempt of delivery {self.delivery_id}: {self.status_code or self.error}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
