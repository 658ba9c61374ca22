"""Messages: a customer opening a conversation and writing again, an agent's reply and note, and
the messages the desk sends by itself. What the customer wrote is read, and a reply coached,
before the transaction opens, so a slow engine never holds the write lock."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from caredesk.conversations import coaching, lifecycle, queue, reading
from caredesk.conversations.events import plan_record
from caredesk.conversations.models import (
    Attachment,
    Channel,
    Conversation,
    Direction,
    EventKind,
    Message,
    Severity,
)
from caredesk.conversations.services.locking import locked
from caredesk.customers.models import Customer
from caredesk.empathy.types import Reading
from caredesk.people.models import Agent, Team, User
from caredesk.replies.services import coach_outcomes_record
from caredesk.text import clean_body, clean_subject, sanitize_html, text_to_html


def _check_attachments(files: Sequence[UploadedFile]) -> None:
    limit = settings.CAREDESK_MAX_ATTACHMENT_BYTES
    for f in files:
        if (f.size or 0) > limit:
            raise ValidationError(
                {
                    "attachments": f"“{f.name}” is {f.size:,} bytes; attachments may be at most "
                    f"{limit:,} bytes. Nothing was saved — please send a smaller file."
                }
            )


# The HTML of plain text, remembered: the demo's bulk path writes the same texts many times
# (its pools hold over 10,000 distinct texts at a million conversations; about 40 MB at most).
_plain_html = lru_cache(maxsize=32768)(text_to_html)


def message_values(
    *,
    conversation: Conversation,
    direction: Direction,
    text: str,
    author: User | None,
    channel: str,
    at: datetime,
    html: str = "",
    external_id: str = "",
    findings: list[dict[str, Any]] | None = None,
    reading: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A new message's fields by name (cleaned text, its HTML, the reading found before the
    write, as stored): the services build the row from them, and the demo's bulk path inserts
    millions of rows from them without building a model instance per row."""
    return {
        "conversation": conversation,
        "direction": direction,
        "text": text,
        "html": sanitize_html(html) if html else _plain_html(text),
        "author": author,
        "channel": channel,
        "external_id": external_id[:255],
        "created_at": at,
        "findings": findings,
        "reading": reading,
    }


def _message_create(
    *,
    conversation: Conversation,
    direction: Direction,
    text: str,
    author: User | None,
    channel: str,
    html: str = "",
    external_id: str = "",
    at: datetime | None = None,
    attachments: Sequence[UploadedFile] = (),
    findings: list[dict[str, Any]] | None = None,
    found: Reading | None = None,
) -> Message:
    message = Message(
        **message_values(
            conversation=conversation,
            direction=direction,
            text=text,
            html=html,
            author=author,
            channel=channel,
            external_id=external_id,
            at=at or timezone.now(),
            findings=findings,
            reading=found.to_dict() if found is not None else None,
        )
    )
    message.save(force_insert=True)
    for f in attachments:
        Attachment.objects.create(
            message=message,
            file=f,
            filename=(f.name or "attachment")[:255],
            size=f.size or 0,
            content_type=(f.content_type or "")[:100],
        )
    return message


def _inbound_add(*, conversation: Conversation, found: Reading | None, **fields: Any) -> Message:
    """Store what the customer wrote with the reading found before the transaction; with none
    (a slow or failing engine) it is read in the background, never lost."""
    message = _message_create(
        conversation=conversation, direction=Direction.INBOUND, found=found, **fields
    )
    reading.message_arrived(message=message, reading=found)
    return message


def conversation_create(
    *,
    customer: Customer,
    subject: str,
    text: str,
    channel: str = Channel.PORTAL,
    author: User | None = None,
    team: Team | None = None,
    severity: int = Severity.NORMAL,
    html: str = "",
    external_id: str = "",
    attachments: Sequence[UploadedFile] = (),
    at: datetime | None = None,
    ahead: reading.ReadAhead | None = None,
) -> Conversation:
    """Open a conversation for one customer problem; it joins the fair queue at once.

    The text is read before the transaction opens: a slow engine never holds the write lock,
    and a failing one never loses what the customer wrote. A caller that wraps this in its own
    transaction reads ahead (`reading.read_ahead`) and passes the result as `ahead`."""
    subject = clean_subject(subject)
    text = clean_body(text)
    _check_attachments(attachments)
    found = reading.inbound_read_once(text, ahead)
    now = at or timezone.now()
    conversation = lifecycle.conversation_new(
        customer=customer,
        subject=subject,
        channel=channel,
        team=team,
        severity=severity,
        at=now,
    )
    conversation.full_clean()  # its reads (the customer and team exist) before the write lock
    # What the first reading changes goes in with the insert: one statement under the lock,
    # not an insert and an update; the events are recorded once the conversation has its id.
    plan = lifecycle.conversation_opened(conversation, actor=author, at=now, reading=found)
    plan.apply()
    with transaction.atomic():
        conversation.save()
        plan_record(dataclasses.replace(plan, changes={}))
        reading.escalation_alert(plan)
        _inbound_add(
            conversation=conversation,
            found=found,
            text=text,
            author=author,
            channel=channel,
            html=html,
            external_id=external_id,
            at=now,
            attachments=attachments,
        )
        if team is not None and team.auto_assign:
            queue.auto_assign(conversation=conversation, at=now)
    return conversation


