"""The channels' models; each channel keeps its own in its package and is listed here for Django."""

from caredesk.channels.api.models import IdempotencyKey
from caredesk.channels.csv_models import ImportedRow
from caredesk.channels.email.models import InboundKind, InboundMail, InboundStatus
from caredesk.channels.webhooks.models import (
    DeliveryStatus,
    SubscriptionStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

__all__ = [
    "DeliveryStatus",
    "IdempotencyKey",
    "ImportedRow",
    "InboundKind",
    "InboundMail",
    "InboundStatus",
    "SubscriptionStatus",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]
