"""The leads' webhook pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from caredesk.channels.webhooks.models import SubscriptionStatus, WebhookSubscription
from caredesk.conftest import login
from caredesk.people.models import Agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_client(lead: Agent) -> Client:
    return login(Client(), lead.user.email)


def test_a_lead_creates_a_webhook_and_sees_its_secret(lead_client: Client, lead: Agent) -> None:
    response = lead_client.post(
        reverse("webhooks:new"),
        {"url": "https://hooks.example.com/x", "description": "CRM", "kinds": ["created", "rated"]},
    )
    subscription = WebhookSubscription.objects.get()
    assert response.status_code == 302 and response["Location"] == subscription.get_absolute_url()
    assert subscription.kinds == ["created", "rated"] and subscription.created_by == lead.user
    page = lead_client.get(subscription.get_absolute_url())
    assert subscription.secret.encode() in page.content
    listing = lead_client.get(reverse("webhooks:list"))
    assert b"https://hooks.example.com/x" in listing.content


def test_a_private_address_is_refused_on_the_form_and_nothing_is_saved(lead_client: Client) -> None:
    response = lead_client.post(
        reverse("webhooks:new"), {"url": "http://10.0.0.5/hook", "kinds": ["created"]}
    )
    assert response.status_code == 400
    assert b"private or local address" in response.content
    assert not WebhookSubscription.objects.exists()


def test_pause_and_resume_from_the_page(lead_client: Client) -> None:
    lead_client.post(
        reverse("webhooks:new"), {"url": "https://hooks.example.com/x", "kinds": ["created"]}
    )
    subscription = WebhookSubscription.objects.get()
    lead_client.post(reverse("webhooks:pause", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.PAUSED
    page = lead_client.get(subscription.get_absolute_url())
    assert b"Paused by" in page.content and b"Resume" in page.content
    lead_client.post(reverse("webhooks:resume", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE and subscription.paused_reason == ""
    lead_client.post(reverse("webhooks:delete", args=[subscription.pk]))
    assert not WebhookSubscription.objects.exists()


def test_the_nav_shows_webhooks_to_leads_only(lead_client: Client, agent_client: Client) -> None:
    assert reverse("webhooks:list").encode() in lead_client.get(reverse("desk:queue")).content
    assert reverse("webhooks:list").encode() not in agent_client.get(reverse("desk:queue")).content
