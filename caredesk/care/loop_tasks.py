"""Keeping the customer in the loop, in the background: thin tasks over `updates` and
`rating_links`, each safe to run twice (the services decide from stored state under a lock)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from caredesk import jobs
from caredesk.care import rating_links, updates


@db_periodic_task(crontab(minute="*/5"))
def send_due_updates() -> None:
    """Every five minutes: a status update to each customer the team keeps waiting too long,
    and the closing message of a resolution whose enqueue was lost."""
    updates.updates_send_due()
    rating_links.closings_missing_send()


@db_task(retries=3, retry_delay=10)
def closing_send_task(conversation: int, event: int) -> None:
    rating_links.closing_send(conversation_id=conversation, resolved_event_id=event)


def jobs_subscribe() -> None:
    """What keeping the customer in the loop runs after a commit; called from `AppConfig.ready`."""
    jobs.subscribe("event.resolved", rating_links.closing_queue_on_event)
    jobs.subscribe(rating_links.CLOSING, closing_send_task)
