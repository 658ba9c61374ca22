"""The desk's own mails (the portal's confirmation, the leads' alert) keep their delivery state:
a server that refuses them gets retries, then a failure leads see and can send again by hand."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from caredesk.channels.email import tasks as mail_tasks
from caredesk.channels.email.models import NotificationKind, OutboundNotification
from caredesk.channels.tests.email.test_outbound import Capture, _run_scheduled_retries
from caredesk.conftest import login
from caredesk.conversations.models import Delivery
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent
from caredesk.tests.ports import free_port

pytestmark = pytest.mark.django_db


def test_failed_notifications_are_kept_shown_to_leads_and_sent_again(
    settings: Any,
    lead: Agent,
    agent: Agent,
    team: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    HUEY.storage.flush_schedule()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    settings.DEFAULT_FROM_EMAIL = "support@desk.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        conversation = make_conversation(
            team=team, subject="Refund", text="No refund in weeks. My lawyer will be in touch!"
        )
    rows = {n.kind: n for n in OutboundNotification.objects.all()}
    assert set(rows) == {NotificationKind.CONFIRMATION, NotificationKind.LEADS_ALERT}
    for row in rows.values():
        assert (row.status, row.attempts, row.conversation_id) == (
            Delivery.RETRYING,
            1,
            conversation.pk,
        )
        assert "refused" in row.error.lower()
    assert rows[NotificationKind.LEADS_ALERT].recipients == [lead.user.email]

    _run_scheduled_retries()  # every retry, with its backoff, finds the same row
    assert OutboundNotification.objects.count() == 2
    alert = OutboundNotification.objects.get(kind=NotificationKind.LEADS_ALERT)
    assert (alert.status, alert.attempts) == (Delivery.FAILED, 1 + mail_tasks.RETRIES)

    client = login(Client(), lead.user.email)
    page = client.get(reverse("outbound:notifications"), {"status": "failed"}).content.decode()
    assert "Failed (2)" in page and f'id="notification-retry-{alert.pk}"' in page
    assert "refused" in page.lower()
    assert (
        login(Client(), agent.user.email).get(reverse("outbound:notifications")).status_code == 403
    )
    quarantine = client.get(reverse("mail:quarantine")).content.decode()
    assert f'href="{reverse("outbound:notifications")}"' in quarantine

    (mail,) = _sent_again_by_hand(client, alert, settings, django_capture_on_commit_callbacks)
    assert mail["Message-ID"] == alert.headers["Message-ID"]  # the same mail, not a new one
    assert mail["Subject"] == f"[Caredesk] Urgent: #{conversation.pk} Refund"
    assert mail["Auto-Submitted"] == "auto-generated"
    alert.refresh_from_db()
    assert (alert.status, alert.error) == (Delivery.SENT, "") and alert.sent_at is not None
    confirmation = OutboundNotification.objects.get(kind=NotificationKind.CONFIRMATION)
    assert confirmation.status == Delivery.FAILED  # untouched until a lead sends it too


def _sent_again_by_hand(
    client: Client, alert: OutboundNotification, settings: Any, on_commit: Any
) -> list[EmailMessage]:
    """The lead sends the failed mail again, twice, to a real SMTP server now listening: the
    second press finds it sent. Returns what the server received."""
    capture = Capture()
    controller = Controller(capture, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.EMAIL_PORT = controller.port
        with on_commit(execute=True):
            response = client.post(reverse("outbound:notification_retry", args=[alert.pk]))
        assert response.status_code == 302
        with on_commit(execute=True):  # sent: refused with a notice
            client.post(reverse("outbound:notification_retry", args=[alert.pk]))
    finally:
        controller.stop()
    return list(capture.mails)
