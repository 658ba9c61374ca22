"""Background work: thin tasks that load by id and call one service."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from caredesk import jobs
from caredesk.conversations import notifications, reading, services

READ_BATCH = 500


@db_task(retries=3, retry_delay=10)
def read_message_task(message: int) -> None:
    reading.message_read_by_id(message)


@db_task(retries=3, retry_delay=10)
def refine_message_task(message: int) -> None:
    reading.message_refine_by_id(message)


@db_periodic_task(crontab(minute="*/5"))
def read_unread_messages() -> None:
    """A safety net: an inbound message whose reading never ran (or whose engine failed) is read
    now, never lost; then messages the refine engine has not read yet (newest first) are read
    again, a small batch at a time. The engines run outside any transaction; each reading is
    kept in its own short one, so the sweep never holds the write lock for long."""
    for message_id in reading.unread_message_ids(limit=READ_BATCH):
        reading.message_read_by_id(message_id)
    reading.messages_refine(reading.unrefined_message_ids(limit=READ_BATCH))


@db_periodic_task(crontab(minute="17"))
def close_resolved_conversations() -> None:
    services.conversations_close_resolved()


@db_task(retries=3, retry_delay=10)
def notify_task(event: int, **_: object) -> None:
    """The in-app notifications an event calls for (at most once each, so a retry is safe)."""
    notifications.notifications_from_event(event=event)


def jobs_subscribe() -> None:
    """What this app runs after a commit (`caredesk.jobs`); called from `AppConfig.ready`."""
    for topic in notifications.TOPICS:
        jobs.subscribe(topic, notify_task)
    jobs.subscribe(jobs.MESSAGE_UNREAD, read_message_task)
    jobs.subscribe(jobs.MESSAGE_REFINE, refine_message_task)
    # jobs.LEADS_ALERT is sent by outbound e-mail (channels/email/tasks.py), like every mail.
