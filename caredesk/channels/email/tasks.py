"""Outbound mail from the worker: thin tasks that load by id, call one service, and retry.

A mail server that is down or slow is waited out with backoff (30 s, 1, 2, 4, 8 minutes: about a
quarter of an hour in all) rather than failing a request. A reply's last failure is stored on its
message and shown on the desk; a notification's on its `OutboundNotification`, shown to leads.
"""

from __future__ import annotations

import logging
from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from caredesk import jobs
from caredesk.channels.email import agent_mail, desk_mail, outbound

log = logging.getLogger(__name__)

RETRIES = 5
RETRY_DELAY = 30  # seconds before the first retry; each next one waits twice as long
RETRY_BACKOFF = 2


def _last_try(task: Any) -> bool:
    return task is None or not task.retries


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY, retry_backoff=RETRY_BACKOFF, context=True)
def message_deliver_task(message: int, task: Any = None) -> str:
    return outbound.message_deliver(message_id=message, final=_last_try(task))


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY, retry_backoff=RETRY_BACKOFF, context=True)
def confirmation_send_task(conversation: int, task: Any = None) -> str:
    return outbound.confirmation_send(
        conversation_id=conversation, key=_key(task), final=_last_try(task)
    )


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY, retry_backoff=RETRY_BACKOFF, context=True)
def notify_leads_task(conversation: int, task: Any = None) -> str:
    return outbound.leads_alert_send(
        conversation_id=conversation, key=_key(task), final=_last_try(task)
    )


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY, retry_backoff=RETRY_BACKOFF, context=True)
def notification_deliver_task(notification: int, task: Any = None) -> str:
    """A notification a lead sends again by hand."""
    return desk_mail.notification_deliver(notification_id=notification, final=_last_try(task))


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY, retry_backoff=RETRY_BACKOFF, context=True)
def agent_notification_task(notification: int, task: Any = None) -> str:
    """An agent's desk notification by e-mail (agents who chose it)."""
    return agent_mail.agent_notification_send(notification_id=notification, final=_last_try(task))


@db_periodic_task(crontab(minute="*/5"))
def requeue_lost_deliveries() -> None:
    """A safety net: a reply whose enqueue was lost, or a reply or notification whose worker
    died mid-send, is queued again, never left unsent."""
    outbound.lost_deliveries_requeue()
    desk_mail.stuck_notifications_requeue()


def _key(task: Any) -> str:
    """Huey keeps a task's id across its retries: each retry finds the notification its first
    attempt stored, instead of writing the mail again."""
    return str(task.id) if task is not None else ""


def jobs_subscribe() -> None:
    """What outbound mail runs after a commit (`caredesk.jobs`); called from `AppConfig.ready`."""
    jobs.subscribe("event.replied", outbound.reply_queue_on_event)
    jobs.subscribe("event.created", outbound.confirmation_queue_on_event)
    jobs.subscribe(outbound.CONFIRM, confirmation_send_task)
    jobs.subscribe(outbound.DELIVER, message_deliver_task)
    jobs.subscribe(desk_mail.NOTIFY, notification_deliver_task)
    jobs.subscribe(jobs.LEADS_ALERT, notify_leads_task)
    jobs.subscribe(jobs.NOTIFICATION_MAIL, agent_notification_task)
