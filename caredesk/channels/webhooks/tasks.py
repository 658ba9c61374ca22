"""Background work for webhooks: thin tasks that call one service each.

A retry is a task scheduled for later; a one-minute sweep sends whatever is due and was not sent
(a lost enqueue, a worker that died mid-send), so no delivery is forgotten.
"""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from caredesk import jobs
from caredesk.channels.webhooks import selectors, services
from caredesk.conversations.models import EventKind

SWEEP_BATCH = 200


@db_task()
def deliveries_create_task(event: int) -> None:
    for delivery in services.deliveries_create(event_id=event):
        delivery_send_task(delivery)


@db_task()
def delivery_send_task(delivery: int) -> None:
    result = services.delivery_attempt(delivery_id=delivery)
    if result.retry_in is not None:
        delivery_send_task.schedule((delivery,), delay=result.retry_in)


@db_periodic_task(crontab(minute="*"))
def deliveries_send_due() -> None:
    for delivery in selectors.deliveries_due(now=timezone.now(), limit=SWEEP_BATCH):
        delivery_send_task(delivery)


def event_published(*, conversation: int, event: int, kind: str) -> None:
    """`event.<kind>` handler: enqueue the fan-out only when someone listens to this kind."""
    if selectors.subscribed_to(kind):
        deliveries_create_task(event)


def jobs_subscribe() -> None:
    """What webhooks run after a commit (`caredesk.jobs`); called from `AppConfig.ready`."""
    for kind in EventKind.values:
        jobs.subscribe(f"event.{kind}", event_published)
