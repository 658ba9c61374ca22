"""A notification whose worker died mid-send (its attempt claimed, no outcome, its task gone) is
sent by the sweep once its claim is old, never while it is fresh: as a reply's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from caredesk.channels.email import desk_mail
from caredesk.channels.email import tasks as mail_tasks
from caredesk.channels.email.models import NotificationKind, OutboundNotification
from caredesk.conversations.models import Delivery
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent
from caredesk.tests.ports import free_port
from caredesk.tests.smtp import Capture

pytestmark = pytest.mark.django_db


def killed_mid_send(lead: Agent, team: Any, *, claimed_ago: timedelta) -> OutboundNotification:
    """What a worker killed during the SMTP send of a leads' alert leaves behind."""
    conversation = make_conversation(team=team, subject="Refund")
    now = timezone.now()
    return OutboundNotification.objects.create(
        kind=NotificationKind.LEADS_ALERT,
        conversation=conversation,
        key="task-killed",
        recipients=[lead.user.email],
        subject=f"[Caredesk] Urgent: #{conversation.pk} Refund",
        body="A customer needs a lead.",
        headers={"Message-ID": "<alert-1@desk.example.com>", "Auto-Submitted": "auto-generated"},
        created_at=now - claimed_ago,
        attempts=1,
        claimed_at=now - claimed_ago,
    )


def test_a_notification_whose_worker_died_is_sent_by_the_sweep_once(
    smtp_server: Capture, lead: Agent, team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    row = killed_mid_send(lead, team, claimed_ago=timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        # Fresh: the send may still be running. Nothing is queued again, and a second task
        # given the notification (a lead's retry, a duplicate publish) sends nothing.
        assert desk_mail.stuck_notifications_requeue() == 0
        assert desk_mail.notification_deliver(notification_id=row.pk, final=False) == "queued"
        assert smtp_server.mails == []
        OutboundNotification.objects.filter(pk=row.pk).update(
            claimed_at=timezone.now() - desk_mail.STUCK_AFTER - timedelta(minutes=1)
        )
        mail_tasks.requeue_lost_deliveries.call_local()  # the periodic safety net
    (mail,) = smtp_server.mails
    assert mail["Message-ID"] == "<alert-1@desk.example.com>"  # the same mail, not a new one
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claimed_at) == (Delivery.SENT, 2, None)
    with django_capture_on_commit_callbacks(execute=True):
        assert desk_mail.stuck_notifications_requeue(stuck_after=timedelta(0)) == 0
    assert len(smtp_server.mails) == 1


def test_a_failed_attempt_ends_its_claim_and_the_sweep_leaves_it_to_huey(
    settings: Any, lead: Agent, team: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    row = killed_mid_send(lead, team, claimed_ago=desk_mail.STUCK_AFTER * 2)
    with pytest.raises(desk_mail.NotDelivered):
        desk_mail.notification_deliver(notification_id=row.pk, final=False)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claimed_at) == (Delivery.RETRYING, 2, None)
    assert desk_mail.stuck_notifications_requeue(stuck_after=timedelta(0)) == 0
