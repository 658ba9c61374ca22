"""Writes for webhooks: subscriptions, the fan-out of an event, one attempt, replay, pausing.

An attempt never holds a transaction open while it waits for the receiver: it claims the delivery
(a compare-and-set on `next_attempt_at`, so two workers never send it twice at once), sends, then
records what happened in a short transaction.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from caredesk.channels.webhooks import selectors, transport
from caredesk.channels.webhooks.models import (
    DeliveryStatus,
    SubscriptionStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from caredesk.channels.webhooks.payload import payload_build, payload_bytes
from caredesk.channels.webhooks.signing import SIGNATURE_HEADER, signature_header
from caredesk.conversations.models import Event, EventKind
from caredesk.people.models import Agent, Role, User

log = logging.getLogger(__name__)


def backoff_schedule(
    *, first: int = 10, factor: int = 4, retries: int = 6, cap: int = 6 * 3600
) -> tuple[int, ...]:
    """Seconds to wait before each retry: exponential, capped (10 s, 40 s, 160 s … about 3 h)."""
    return tuple(min(first * factor**n, cap) for n in range(retries))


RETRY_DELAYS = backoff_schedule()
# A subscription whose deliveries failed after every retry this many times in a row is paused.
PAUSE_AFTER_FAILURES = 10
# An event recorded as happening longer ago than this (a CSV import, the demo's history) is sent
# to no webhook; a day leaves room for a worker that was down for hours.
HISTORY_AFTER = timedelta(days=1)


def _allowed_networks() -> list[transport.Network]:
    return transport.networks(settings.CAREDESK_WEBHOOK_ALLOW_NETWORKS)


# --- Subscriptions --------------------------------------------------------------------------------


def _kinds_check(kinds: list[str]) -> list[str]:
    unknown = sorted(set(kinds) - set(EventKind.values))
    if unknown:
        raise ValidationError({"kinds": f"Unknown event kinds: {', '.join(unknown)}."})
    if not kinds:
        raise ValidationError({"kinds": "Choose at least one kind of event."})
    return [k for k in EventKind.values if k in kinds]  # one order, no repeats


def _text_check(value: str, field: str) -> str:
    """No NUL or broken (surrogate) characters: PostgreSQL refuses them, so we do first."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError({field: "This text has a broken character."}) from exc
    if "\x00" in value:
        raise ValidationError({field: "This text has a NUL character."})
    return value.strip()


def _url_check(url: str) -> str:
    url = _text_check(url, "url")
    try:
        transport.url_check(url, allowed=_allowed_networks(), resolve=False)
    except transport.AddressRefused as exc:
        raise ValidationError({"url": str(exc)}) from exc
    return url


