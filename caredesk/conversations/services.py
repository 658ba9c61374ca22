"""Writes to conversations: every change goes through one of these and leaves an event."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
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
    Rating,
    Severity,
    Status,
    Tag,
)
from caredesk.customers.models import Customer
from caredesk.empathy.types import Reading
from caredesk.people.models import Agent, Team, User
from caredesk.text import (
    clean_body,
    clean_line,
    clean_subject,
    clean_text,
    sanitize_html,
    text_to_html,
)


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


# The HTML of plain text, remembered: the demo's bulk path writes the same texts many times.
_plain_html = lru_cache(maxsize=4096)(text_to_html)


def message_new(
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
) -> Message:
    """The unsaved message row (cleaned text, its HTML, the reading found before the write, as
    stored); the services save it, the demo's bulk path inserts many at once."""
    return Message(
        conversation=conversation,
        direction=direction,
        text=text,
        html=sanitize_html(html) if html else _plain_html(text),
        author=author,
        channel=channel,
        external_id=external_id[:255],
        created_at=at,
        findings=findings,
        reading=reading,
    )


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
    message = message_new(
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
    with transaction.atomic():
        conversation = lifecycle.conversation_new(
            customer=customer,
            subject=subject,
            channel=channel,
            team=team,
            severity=severity,
            at=now,
        )
        conversation.full_clean()
        conversation.save()
        plan = lifecycle.conversation_opened(conversation, actor=author, at=now, reading=found)
        plan_record(plan)
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
        conversation = _locked(conversation)
        if conversation.merged_into_id:
            conversation = _locked(Conversation(pk=conversation.merged_into_id))
        now = at or timezone.now()
        newest = (
            conversation.messages.filter(direction=Direction.INBOUND)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
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


def reply_send(
    *,
    conversation: Conversation,
    agent: Agent,
    text: str,
    findings: list[dict[str, Any]] | None = None,
    resolve: bool = False,
    attachments: Sequence[UploadedFile] = (),
    at: datetime | None = None,
) -> Message:
    """An agent answers the customer. The coach's findings are kept for the review report.

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
        conversation = _locked(conversation)
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
        plan_record(
            lifecycle.agent_replied(
                conversation, agent=agent, at=now, message=message.pk, resolve=resolve
            )
        )
    return message


def _locked(conversation: Conversation) -> Conversation:
    """The conversation, locked for this transaction, with what the lifecycle reads."""
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("owner", "team")
        .get(pk=conversation.pk)
    )


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


@transaction.atomic
def conversation_assign(
    *, conversation: Conversation, agent: Agent, actor: User, at: datetime | None = None
) -> None:
    now = at or timezone.now()
    conversation = _locked(conversation)
    plan_record(lifecycle.assigned(conversation, agent=agent, actor=actor, at=now, how="assigned"))


def agent_teams_by_name(agent: Agent) -> list[Team]:
    """An agent's teams in the order the transfer rule picks from (by name)."""
    return sorted(agent.teams.all(), key=lambda t: t.name)


@transaction.atomic
def conversation_transfer(
    *,
    conversation: Conversation,
    actor: User,
    note: str,
    to_agent: Agent | None = None,
    to_team: Team | None = None,
    at: datetime | None = None,
) -> Conversation:
    """A warm transfer: the handoff note is required so the customer never repeats themselves."""
    note = clean_text(note, field="note")
    if not note:
        raise ValidationError(
            {
                "note": "Write a handoff note: what the customer needs, what you "
                "already tried, and what is next — so they never have to repeat it."
            }
        )
    if len(note) > settings.CAREDESK_MAX_MESSAGE_CHARS:
        raise ValidationError({"note": "The handoff note is too long."})
    now = at or timezone.now()
    conversation = _locked(conversation)
    plan_record(
        lifecycle.transferred(
            conversation,
            actor=actor,
            note=note,
            to_agent=to_agent,
            to_team=to_team,
            agent_teams=agent_teams_by_name(to_agent) if to_agent and to_team is None else [],
            at=now,
        )
    )
    if to_agent is None and conversation.team is not None and conversation.team.auto_assign:
        queue.auto_assign(conversation=conversation, at=now)
    return conversation


@transaction.atomic
def severity_change(
    *,
    conversation: Conversation,
    actor: User | None,
    severity: int,
    reason: str = "",
    at: datetime | None = None,
) -> None:
    reason = clean_line(reason, field="reason", max_chars=500)
    conversation = _locked(conversation)
    plan_record(
        lifecycle.severity_changed(
            conversation,
            actor=actor,
            severity=severity,
            reason=reason,
            at=at or timezone.now(),
        )
    )


TAG_NAME = re.compile(r"^[^\W_][\w\- ]{0,39}$")


def tag_names(text: str) -> list[str]:
    """Tags as typed ("Refund, outage"): lower-cased, trimmed, without repeats; a clear error for
    a name that is too long or made of punctuation."""
    names: dict[str, None] = {}
    for raw in text.split(","):
        name = " ".join(raw.split()).lower()
        if not name:
            continue
        if not TAG_NAME.match(name):
            raise ValidationError(
                {
                    "tags": f"“{name[:50]}” is not a tag: letters, digits, spaces and dashes, "
                    "at most 40."
                }
            )
        names.setdefault(name, None)
    return list(names)


@transaction.atomic
def conversation_tag(
    *,
    conversation: Conversation,
    actor: User | None,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    at: datetime | None = None,
) -> None:
    """Put tags on a conversation and take others off; one TAGGED event says what changed."""
    conversation = _locked(conversation)
    current = set(conversation.tags.values_list("name", flat=True))
    added = [n for n in dict.fromkeys(add) if n not in current]
    removed = [n for n in dict.fromkeys(remove) if n in current and n not in added]
    plan = lifecycle.tagged(
        conversation, actor=actor, added=added, removed=removed, at=at or timezone.now()
    )
    if added:
        conversation.tags.add(*(Tag.objects.get_or_create(name=n)[0] for n in added))
    if removed:
        conversation.tags.remove(*Tag.objects.filter(name__in=removed))
    plan_record(plan)


@transaction.atomic
def conversation_resolve(
    *, conversation: Conversation, agent: Agent, at: datetime | None = None
) -> None:
    conversation = _locked(conversation)
    plan_record(lifecycle.resolved(conversation, agent=agent, at=at or timezone.now()))


CLOSE_AFTER_DAYS = 7


@transaction.atomic
def conversation_close(*, conversation: Conversation, at: datetime | None = None) -> None:
    """A resolved conversation closes for good; a customer writing again then reopens it."""
    conversation = _locked(conversation)
    plan_record(lifecycle.closed(conversation, at=at or timezone.now()))


def conversations_close_resolved(*, at: datetime | None = None) -> int:
    """Close what was resolved more than `CLOSE_AFTER_DAYS` ago and not reopened."""
    now = at or timezone.now()
    due = Conversation.objects.filter(
        status=Status.RESOLVED, resolved_at__lte=now - timedelta(days=CLOSE_AFTER_DAYS)
    ).values_list("pk", flat=True)[:1000]
    closed = 0
    for pk in list(due):
        conversation_close(conversation=Conversation(pk=pk), at=now)
        closed += 1
    return closed


@transaction.atomic
def conversation_reopen(
    *, conversation: Conversation, actor: User, reason: str = "", at: datetime | None = None
) -> None:
    conversation = _locked(conversation)
    plan_record(
        lifecycle.reopened(conversation, actor=actor, at=at or timezone.now(), reason=reason)
    )


@transaction.atomic
def conversation_merge(
    *, source: Conversation, target: Conversation, agent: Agent, at: datetime | None = None
) -> Conversation:
    """Fold a duplicate into the conversation that remains; nothing is lost, both histories stay."""
    now = at or timezone.now()
    source = _locked(source)
    target = _locked(target)
    moved = Message.objects.filter(conversation=source).count()
    away, into = lifecycle.merged(source, target, actor=agent.user, at=now, moved=moved)
    Message.objects.filter(conversation=source).update(conversation=target)
    plan_record(away)
    plan_record(into)
    return target


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
        conversation = _locked(conversation)
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


@transaction.atomic
def rating_submit(
    *,
    conversation: Conversation,
    user: User | None,
    satisfaction: int,
    effort: int,
    comment: str = "",
    at: datetime | None = None,
    by_link: bool = False,
) -> Rating:
    """The customer rates a resolved conversation: how satisfied, and how much effort it took.

    `by_link`: the caller checked a signed rating link the desk mailed to this conversation's
    customer (no login); the rating is then the customer's, `user` their login if they have one."""
    conversation = (
        Conversation.objects.select_for_update().select_related("customer").get(pk=conversation.pk)
    )
    if by_link:
        user = conversation.customer.user
    elif user is None or conversation.customer.user_id != user.pk:
        raise PermissionDenied("Only the customer can rate their conversation.")
    now = at or timezone.now()
    plan = lifecycle.rated(
        conversation, actor=user, satisfaction=satisfaction, effort=effort, at=now
    )
    comment = clean_text(comment, field="comment")
    if len(comment) > 2000:
        raise ValidationError({"comment": "Keep the comment under 2,000 characters."})
    rating, _ = Rating.objects.update_or_create(
        conversation=conversation,
        defaults={
            "satisfaction": satisfaction,
            "effort": effort,
            "comment": comment,
            "created_at": now,
        },
    )
    plan_record(plan)
    return rating