def customer_message_add(
    *,
    conversation: Conversation,
    text: str,
    author: User | None,
    channel: str = Channel.PORTAL,
    html: str = "",
    external_id: str = "",
    attachments: Sequence[UploadedFile] = (),
    at: datetime | None = None,
    ahead: reading.ReadAhead | None = None,
) -> Message:
    """A customer writes again; a resolved conversation reopens rather than starting over.
    The text is read before the transaction opens (see `conversation_create`)."""
    text = clean_body(text)
    _check_attachments(attachments)
    found = reading.inbound_read_once(text, ahead)
    with transaction.atomic():
        conversation = locked(conversation)
        if conversation.merged_into_id:
            conversation = locked(Conversation(pk=conversation.merged_into_id))
        now = at or timezone.now()
        newest = _newest_inbound_at(conversation, now)
        message = _inbound_add(
            conversation=conversation,
            found=found,
            text=text,
            author=author,
            channel=channel,
            html=html,
            external_id=external_id,
            at=now,
            attachments=attachments,
        )
        plan = lifecycle.customer_wrote(
            conversation,
            actor=author,
            at=now,
            message=message.pk,
            reading=found,
            newest_other_inbound_at=newest,
        )
        plan_record(plan)
        reading.escalation_alert(plan)
    return message


def _newest_inbound_at(conversation: Conversation, at: datetime) -> datetime | None:
    """What `lifecycle.customer_wrote` compares a message's time with. No message is newer than
    the conversation's `last_message_at`, so a message written now needs no query; only a
    back-dated one (an import, a late mail) looks up the newest inbound message."""
    if at >= conversation.last_message_at:
        return None
    return (
        conversation.messages.filter(direction=Direction.INBOUND)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def reply_send(
    *,
    conversation: Conversation,
    agent: Agent,
    text: str,
    findings: list[dict[str, Any]] | None = None,
    resolve: bool = False,
    attachments: Sequence[UploadedFile] = (),
    at: datetime | None = None,
    coach_shown: Collection[str] = (),
) -> Message:
    """An agent answers the customer. The coach's findings are kept for the review report, and
    what became of each (`coach_shown`: the rules the coach showed on the draft) for coaching
    over time.

    The coach advises and never blocks: the reply is sent whatever it found. It reads the
    draft before the transaction opens, so it never holds the write lock.
    """
    text = clean_body(text)
    _check_attachments(attachments)
    now = at or timezone.now()
    if findings is None:  # coached on the conversation as it stands, not the caller's copy
        current = Conversation.objects.get(pk=conversation.pk)
        findings = [f.to_dict() for f in coaching.conversation_coach(current, text, at=now)]
    with transaction.atomic():
        conversation = locked(conversation)
        message = _message_create(
            conversation=conversation,
            direction=Direction.OUTBOUND,
            text=text,
            author=agent.user,
            channel=conversation.channel,
            at=now,
            attachments=attachments,
            findings=findings,
        )
        coach_outcomes_record(author=agent.user, at=now, findings=findings, shown=coach_shown)
        plan_record(
            lifecycle.agent_replied(
                conversation, agent=agent, at=now, message=message.pk, resolve=resolve
            )
        )
    return message


@transaction.atomic
def note_add(
    *, conversation: Conversation, agent: Agent, text: str, at: datetime | None = None
) -> Message:
    """An internal note: for colleagues only, never sent to the customer."""
    text = clean_body(text)
    now = at or timezone.now()
    message = _message_create(
        conversation=conversation,
        direction=Direction.NOTE,
        text=text,
        author=agent.user,
        channel=conversation.channel,
        at=now,
    )
    plan_record(lifecycle.noted(conversation, agent=agent, at=now, message=message.pk))
    return message


def care_message_send(
    *,
    conversation: Conversation,
    kind: EventKind,
    text: str,
    at: datetime | None = None,
    **data: Any,
) -> Message:
    """A message the desk sends the customer by itself (a status update, a closing message),
    shown in the portal, with its event. Whether one is due is the caller's decision, taken
    under this same lock (a surrounding transaction) so that it is sent once."""
    now = at or timezone.now()
    with transaction.atomic():
        conversation = locked(conversation)
        message = _message_create(
            conversation=conversation,
            direction=Direction.OUTBOUND,
            text=clean_body(text),
            author=None,
            channel=conversation.channel,
            at=now,
        )
        plan_record(
            lifecycle.care_message_sent(conversation, kind=kind, at=now, message=message.pk, **data)
        )
    return message
