"""Outbound e-mail: agent replies, the portal's confirmation and the leads' risk alerts.

Every mail leaves from the worker (`channels/email/tasks.py`) through Django's e-mail backend —
SMTP in production, the demo's mailbox in the demo — never from a request, and is retried with
backoff when the server is down. A reply's delivery state lives on its `Message`
(`delivery_status`, `delivery_error`, `delivery_attempts`, `delivered_at`), so the desk shows a
reply that has not reached the customer, and a lead or its author can send it again. The desk's
own notifications (the portal's confirmation, the leads' alert) keep theirs on an
`OutboundNotification` row, stored and sent by `desk_mail`, listed for leads at
/desk/mail/notifications/ and sent again from there.

Each mail carries what lets the customer's answer find its way back (`inbound` threads by them):
a Message-ID on the desk's domain (a reply's is stored in `Message.external_id` before the first
attempt, so every retry sends the same one), In-Reply-To and References built from the
conversation's earlier Message-IDs, and the conversation token `[#<id>]` in the subject.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from caredesk import jobs
from caredesk.channels.email.desk_mail import (
    NotDelivered,
    desk_address,
    desk_mail,
    failure_reason,
    mail_send,
    new_message_id,
    notification_send,
)
from caredesk.channels.email.models import NotificationKind
from caredesk.channels.email.parse import SYNTHETIC_DOMAIN
from caredesk.conversations.lifecycle import CARE_MESSAGES
from caredesk.conversations.models import (
    Channel,
    Conversation,
    Delivery,
    Direction,
    Event,
    Message,
)
from caredesk.people.models import Agent, Role, Severity, User
from caredesk.people.selectors import agent_of

log = logging.getLogger(__name__)

# Published (with `message`) when an outbound message's e-mail should be sent, or sent again.
DELIVER = "email.deliver"
# Published (with `conversation`) when a new conversation's confirmation should be sent.
CONFIRM = "email.confirm"

# A Message-ID as stored in `external_id` (with or without its angle brackets); ids from other
# channels (an API client's "crm-123") are not e-mail ids and are left out of References.
_MSGID = re.compile(r"^<?[^\s<>@]+@[^\s<>@]+>?$")
_TOKEN = re.compile(r"\[#(\d+)\]")

# References keeps the first id and the latest ones (RFC 5322 allows trimming the middle).
REFERENCES_KEPT = 20

# Events older than this are history (imported, back-dated): they mail no one.
MAIL_WITHIN = timedelta(hours=1)

# A reply queued this long ago and never tried lost its enqueue; the sweep queues it again.
LOST_AFTER = timedelta(minutes=10)
# An attempt claimed this long ago and never ended is a worker killed mid-send: no send runs
# this long (EMAIL_TIMEOUT is 30 s), and it is longer than the whole retry schedule (about a
# quarter of an hour), so the normal path has always ended (or rescheduled) its attempt by then.
STUCK_AFTER = timedelta(minutes=20)


def token_subject(subject: str, conversation_id: int, *, prefix: str = "") -> str:
    """The subject with the conversation token, once: "Re: Printer jam [#123]"."""
    subject = " ".join(subject.split())
    if f"[#{conversation_id}]" not in subject:
        subject = f"{subject} [#{conversation_id}]"
    if prefix and not subject.lower().startswith(prefix.lower()):
        subject = f"{prefix}{subject}"
    return subject


def token_of(subject: str) -> int | None:
    """The conversation a subject's token names, if it has one."""
    found = _TOKEN.search(subject or "")
    return int(found.group(1)) if found else None


def _bracketed(external_id: str) -> str:
    value = external_id.strip()
    return value if value.startswith("<") else f"<{value}>"


def thread_ids(conversation: Conversation, *, before: Message | None = None) -> list[str]:
    """The Message-IDs of the conversation's mails so far, oldest first (notes never leave)."""
    qs = conversation.messages.exclude(direction=Direction.NOTE).exclude(external_id="")
    if before is not None:
        qs = qs.filter(created_at__lte=before.created_at).exclude(pk=before.pk)
    ids = [
        _bracketed(v)
        for v in qs.order_by("created_at", "pk").values_list("external_id", flat=True)
        if _MSGID.match(v.strip()) and not v.strip().endswith(f"@{SYNTHETIC_DOMAIN}>")
    ]
    return list(dict.fromkeys(ids))  # once each, in order


