"""Deliveries end to end, to a real receiver on 127.0.0.1 that checks each signature."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from pytest_django import DjangoCaptureOnCommitCallbacks

from caredesk import jobs
from caredesk.channels.tests.webhooks.conftest import Receiver
from caredesk.channels.webhooks import services
from caredesk.channels.webhooks.models import (
    DeliveryStatus,
    SubscriptionStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from caredesk.channels.webhooks.services import PAUSE_AFTER_FAILURES, RETRY_DELAYS
from caredesk.channels.webhooks.tasks import deliveries_send_due
from caredesk.conftest import login
from caredesk.conversations.models import EventKind
from caredesk.conversations.services import note_add
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team

from .factories import make_subscription

pytestmark = pytest.mark.django_db


def subscribe(receiver: Receiver, kinds: list[str] | None = None) -> WebhookSubscription:
    subscription = make_subscription(url=receiver.url, kinds=kinds)
    receiver.secret = subscription.secret
    return subscription


def test_the_backoff_schedule_grows_exponentially_and_is_capped() -> None:
    assert RETRY_DELAYS == (10, 40, 160, 640, 2560, 10240)
    assert services.backoff_schedule(first=10, factor=4, retries=9)[-1] == 6 * 3600
    assert all(a * 4 == b for a, b in itertools.pairwise(RETRY_DELAYS))


def test_an_event_reaches_the_receiver_signed_with_its_conversation(
    receiver: Receiver,
    team: Team,
    agent: Agent,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    subscribe(receiver, kinds=["created", "replied"])
    with django_capture_on_commit_callbacks(execute=True):
        conversation = make_conversation(team=team, subject="Broken kettle")
    [received] = receiver.received
    assert received.verified, received.why
    assert received.headers["Caredesk-Event"] == "created"
    payload = received.payload
    assert payload["schema_version"] == 1
    assert payload["event"]["kind"] == "created"
    assert payload["conversation"]["id"] == conversation.pk
    assert payload["conversation"]["subject"] == "Broken kettle"
    assert payload["conversation"]["customer"]["name"] == conversation.customer.name
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.last_status_code == 200
    assert received.headers["Caredesk-Delivery"] == str(delivery.pk)
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code == 200 and attempt.error == "" and attempt.latency_ms >= 0


def test_kinds_nobody_subscribed_to_make_no_delivery(
    receiver: Receiver,
    team: Team,
    agent: Agent,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    subscribe(receiver, kinds=["resolved"])
    with django_capture_on_commit_callbacks(execute=True):
        conversation = make_conversation(team=team)
        note_add(conversation=conversation, agent=agent, text="Checking with the warehouse.")
    assert receiver.received == [] and not WebhookDelivery.objects.exists()


def test_a_paused_subscription_receives_nothing(
    receiver: Receiver,
    team: Team,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    subscription = subscribe(receiver)
    services.subscription_pause(subscription=subscription, reason="Maintenance")
    with django_capture_on_commit_callbacks(execute=True):
        make_conversation(team=team)
    assert receiver.received == []


def test_a_failing_receiver_gets_retries_with_backoff_until_it_answers(
    receiver: Receiver,
    team: Team,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    subscribe(receiver)
    receiver.answers = [500, "hang"]  # an error, then no answer within the timeout, then 200
    with django_capture_on_commit_callbacks(execute=True):
        make_conversation(team=team)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_status_code == 500
    start = delivery.next_attempt_at
    assert start is not None
    # The task scheduled its own retry, RETRY_DELAYS[0] seconds on.
    [retry] = HUEY.scheduled()
    assert retry.args == (delivery.pk,) and retry.name.endswith("delivery_send_task")

    # Not due yet: nothing is sent.
    early = start - timedelta(seconds=1)
    assert not services.delivery_attempt(delivery_id=delivery.pk, now=early).sent
    second = services.delivery_attempt(delivery_id=delivery.pk, now=start)
    assert second.sent and not second.ok and second.retry_in == RETRY_DELAYS[1]
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == start + timedelta(seconds=RETRY_DELAYS[1])
    assert "No answer within" in delivery.last_error

    third = services.delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    assert third.ok
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 3
    log = list(delivery.attempt_log.order_by("at", "pk"))
    assert [a.status_code for a in log] == [500, None, 200]
    assert "No answer within" in log[1].error
    # Every try sent the same body, each signed afresh.
    assert len({r.body for r in receiver.received}) == 1
    assert len(receiver.verified) == 3


def test_a_delivery_gives_up_after_every_retry(
    receiver: Receiver,
    team: Team,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    subscription = subscribe(receiver)
    receiver.answers = [503] * 50
    with django_capture_on_commit_callbacks(execute=True):
        make_conversation(team=team)
    delivery = WebhookDelivery.objects.get()
    _fail_to_the_end(delivery)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
    assert delivery.attempts == len(RETRY_DELAYS) + 1 == len(receiver.received)
    subscription.refresh_from_db()
    assert subscription.failures_in_a_row == 1 and subscription.is_active


def _fail_to_the_end(delivery: WebhookDelivery) -> None:
    """Drive a delivery through every retry, moving the clock to each next try."""
    for _ in range(len(RETRY_DELAYS) + 1):
        delivery.refresh_from_db()
        if delivery.next_attempt_at is None:
            break
        services.delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)


def test_the_sweep_sends_what_is_due_and_no_delivery_twice(
    receiver: Receiver,
    team: Team,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    subscribe(receiver)
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        make_conversation(team=team)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )  # as if the scheduled retry had been lost
    deliveries_send_due.call_local()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and len(receiver.received) == 2
    deliveries_send_due.call_local()
    assert len(receiver.received) == 2


def test_a_subscription_that_keeps_failing_is_paused_and_the_leads_are_told(
    receiver: Receiver,
    team: Team,
    agent: Agent,
    lead: Agent,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    subscription = subscribe(receiver)
    receiver.answers = [500] * 1000
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(PAUSE_AFTER_FAILURES + 1):
            make_conversation(team=team, subject=f"Problem {n}")
    assert WebhookDelivery.objects.count() == PAUSE_AFTER_FAILURES + 1
    for delivery in WebhookDelivery.objects.order_by("pk"):
        _fail_to_the_end(delivery)
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.PAUSED
    assert subscription.failures_in_a_row == PAUSE_AFTER_FAILURES
    assert "10 deliveries in a row failed" in subscription.paused_reason
    # The eleventh was left waiting when the pause came: it was never sent again.
    last = WebhookDelivery.objects.order_by("pk").last()
    assert last is not None and last.status == DeliveryStatus.PENDING and last.attempts == 1
    [notice] = [m for m in mail.outbox if "Webhook paused" in m.subject]  # once, not per failure
    assert lead.user.email in notice.to and agent.user.email not in notice.to
    assert subscription.get_absolute_url() in notice.body

    # Resuming sends what waited.
    receiver.answers = []
    for pk in services.subscription_resume(subscription=subscription):
        services.delivery_attempt(delivery_id=pk)
    last.refresh_from_db()
    assert last.status == DeliveryStatus.SUCCEEDED


def test_a_success_resets_the_count_of_failures(
    receiver: Receiver,
    team: Team,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    subscription = subscribe(receiver)
    receiver.answers = [500] * (len(RETRY_DELAYS) + 1)
    with django_capture_on_commit_callbacks(execute=True):
        make_conversation(team=team)
    _fail_to_the_end(WebhookDelivery.objects.get())
    subscription.refresh_from_db()
    assert subscription.failures_in_a_row == 1
    with django_capture_on_commit_callbacks(execute=True):
        make_conversation(team=team)
    subscription.refresh_from_db()
    assert subscription.failures_in_a_row == 0


def test_a_lead_replays_a_delivery_from_the_desk(
    receiver: Receiver,
    team: Team,
    lead: Agent,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    subscription = subscribe(receiver)
    with django_capture_on_commit_callbacks(execute=True):
        make_conversation(team=team)
    delivery = WebhookDelivery.objects.get()
    client = login(Client(), lead.user.email)
    page = client.get(reverse("webhooks:detail", args=[subscription.pk]))
    assert page.status_code == 200 and b"Send again" in page.content
    response = client.post(reverse("webhooks:replay", args=[delivery.pk]))
    assert response.status_code == 302
    first, again = receiver.received
    assert again.verified and again.body == first.body
    log = list(delivery.attempt_log.order_by("at", "pk"))
    assert [a.replay for a in log] == [False, True]
    page = client.get(reverse("webhooks:detail", args=[subscription.pk]))
    assert b"(replay)" in page.content


def test_a_paused_subscription_cannot_be_replayed(
    receiver: Receiver,
    team: Team,
    lead: Agent,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    subscription = subscribe(receiver)
    with django_capture_on_commit_callbacks(execute=True):
        make_conversation(team=team)
    services.subscription_pause(subscription=subscription, reason="Maintenance")
    with pytest.raises(services.ValidationError, match="Resume"):
        services.delivery_replay(delivery=WebhookDelivery.objects.get(), actor=lead.user)
    assert len(receiver.received) == 1


def test_every_event_kind_can_be_subscribed() -> None:
    assert all(jobs.subscribed(f"event.{kind}") for kind in EventKind.values)


def test_back_dated_history_is_sent_to_no_webhook(
    receiver: Receiver,
    team: Team,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    subscribe(receiver)
    with django_capture_on_commit_callbacks(execute=True):
        make_conversation(team=team, at=timezone.now() - timedelta(days=400))  # an import
        make_conversation(team=team)
    assert len(receiver.received) == 1 and WebhookDelivery.objects.count() == 1
