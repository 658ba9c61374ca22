"""The closing message and its one-click rating link.

Resolving a conversation (`event.resolved`, after commit) sends the customer a message asking
whether the problem is really solved, with a link to rate it without logging in. The link is
signed (`django.core.signing`, salted for this use only) and names the conversation and the
resolution it belongs to; it expires after `LINK_DAYS`, works once, and stops working when the
conversation is reopened. The closing message is sent once per resolution: the CLOSING_SENT event
names the resolution, and it is looked for under the conversation's row lock before sending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from caredesk import jobs
from caredesk.channels.email import outbound
from caredesk.conversations import services
from caredesk.conversations.models import (
    DONE_STATUSES,
    Conversation,
    Event,
    EventKind,
    Message,
)

SALT = "caredesk.care.rating-link"
LINK_DAYS = 30
# Published (with `conversation` and `event`) when a resolution's closing message should be sent.
CLOSING = "care.closing"


class LinkInvalid(Exception):
    """A rating link that cannot be used; `reason` is what the customer is told."""

    def __init__(self, reason: str, *, conversation: Conversation | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.conversation = conversation


@dataclass(frozen=True)
class RatingLink:
    conversation: Conversation
    resolved_event: int


def rating_token(*, conversation_id: int, resolved_event_id: int) -> str:
    return signing.dumps({"c": conversation_id, "r": resolved_event_id}, salt=SALT)


def rating_url(token: str) -> str:
    return f"{settings.CAREDESK_PUBLIC_URL}{reverse('care_loop:rate', args=[token])}"


def rating_link_read(token: str) -> RatingLink:
    """The conversation a rating link is for, or `LinkInvalid` saying why not."""
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(days=LINK_DAYS))
    except signing.SignatureExpired:
        raise LinkInvalid(
            f"This rating link has expired (links work for {LINK_DAYS} days)."
        ) from None
    except signing.BadSignature:
        raise LinkInvalid(
            "This rating link is not valid. Please use the link from the e-mail as it is."
        ) from None
    pk = data.get("c") if isinstance(data, dict) else None
    conversation = (
        Conversation.objects.select_related("customer", "rating").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    if conversation is None:
        raise LinkInvalid("This rating link is not valid: the conversation no longer exists.")
    if hasattr(conversation, "rating"):
        raise LinkInvalid(
            "This conversation has been rated already. Thank you!", conversation=conversation
        )
    if conversation.status not in DONE_STATUSES:
        raise LinkInvalid(
            "This conversation was reopened, so there is nothing to rate yet; we'll send a new "
            "link when it is resolved.",
            conversation=conversation,
        )
    return RatingLink(conversation=conversation, resolved_event=int(data.get("r", 0)))


def closing_text(conversation: Conversation, url: str) -> str:
    return (
        f"Hello {conversation.customer.name},\n\n"
        f"we believe your problem \u201c{conversation.subject}\u201d is solved. Is it really? "
        "If not, just reply to this message and it reopens with the same people.\n\n"
        f"Tell us how we did, in one click and without logging in:\n{url}\n\n"
        f"(This link works for {LINK_DAYS} days.)"
    )


def closing_queue_on_event(*, conversation: int, event: int, kind: str) -> None:
    """`event.resolved`: a resolution just now gets a closing message (a `jobs` handler; an
    import's back-dated resolutions mail no one)."""
    found = Event.objects.filter(pk=event).first()
    if found is None or timezone.now() - found.created_at >= outbound.MAIL_WITHIN:
        return
    jobs.publish(CLOSING, conversation=conversation, event=event)


def closing_send(*, conversation_id: int, resolved_event_id: int) -> Message | None:
    """Send the closing message of one resolution, once; None if already sent or reopened."""
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("customer")
            .filter(pk=conversation_id)
            .first()
        )
        if conversation is None or conversation.status not in DONE_STATUSES:
            return None
        sent = Event.objects.filter(
            conversation=conversation,
            kind=EventKind.CLOSING_SENT,
            data__resolved_event=resolved_event_id,
        ).exists()
        if sent:
            return None
        url = rating_url(
            rating_token(conversation_id=conversation.pk, resolved_event_id=resolved_event_id)
        )
        message = services.care_message_send(
            conversation=conversation,
            kind=EventKind.CLOSING_SENT,
            text=closing_text(conversation, url),
            resolved_event=resolved_event_id,
        )
        outbound.message_delivery_queue(message_id=message.pk)
    return message


def closings_missing_send(*, limit: int = 200) -> int:
    """A safety net for a lost enqueue: every recent resolution of a conversation still resolved
    whose closing message was never sent gets it now. Returns how many were sent."""
    since = timezone.now() - outbound.MAIL_WITHIN
    resolutions = Event.objects.filter(
        kind=EventKind.RESOLVED,
        created_at__gte=since,
        conversation__status__in=DONE_STATUSES,
    ).values_list("conversation_id", "pk")[:limit]
    closed = {
        e
        for e in Event.objects.filter(
            kind=EventKind.CLOSING_SENT, created_at__gte=since
        ).values_list("data__resolved_event", flat=True)
    }
    sent = 0
    for conversation_id, event_id in list(resolutions):
        if event_id in closed:
            continue
        if closing_send(conversation_id=conversation_id, resolved_event_id=event_id) is not None:
            sent += 1
    return sent