def threading_headers(ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    kept = ids if len(ids) <= REFERENCES_KEPT else [ids[0], *ids[-(REFERENCES_KEPT - 1) :]]
    return {"In-Reply-To": ids[-1], "References": " ".join(kept)}


def customer_address(conversation: Conversation) -> str:
    return conversation.customer.email


# --- Agent replies: queued on `event.replied`, sent by a task, their state on the message -------


def _fresh(event: Event) -> bool:
    """Only what happens now is mailed: an import of old conversations (or the demo's history)
    records back-dated events, and must not mail their customers years late."""
    return timezone.now() - event.created_at < MAIL_WITHIN


def reply_queue_on_event(*, conversation: int, event: int, kind: str) -> None:
    """`event.replied`: the reply the event names goes out by e-mail (a `jobs` handler)."""
    found = Event.objects.filter(pk=event).first()
    if found is None or not _fresh(found):
        return
    message_id = found.data.get("message") if isinstance(found.data, dict) else None
    if isinstance(message_id, int):
        message_delivery_queue(message_id=message_id)


def message_delivery_queue(*, message_id: int) -> bool:
    """Mark an outbound message's e-mail as queued and have the worker send it; False (and
    nothing marked) when the customer has no e-mail address to send it to.

    The Message-ID is chosen here, once: every attempt sends the same one, and a customer's
    answer threads to it even before the first attempt has run."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .select_related("conversation__customer")
            .filter(pk=message_id, direction=Direction.OUTBOUND)
            .first()
        )
        if message is None or not customer_address(message.conversation):
            return False
        message.delivery_status = Delivery.QUEUED
        message.delivery_error = ""
        fields = ["delivery_status", "delivery_error"]
        if not message.external_id:
            message.external_id = new_message_id()
            fields.append("external_id")
        message.save(update_fields=fields)
        jobs.publish(DELIVER, message=message.pk)
    return True


def lost_deliveries_requeue(
    *,
    older_than: timedelta = LOST_AFTER,
    stuck_after: timedelta = STUCK_AFTER,
    limit: int = 500,
) -> int:
    """Publish again the replies queued long ago and never tried: their enqueue was lost (a
    worker's queue wiped, a crash between commit and enqueue); and those whose attempt was
    claimed long ago and never ended: the worker was killed during the send, and its task died
    with it. A duplicate is harmless: an attempt is claimed before it sends, and a claim still
    fresh is left to its sender. Returns how many were queued again."""
    now = timezone.now()
    lost = Q(delivery_status=Delivery.QUEUED, delivery_attempts=0, created_at__lt=now - older_than)
    stuck = Q(
        delivery_status__in=(Delivery.QUEUED, Delivery.RETRYING),
        delivery_claimed_at__lt=now - stuck_after,
    )
    ids = list(
        Message.objects.filter(lost | stuck)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        jobs.publish(DELIVER, message=pk)
    return len(ids)


def written_by_the_desk(message: Message) -> bool:
    """A message the desk wrote by itself (a status update, a closing message: its event names
    it), not a person's reply."""
    return message.author_id is None and (
        Event.objects.filter(
            conversation_id=message.conversation_id,
            kind__in=CARE_MESSAGES,
            data__message=message.pk,
        ).exists()
    )


def reply_mail(message: Message) -> EmailMultiAlternatives:
    """The e-mail of an outbound message: text and its sanitized HTML, the attachments,
    threaded; one the desk wrote by itself is marked so, like its notifications (RFC 3834), so
    that auto-responders do not answer it and the customer's mail rules can tell it apart."""
    conversation = message.conversation
    desk = desk_address()
    automatic = {"Auto-Submitted": "auto-generated"} if written_by_the_desk(message) else {}
    mail = EmailMultiAlternatives(
        subject=token_subject(conversation.subject, conversation.pk, prefix="Re: "),
        body=message.text,
        from_email=desk,
        to=[customer_address(conversation)],
        reply_to=[desk],
        headers={
            "Message-ID": _bracketed(message.external_id),
            **threading_headers(thread_ids(conversation, before=message)),
            **automatic,
        },
    )
    if message.html:
        mail.attach_alternative(message.html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as f:
            mail.attach(attachment.filename, f.read(), attachment.content_type or None)
    return mail


def message_deliver(*, message_id: int, final: bool) -> str:
    """One attempt to send a queued reply. The attempt is claimed first (a second worker given
    the same message sends nothing, even after the claim: a claim younger than `STUCK_AFTER` is
    a send still running), the mail is sent outside any transaction, and the outcome is stored
    with the claim cleared: sent; retrying (raises `NotDelivered`, so the task tries again
    later); or, when `final`, failed with the reason — never dropped silently. Returns the new
    state."""
    found = (
        Message.objects.filter(pk=message_id, direction=Direction.OUTBOUND)
        .values_list("delivery_status", "delivery_attempts")
        .first()
    )
    if found is None or found[0] not in (Delivery.QUEUED, Delivery.RETRYING):
        return found[0] if found else ""  # gone, sent already, or never meant to be mailed
    status, attempts = found
    now = timezone.now()
    claimed = (
        Message.objects.filter(pk=message_id, delivery_status=status, delivery_attempts=attempts)
        .filter(Q(delivery_claimed_at__isnull=True) | Q(delivery_claimed_at__lt=now - STUCK_AFTER))
        .update(delivery_attempts=F("delivery_attempts") + 1, delivery_claimed_at=now)
    )
    if not claimed:
        return status  # another worker is on this very attempt
    message = Message.objects.select_related("conversation__customer").get(pk=message_id)
    try:
        mail_send(reply_mail(message))
    except Exception as exc:
        outcome = Delivery.FAILED if final else Delivery.RETRYING
        reason = failure_reason(exc)
        Message.objects.filter(pk=message_id).update(
            delivery_status=outcome, delivery_error=reason, delivery_claimed_at=None
        )
        if final:
            log.error(
                "reply %s to #%s not delivered: %s", message_id, message.conversation_id, reason
            )
            return outcome
        raise NotDelivered(reason) from exc
    Message.objects.filter(pk=message_id).update(
        delivery_status=Delivery.SENT,
        delivery_error="",
        delivered_at=timezone.now(),
        delivery_claimed_at=None,
    )
    return Delivery.SENT


def message_delivery_retry(*, message: Message, user: User) -> None:
    """Send a reply's e-mail again by hand: its author or a lead may, once it is not sent."""
    agent: Agent | None = agent_of(user)
    if agent is None or not (message.author_id == user.pk or agent.role in (Role.LEAD, Role.ADMIN)):
        raise PermissionDenied("Only the reply's author or a lead can send it again.")
    if message.direction != Direction.OUTBOUND:
        raise ValidationError("Only a reply to the customer is sent by e-mail.")
    if message.delivery_status == Delivery.SENT:
        raise ValidationError("This reply has been delivered already.")
    if not message_delivery_queue(message_id=message.pk):
        raise ValidationError("The customer has no e-mail address to send this reply to.")


# --- Notifications: the portal's confirmation and the leads' alert ------------------------------


def confirmation_mail(conversation: Conversation) -> EmailMessage | None:
    """The portal's "we have your message", or None: only a conversation opened in the portal,
    by a customer with an e-mail address, is confirmed (mail is answered by the reply itself)."""
    address = customer_address(conversation)
    if conversation.channel != Channel.PORTAL or not address:
        return None
    body = (
        f"Hello {conversation.customer.name},\n\n"
        f"we have your message “{conversation.subject}” and a person will answer it. "
        "We'll answer in the portal and by email; you can reply to this email to add anything.\n\n"
        f"Your conversation number is #{conversation.pk}.\n"
    )
    subject = token_subject(conversation.subject, conversation.pk, prefix="We have your message: ")
    return desk_mail(subject, body, [address], **threading_headers(thread_ids(conversation)))


def confirmation_queue_on_event(*, conversation: int, event: int, kind: str) -> None:
    """`event.created`: a conversation opened in the portal just now gets a confirmation (a
    `jobs` handler; it looks first, so a bulk import or the demo's seed queues no task at all)."""
    found = Event.objects.filter(pk=event).first()
    if found is None or not _fresh(found) or found.data.get("channel") != Channel.PORTAL:
        return
    jobs.publish(CONFIRM, conversation=conversation)


def confirmation_send(*, conversation_id: int, key: str = "", final: bool = True) -> str:
    """One attempt at a new conversation's confirmation, if it gets one (see
    `desk_mail.notification_deliver`); "" when it gets none."""
    conversation = (
        Conversation.objects.select_related("customer")
        .prefetch_related("customer__identities")
        .filter(pk=conversation_id)
        .first()
    )
    return notification_send(
        NotificationKind.CONFIRMATION,
        conversation,
        confirmation_mail if conversation is not None else None,
        key=key,
        final=final,
    )


def leads_alert_mail(conversation: Conversation) -> EmailMessage | None:
    """Tell every lead at once about a conversation a risk escalated (made urgent, or a customer
    about to leave), so it never goes public or quietly lost."""
    leads = list(
        Agent.objects.filter(role__in=(Role.LEAD, Role.ADMIN), user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not leads:
        return None
    signals = ", ".join(s.replace("_", " ") for s in conversation.signals) or "risk"
    if conversation.severity >= Severity.URGENT:
        what = f"was raised to urgent ({signals}).\nAny agent may take it"
    else:  # a signal that escalates at once below Urgent (churn intent)
        what = f"was escalated ({signals}).\nIts team may take it"
    body = (
        f"{conversation.customer.name}'s conversation #{conversation.pk} {what}; please make "
        f"sure someone does now.\n\n{conversation.get_absolute_url()}\n"
    )
    return desk_mail(f"[Caredesk] Urgent: #{conversation.pk} {conversation.subject}", body, leads)


def leads_alert_send(*, conversation_id: int, key: str = "", final: bool = True) -> str:
    """One attempt at the leads' alert of an urgent conversation (see
    `desk_mail.notification_deliver`)."""
    conversation = (
        Conversation.objects.select_related("customer").filter(pk=conversation_id).first()
    )
    return notification_send(
        NotificationKind.LEADS_ALERT,
        conversation,
        leads_alert_mail if conversation is not None else None,
        key=key,
        final=final,
    )