def subscription_create(
    *, actor: User | None, url: str, kinds: list[str], description: str = ""
) -> WebhookSubscription:
    now = timezone.now()
    subscription = WebhookSubscription(
        url=_url_check(url),
        kinds=_kinds_check(kinds),
        description=_text_check(description, "description"),
        secret="whsec_" + secrets.token_urlsafe(32),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    subscription.full_clean()
    subscription.save()
    return subscription


def subscription_update(
    *,
    subscription: WebhookSubscription,
    url: str | None = None,
    kinds: list[str] | None = None,
    description: str | None = None,
) -> WebhookSubscription:
    if url is not None:
        subscription.url = _url_check(url)
    if kinds is not None:
        subscription.kinds = _kinds_check(kinds)
    if description is not None:
        subscription.description = _text_check(description, "description")
    subscription.updated_at = timezone.now()
    subscription.full_clean()
    subscription.save(update_fields=["url", "kinds", "description", "updated_at"])
    return subscription


def subscription_pause(*, subscription: WebhookSubscription, reason: str) -> WebhookSubscription:
    """Stop sending: pending deliveries wait, new events make no deliveries until resumed."""
    subscription.status = SubscriptionStatus.PAUSED
    subscription.paused_reason = reason[:300]
    subscription.updated_at = timezone.now()
    subscription.save(update_fields=["status", "paused_reason", "updated_at"])
    return subscription


def subscription_resume(*, subscription: WebhookSubscription) -> list[int]:
    """Send again; the pending deliveries are due at once. Returns their ids, to enqueue."""
    now = timezone.now()
    with transaction.atomic():
        subscription.status = SubscriptionStatus.ACTIVE
        subscription.paused_reason = ""
        subscription.failures_in_a_row = 0
        subscription.updated_at = now
        subscription.save(
            update_fields=["status", "paused_reason", "failures_in_a_row", "updated_at"]
        )
        pending = subscription.deliveries.filter(status=DeliveryStatus.PENDING)
        pending.update(next_attempt_at=now)
        return list(pending.values_list("pk", flat=True))


def subscription_delete(*, subscription: WebhookSubscription) -> None:
    subscription.delete()  # its deliveries and their log go with it


# --- Deliveries -----------------------------------------------------------------------------------


def deliveries_create(*, event_id: int) -> list[int]:
    """One pending delivery of the event per active subscription that wants its kind (never two:
    a unique constraint). Returns the ids of the deliveries to send."""
    event = Event.objects.select_related("conversation__customer", "actor").get(pk=event_id)
    now = timezone.now()
    if event.created_at < now - HISTORY_AFTER:
        return []  # history being imported (or the demo's), not news: never flood a receiver
    listening = selectors.subscriptions_listening(event.kind)
    if not listening:
        return []
    payload = payload_build(event)
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription=s,
                event=event,
                kind=event.kind,
                payload=payload,
                created_at=now,
                next_attempt_at=now,
            )
            for s in listening
        ],
        ignore_conflicts=True,
    )
    return list(
        WebhookDelivery.objects.filter(
            event=event, subscription__in=listening, status=DeliveryStatus.PENDING, attempts=0
        ).values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt did; `retry_in` is set when another try is scheduled."""

    sent: bool
    ok: bool = False
    retry_in: int | None = None


def _claim(delivery_id: int, now: datetime) -> bool:
    lease = now + timedelta(seconds=settings.CAREDESK_WEBHOOK_TIMEOUT + 60)
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            subscription__status=SubscriptionStatus.ACTIVE,
        ).update(next_attempt_at=lease)
    )


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> AttemptResult:
    """Send a due delivery once and record the answer; schedule the next try or give up.

    `now` is the clock that decides what is due and when to retry (the tests move it); the
    signature always carries the real time, which is what the receiver checks.
    """
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return AttemptResult(sent=False)  # not due, done, paused, or another worker has it
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    body = payload_bytes(delivery.payload)
    outcome = transport.post(
        subscription.url,
        body=body,
        headers={
            SIGNATURE_HEADER: signature_header(
                secret=subscription.secret, timestamp=int(time.time()), body=body
            ),
            "Caredesk-Event": delivery.kind,
            "Caredesk-Delivery": str(delivery.pk),
        },
        timeout=settings.CAREDESK_WEBHOOK_TIMEOUT,
        allowed=_allowed_networks(),
    )
    return _record(delivery, outcome, now)


def _record(delivery: WebhookDelivery, outcome: transport.Outcome, now: datetime) -> AttemptResult:
    paused = False
    retry_in: int | None = None
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=timezone.now(),
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            error=outcome.error if not outcome.ok else "",
            replay=delivery.replayed_by_id is not None,
        )
        delivery.attempts += 1
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error if not outcome.ok else ""
        if outcome.ok:
            delivery.status = DeliveryStatus.SUCCEEDED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
            WebhookSubscription.objects.filter(
                pk=delivery.subscription_id, failures_in_a_row__gt=0
            ).update(failures_in_a_row=0)
        elif delivery.attempts <= len(RETRY_DELAYS):
            retry_in = RETRY_DELAYS[delivery.attempts - 1]
            delivery.next_attempt_at = now + timedelta(seconds=retry_in)
        else:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            paused = _count_failure(delivery.subscription_id)
        delivery.save(
            update_fields=[
                "attempts",
                "last_status_code",
                "last_error",
                "status",
                "delivered_at",
                "next_attempt_at",
            ]
        )
    if paused:
        _leads_tell_paused(WebhookSubscription.objects.get(pk=delivery.subscription_id))
    return AttemptResult(sent=True, ok=outcome.ok, retry_in=retry_in)


def _count_failure(subscription_id: int) -> bool:
    """One more delivery failed for good; pause the subscription at the limit. True if it was
    paused now (and only then: the leads are told once)."""
    rows = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id)
    subscription = rows.get()
    subscription.failures_in_a_row = F("failures_in_a_row") + 1
    subscription.save(update_fields=["failures_in_a_row"])
    subscription.refresh_from_db(fields=["failures_in_a_row"])
    if subscription.failures_in_a_row < PAUSE_AFTER_FAILURES or not subscription.is_active:
        return False
    subscription_pause(
        subscription=subscription,
        reason=(
            f"Paused automatically: {subscription.failures_in_a_row} deliveries in a row failed "
            f"after every retry ({len(RETRY_DELAYS) + 1} attempts each)."
        ),
    )
    return True


def _leads_tell_paused(subscription: WebhookSubscription) -> None:
    leads = list(
        Agent.objects.filter(role__in=(Role.LEAD, Role.ADMIN), user__is_active=True).values_list(
            "user__email", flat=True
        )
    )
    if not leads:
        return
    try:
        send_mail(
            subject=f"[Caredesk] Webhook paused: {subscription.url}",
            message=(
                f"{subscription.paused_reason}\n\n"
                f"Webhook #{subscription.pk} ({subscription.description or subscription.url}) "
                "receives no events until a lead resumes it. Its deliveries are logged at:\n"
                f"{subscription.get_absolute_url()}\n"
            ),
            from_email=None,
            recipient_list=leads,
        )
    except OSError:  # the pause stands and is shown on the page; the mail is only a notice
        log.exception("could not e-mail the leads that webhook %s was paused", subscription.pk)


def delivery_replay(*, delivery: WebhookDelivery, actor: User) -> WebhookDelivery:
    """Send a delivery again (the same body, a fresh signature), as a new series of attempts."""
    if not delivery.subscription.is_active:
        raise ValidationError("Resume this webhook first; a paused webhook sends nothing.")
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.replayed_by = actor
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "replayed_by"])
    return delivery
