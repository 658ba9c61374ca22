"""The channels' models; each channel keeps its own in its package and is listed here for Django."""

from caredesk.channels.api.models import IdempotencyKey
from caredesk.channels.csv_models import CsvImport, ImportedRow, ImportState
from caredesk.channels.email.models import (
    InboundKind,
    InboundMail,
    InboundStatus,
    NotificationKind,
    OutboundNotification,
)
from caredesk.channels.webhooks.models import (
    DeliveryStatus,
    SubscriptionStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

__all__ = [
    "CsvImport",
    "DeliveryStatus",
    "IdempotencyKey",
    "ImportState",
    "ImportedRow",
    "InboundKind",
    "InboundMail",
    "InboundStatus",
    "NotificationKind",
    "OutboundNotification",
    "SubscriptionStatus",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]
