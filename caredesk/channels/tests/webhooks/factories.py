"""Subscriptions are made through the real service, so tests see what a lead would make; the
factories make rows for tests of the delivery log (a factory's subscription skips the URL check,
so it may point at a receiver on 127.0.0.1)."""

from __future__ import annotations

import factory
from django.utils import timezone

from caredesk.channels.webhooks import services
from caredesk.channels.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from caredesk.conversations.tests.factories import EventFactory
from caredesk.people.models import User


def make_subscription(
    *, url: str, kinds: list[str] | None = None, actor: User | None = None
) -> WebhookSubscription:
    return services.subscription_create(
        actor=actor, url=url, kinds=kinds or ["created"], description="Our CRM"
    )


class WebhookSubscriptionFactory(factory.django.DjangoModelFactory[WebhookSubscription]):
    class Meta:
        model = WebhookSubscription

    url = "http://127.0.0.1:9/hook"
    kinds = factory.LazyFunction(lambda: ["created"])
    secret = factory.Sequence(lambda n: f"whsec_test_{n}")
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")


class WebhookDeliveryFactory(factory.django.DjangoModelFactory[WebhookDelivery]):
    class Meta:
        model = WebhookDelivery

    subscription = factory.SubFactory(WebhookSubscriptionFactory)
    event = factory.SubFactory(EventFactory)
    kind = factory.SelfAttribute("event.kind")
    payload = factory.LazyAttribute(lambda o: {"id": o.event.pk, "kind": o.event.kind})
    created_at = factory.LazyFunction(timezone.now)


class WebhookAttemptFactory(factory.django.DjangoModelFactory[WebhookAttempt]):
    class Meta:
        model = WebhookAttempt

    delivery = factory.SubFactory(WebhookDeliveryFactory)
    at = factory.LazyFunction(timezone.now)
    status_code = 200
    latency_ms = 12
