"""Subscriptions are made through the real service, so tests see what a lead would make."""

from __future__ import annotations

from caredesk.channels.webhooks import services
from caredesk.channels.webhooks.models import WebhookSubscription
from caredesk.people.models import User


def make_subscription(
    *, url: str, kinds: list[str] | None = None, actor: User | None = None
) -> WebhookSubscription:
    return services.subscription_create(
        actor=actor, url=url, kinds=kinds or ["created"], description="Our CRM"
    )
