"""Every mail that reached the desk, stored before it is answered, whatever became of it.

One row per Message-ID (unique): re-delivery finds the row and never makes a second message, and a
mail that could not be stored as a message (unparseable, a loop, a flood) stays here, raw, with the
reason, for a lead to re-process or discard.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from caredesk.conversations.models import Conversation, Delivery, Message


class InboundStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    STORED = "stored", "Stored"
    QUARANTINED = "quarantined", "Quarantined"
    DISCARDED = "discarded", "Discarded"


class InboundKind(models.TextChoices):
    MAIL = "mail", "Mail"
    AUTO_REPLY = "auto_reply", "Auto-reply"
    BOUNCE = "bounce", "Bounce"
    LIST = "list", "List or bulk mail"


def raw_path(instance: InboundMail, filename: str) -> str:
    return f"mail/{filename[:2]}/{filename}"


class InboundMail(models.Model):
    """One received mail: the raw original, where it came from and what the desk did with it."""

    message_id = models.CharField(max_length=255, unique=True)
    raw = models.FileField(upload_to=raw_path, blank=True, help_text="The original .eml, as sent.")
    size = models.PositiveIntegerField(default=0)
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=20, help_text="smtp or imap")
    status = models.CharField(
        max_length=12, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    kind = models.CharField(max_length=12, choices=InboundKind.choices, default=InboundKind.MAIL)
    reason = models.CharField(max_length=500, blank=True)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="mails"
    )
    stored_message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="mail"
    )
    received_at = models.DateTimeField()
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "received_at"], name="mail_status"),
            models.Index(fields=["sender", "received_at"], name="mail_sender"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.status})"


class NotificationKind(models.TextChoices):
    CONFIRMATION = "confirmation", "Portal confirmation"
    LEADS_ALERT = "leads_alert", "Leads' urgent alert"
    AGENT_NOTIFICATION = "agent_notice", "Agent's notification"


class OutboundNotification(models.Model):
    """A mail the desk writes by itself (the portal's confirmation, the leads' alert) and where
    its delivery stands. The mail is written once, when first tried, with its Message-ID: every
    retry, by the task or by a lead's hand, sends the same mail, and a final failure stays here
    for leads to see (at /desk/mail/notifications/) instead of only in a log."""

    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The task that first tried it (`huey` keeps a task's id across its retries), so a retry
    # finds this row instead of writing a second mail.
    key = models.CharField(max_length=64, unique=True)
    recipients = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    headers = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # When the attempt now sending was claimed, cleared with its outcome: a claim that stays
    # long after no send could still be running is a worker killed mid-send (the sweep's).
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="notification_status"),
            # The sweep's: the few whose sending attempt never ended.
            models.Index(
                fields=["claimed_at"],
                name="notification_claimed",
                condition=models.Q(claimed_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.conversation_id} ({self.status})"
