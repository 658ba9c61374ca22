"""The desk's own way of sending a mail, shared by every outbound path.

What every mail the desk sends needs (its address, a Message-ID on its domain, the one send call
that raises instead of swallowing a failure), and the desk's own notifications — mails it writes
by itself (the portal's confirmation, the leads' alert, an agent's notification): each stored as
an `OutboundNotification` before its first attempt, keyed so that a retried task or a second
publish finds it instead of writing another, sent by the worker, listed for leads at
/desk/mail/notifications/ and sent again from there. Replies to customers (`outbound`) keep their
state on their `Message` instead.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from caredesk import jobs
from caredesk.channels.email.models import OutboundNotification
from caredesk.conversations.models import Conversation, Delivery
from caredesk.people.models import Agent, Role, User
from caredesk.people.selectors import agent_of

log = logging.getLogger(__name__)

# Published (with `notification`) when a stored notification should be sent again by hand.
NOTIFY = "email.notify"

# What a failed attempt keeps of the error: enough to act on, never a whole traceback.
ERROR_CHARS = 500

# An attempt claimed this long ago and never ended is a worker killed mid-send (as a reply's,
# `outbound.STUCK_AFTER`): no send runs this long, and it outlasts the whole retry schedule.
STUCK_AFTER = timedelta(minutes=20)


class NotDelivered(Exception):
    """The mail server did not take the mail; the task retries it."""


def desk_address() -> str:
    return str(settings.DEFAULT_FROM_EMAIL)


def new_message_id() -> str:
    """A fresh Message-ID on the desk's own domain (not the host's, which may be anything)."""
    return make_msgid(domain=desk_address().rpartition("@")[2] or None)


def failure_reason(exc: BaseException) -> str:
    """A failed attempt's error as stored and shown: one line, bounded."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return " ".join(text.split())[:ERROR_CHARS]


def mail_send(mail: EmailMessage) -> None:
    """The one sending path: the configured backend, failures raised (never swallowed)."""
    if mail.send(fail_silently=False) != 1:
        raise NotDelivered("the mail backend accepted nothing")


def desk_mail(subject: str, body: str, to: list[str], **headers: str) -> EmailMessage:
    """A mail the desk writes by itself: marked so that auto-responders never answer it."""
    desk = desk_address()
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=desk,
        to=to,
        reply_to=[desk],
        headers={"Message-ID": new_message_id(), "Auto-Submitted": "auto-generated", **headers},
    )


def notification_send(
    kind: str,
    conversation: Conversation | None,
    write: Callable[[Conversation], EmailMessage | None] | None,
    *,
    key: str,
    final: bool,
) -> str:
    """The notification a task's `key` names (written now on its first attempt), then one
    attempt to send it; "" when there is nothing to send."""
    key = key or uuid.uuid4().hex
    found = OutboundNotification.objects.filter(key=key).first()
    if found is None:
        mail = write(conversation) if write is not None and conversation is not None else None
        if mail is None:
            return ""
        found, _ = OutboundNotification.objects.get_or_create(
            key=key,
            defaults={
                "kind": kind,
                "conversation": conversation,
                "recipients": list(mail.to),
                "subject": str(mail.subject)[:300],
                "body": mail.body,
                "headers": dict(mail.extra_headers),
                "created_at": timezone.now(),
            },
        )
    return notification_deliver(notification_id=found.pk, final=final)


def notification_deliver(*, notification_id: int, final: bool) -> str:
    """One attempt to send a stored notification, claimed first like a reply's (a second worker
    sends nothing); the outcome is stored: sent, retrying (raises `NotDelivered` so the task
    tries again) or, when `final`, failed with the reason for the leads' page."""
    found = (
        OutboundNotification.objects.filter(pk=notification_id)
        .values_list("status", "attempts")
        .first()
    )
    if found is None or found[0] not in (Delivery.QUEUED, Delivery.RETRYING):
        return found[0] if found else ""
    status, attempts = found
    now = timezone.now()
    rows = OutboundNotification.objects.filter(pk=notification_id)
    claimed = (
        rows.filter(status=status, attempts=attempts)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STUCK_AFTER))
        .update(attempts=F("attempts") + 1, claimed_at=now)
    )
    if not claimed:
        return status  # another worker is on this very attempt, or its claim is still fresh
    notification = OutboundNotification.objects.get(pk=notification_id)
    mail = desk_mail(notification.subject, notification.body, list(notification.recipients))
    mail.extra_headers = dict(notification.headers)  # the same Message-ID on every attempt
    try:
        mail_send(mail)
    except Exception as exc:
        outcome = Delivery.FAILED if final else Delivery.RETRYING
        reason = failure_reason(exc)
        rows.update(status=outcome, error=reason, claimed_at=None)
        if final:
            log.error(
                "%s for #%s not delivered: %s",
                notification.get_kind_display(),
                notification.conversation_id,
                reason,
            )
            return outcome
        raise NotDelivered(reason) from exc
    rows.update(status=Delivery.SENT, error="", sent_at=timezone.now(), claimed_at=None)
    return Delivery.SENT


def stuck_notifications_requeue(*, stuck_after: timedelta = STUCK_AFTER, limit: int = 500) -> int:
    """Publish again the notifications whose attempt was claimed long ago and never ended: the
    worker was killed during the send, and its task died with it. A claim still fresh is left
    to its sender (`notification_deliver` will not claim it). Returns how many."""
    now = timezone.now()
    ids = list(
        OutboundNotification.objects.filter(
            status__in=(Delivery.QUEUED, Delivery.RETRYING), claimed_at__lt=now - stuck_after
        )
        .order_by("claimed_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        jobs.publish(NOTIFY, notification=pk)
    return len(ids)


def notification_retry(*, notification: OutboundNotification, user: User) -> None:
    """A lead sends a notification that has not gone out again, by hand (the same mail)."""
    agent: Agent | None = agent_of(user)
    if agent is None or agent.role not in (Role.LEAD, Role.ADMIN):
        raise PermissionDenied("Only leads send the desk's notifications again.")
    with transaction.atomic():
        locked = OutboundNotification.objects.select_for_update().get(pk=notification.pk)
        if locked.status == Delivery.SENT:
            raise ValidationError("This mail has been delivered already.")
        locked.status, locked.error = Delivery.QUEUED, ""
        locked.save(update_fields=["status", "error"])
        jobs.publish(NOTIFY, notification=locked.pk)
