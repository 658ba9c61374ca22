"""Writes to conversations: every change goes through one of these and leaves an event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from caredesk.conversations import coaching, queue, reading
from caredesk.conversations.events import assigned_record, event_record
from caredesk.conversations.models import (
    DONE_STATUSES,
    Attachment,
    Channel,
    Conversation,
    Direction,
    EventKind,
    Message,
    Rating,
    Severity,
    Status,
)
from caredesk.conversations.text import (
    clean_body,
    clean_line,
    clean_subject,
    clean_text,
    sanitize_html,
    text_to_html,
)
from caredesk.customers.models import Customer
from caredesk.empathy.types import Reading
from caredesk.people.models import Agent, Team, User


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
) -> Message:
    message = Message.objects.create(
        conversation=conversation,
        direction=direction,
        text=text,
        html=sanitize_html(html) if html else text_to_html(text),
        author=author,
        channel=channel,
        external_id=external_id[:255],
        created_at=at or timezone.now(),
        findings=findings,
    )
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
    message = _message_create(conversation=conversation, direction=Direction.INBOUND, **fields)
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
) -> Conversation:
    """Open a conversation for one customer problem; it joins the fair queue at once.

    The text is read before the transaction opens: a slow engine never holds the write lock,
    and a failing one never loses what the customer wrote."""
    subject = clean_subject(subject)
    text = clean_body(text)
    _check_attachments(attachments)
    found = reading.inbound_read(text)
    now = at or timezone.now()
    with transaction.atomic():
        conversation = Conversation(
            customer=customer,
            subject=subject,
            channel=channel,
            team=team,
            severity=severity,
            created_at=now,
            queued_at=now,
            last_message_at=now,
        )
        conversation.full_clean()
        conversation.save()
        event_record(
            conversation=conversation, kind=EventKind.CREATED, actor=author, at=now, channel=channel
        )
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
) -> Message:
    """A customer writes again; a resolved conversation reopens rather than starting over.
    The text is read before the transaction opens (see `conversation_create`)."""
    text = clean_body(text)
    _check_attachments(attachments)
    found = reading.inbound_read(text)
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.merged_into_id:
            conversation = Conversation.objects.get(pk=conversation.merged_into_id)
        now = at or timezone.now()
        if conversation.status in DONE_STATUSES:
            _reopen(conversation, actor=author, now=now, reason="customer wrote again")
        elif conversation.status == Status.WAITING_ON_CUSTOMER:
            _set_status(conversation, Status.WAITING_ON_US, actor=author, now=now)
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
        event_record(
            conversation=conversation,
            kind=EventKind.CUSTOMER_REPLIED,
            actor=author,
            at=now,
            message=message.pk,
        )
        conversation.last_message_at = now
        conversation.save(update_fields=["last_message_at"])
    return message


def _change(
    conversation: Conversation,
    field: str,
    new: object,
    kind: EventKind,
    *,
    actor: User | None,
    now: datetime | None,
    **data: object,
) -> bool:
    """Set one field and record the change with its old and new value; no event if unchanged."""
    old = getattr(conversation, field)
    if old == new:
        return False
    setattr(conversation, field, new)
    conversation.save(update_fields=[field])
    event_record(
        conversation=conversation, kind=kind, actor=actor, at=now, old=old, new=new, **data
    )
    return True


def _set_status(
    conversation: Conversation, status: Status, *, actor: User | None, now: datetime
) -> None:
    _change(conversation, "status", status, EventKind.STATUS_CHANGED, actor=actor, now=now)


def _take_ownership(conversation: Conversation, agent: Agent, now: datetime) -> None:
    if conversation.owner_id is None:
        conversation.owner = agent
        conversation.save(update_fields=["owner"])
        assigned_record(
            conversation=conversation, agent=agent, actor=agent.user, how="replied", at=now
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
) -> Message:
    """An agent answers the customer. The coach's findings are kept for the review report.

    The coach advises and never blocks: the reply is sent whatever it found. It reads the
    draft before the transaction opens, so it never holds the write lock.
    """
    text = clean_body(text)
    _check_attachments(attachments)
    if findings is None:
        findings = [f.to_dict() for f in coaching.conversation_coach(conversation, text)]
    now = at or timezone.now()
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        _take_ownership(conversation, agent, now)
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
        fields = ["last_message_at"]
        conversation.last_message_at = now
        if conversation.first_response_at is None:
            conversation.first_response_at = now
            fields.append("first_response_at")
        conversation.save(update_fields=fields)
        event_record(
            conversation=conversation,
            kind=EventKind.REPLIED,
            actor=agent.user,
            at=now,
            message=message.pk,
            agent=agent.pk,
        )
        if resolve:
            _resolve(conversation, agent, now)
        elif conversation.status not in DONE_STATUSES:
            _set_status(conversation, Status.WAITING_ON_CUSTOMER, actor=agent.user, now=now)
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
    event_record(
        conversation=conversation,
        kind=EventKind.NOTED,
        actor=agent.user,
        at=now,
        message=message.pk,
    )
    return message


@transaction.atomic
def conversation_assign(
    *, conversation: Conversation, agent: Agent, actor: User, at: datetime | None = None
) -> None:
    now = at or timezone.now()
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    conversation.owner = agent
    fields = ["owner"]
    if conversation.status == Status.NEW:
        conversation.status = Status.OPEN
        fields.append("status")
    conversation.save(update_fields=fields)
    assigned_record(conversation=conversation, agent=agent, actor=actor, how="assigned", at=now)


def transfer_move(
    conversation: Conversation,
    *,
    to_agent: Agent | None,
    to_team: Team | None,
    agent_teams: Sequence[Team],
) -> dict[str, Any]:
    """Move owner, team and queue place for a transfer (unsaved); returns the event's data.

    An agent in another team takes the conversation into their first team (by name); a transfer
    to a team alone puts it back in the queue at the place the customer earned by waiting.
    """
    from_owner = conversation.owner
    team = conversation.team
    joins_other_team = team is not None and agent_teams and team not in agent_teams
    if to_team is None and to_agent is not None and joins_other_team:
        to_team = agent_teams[0]
    if to_team is not None:
        conversation.team = to_team
    conversation.owner = to_agent
    if to_agent is None:
        conversation.queued_at = conversation.created_at
    if conversation.status == Status.NEW:
        conversation.status = Status.OPEN
    return {
        "from_agent": from_owner.pk if from_owner else None,
        "from_agent_name": from_owner.name if from_owner else "",
        "to_agent": to_agent.pk if to_agent else None,
        "to_agent_name": to_agent.name if to_agent else "",
        "to_team": to_team.pk if to_team else None,
        "to_team_name": to_team.name if to_team else "",
    }


@transaction.atomic
def conversation_transfer(
    *,
    conversation: Conversation,
    actor: Agent,
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
    if to_agent is None and to_team is None:
        raise ValidationError({"to": "Choose an agent or a team to transfer to."})
    if to_agent is not None and to_agent.pk == (conversation.owner_id or 0) and to_team is None:
        raise ValidationError({"to": "The conversation is already with that agent."})
    if len(note) > settings.CAREDESK_MAX_MESSAGE_CHARS:
        raise ValidationError({"note": "The handoff note is too long."})
    now = at or timezone.now()
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    moved = transfer_move(
        conversation,
        to_agent=to_agent,
        to_team=to_team,
        agent_teams=list(to_agent.teams.all()) if to_agent and to_team is None else [],
    )
    conversation.save(update_fields=["team", "owner", "queued_at", "status"])
    event_record(
        conversation=conversation,
        kind=EventKind.TRANSFERRED,
        actor=actor.user,
        at=now,
        note=note,
        **moved,
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
    if severity not in Severity.values:
        raise ValidationError({"severity": "Choose a severity: low, normal, high or urgent."})
    reason = clean_line(reason, field="reason", max_chars=500)
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    _change(
        conversation,
        "severity",
        severity,
        EventKind.SEVERITY_CHANGED,
        actor=actor,
        now=at,
        reason=reason,
    )


def _resolve(conversation: Conversation, agent: Agent, now: datetime) -> None:
    conversation.status = Status.RESOLVED
    conversation.resolved_at = now
    if conversation.owner_id is None:
        conversation.owner = agent
    conversation.save(update_fields=["status", "resolved_at", "owner"])
    event_record(
        conversation=conversation, kind=EventKind.RESOLVED, actor=agent.user, at=now, agent=agent.pk
    )


@transaction.atomic
def conversation_resolve(
    *, conversation: Conversation, agent: Agent, at: datetime | None = None
) -> None:
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.status in DONE_STATUSES:
        raise ValidationError({"status": "This conversation is already resolved."})
    _resolve(conversation, agent, at or timezone.now())


def _reopen(conversation: Conversation, *, actor: User | None, now: datetime, reason: str) -> None:
    conversation.status = Status.OPEN if conversation.owner_id else Status.NEW
    conversation.resolved_at = None
    conversation.closed_at = None
    conversation.queued_at = now
    conversation.save(update_fields=["status", "resolved_at", "closed_at", "queued_at"])
    event_record(
        conversation=conversation, kind=EventKind.REOPENED, actor=actor, at=now, reason=reason
    )


CLOSE_AFTER_DAYS = 7


@transaction.atomic
def conversation_close(*, conversation: Conversation, at: datetime | None = None) -> None:
    """A resolved conversation closes for good; a customer writing again then reopens it."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.status != Status.RESOLVED:
        raise ValidationError({"status": "Only a resolved conversation can be closed."})
    now = at or timezone.now()
    conversation.closed_at = now
    conversation.save(update_fields=["closed_at"])
    _set_status(conversation, Status.CLOSED, actor=None, now=now)


def conversations_close_resolved(*, now: datetime | None = None) -> int:
    """Close what was resolved more than `CLOSE_AFTER_DAYS` ago and not reopened."""
    now = now or timezone.now()
    due = Conversation.objects.filter(
        status=Status.RESOLVED, resolved_at__lte=now - timedelta(days=CLOSE_AFTER_DAYS)
    ).values_list("pk", flat=True)[:1000]
    closed = 0
    for pk in list(due):
        conversation_close(conversation=Conversation(pk=pk), at=now)
        closed += 1
    return closed


@transaction.atomic
def conversation_reopen(*, conversation: Conversation, actor: User, reason: str = "") -> None:
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.status not in DONE_STATUSES:
        raise ValidationError({"status": "Only a resolved or closed conversation can be reopened."})
    if conversation.merged_into_id:
        raise ValidationError({"status": "A merged conversation lives on in the one it joined."})
    _reopen(conversation, actor=actor, now=timezone.now(), reason=reason or "reopened by agent")


@transaction.atomic
def conversation_merge(
    *, source: Conversation, target: Conversation, agent: Agent, at: datetime | None = None
) -> Conversation:
    """Fold a duplicate into the conversation that remains; nothing is lost, both histories stay."""
    if source.pk == target.pk:
        raise ValidationError({"target": "A conversation cannot be merged into itself."})
    if source.customer_id != target.customer_id:
        raise ValidationError({"target": "Only conversations of the same customer can be merged."})
    if target.merged_into_id:
        raise ValidationError(
            {
                "target": "That conversation was itself merged; merge into "
                f"#{target.merged_into_id} instead."
            }
        )
    if source.merged_into_id:
        raise ValidationError({"source": "This conversation is already merged."})
    now = at or timezone.now()
    source = Conversation.objects.select_for_update().get(pk=source.pk)
    target = Conversation.objects.select_for_update().get(pk=target.pk)
    moved = Message.objects.filter(conversation=source).update(conversation=target)
    source.merged_into = target
    source.status = Status.CLOSED
    source.closed_at = now
    source.save(update_fields=["merged_into", "status", "closed_at"])
    event_record(
        conversation=source,
        kind=EventKind.MERGED,
        actor=agent.user,
        at=now,
        into=target.pk,
        messages=moved,
    )
    event_record(
        conversation=target,
        kind=EventKind.MERGED,
        actor=agent.user,
        at=now,
        merged_from=source.pk,
        messages=moved,
        subject=source.subject,
    )
    target.last_message_at = max(target.last_message_at, source.last_message_at)
    target.save(update_fields=["last_message_at"])
    return target


@transaction.atomic
def rating_submit(
    *,
    conversation: Conversation,
    user: User,
    satisfaction: int,
    effort: int,
    comment: str = "",
    at: datetime | None = None,
) -> Rating:
    """The customer rates a resolved conversation: how satisfied, and how much effort it took."""
    conversation = (
        Conversation.objects.select_for_update().select_related("customer").get(pk=conversation.pk)
    )
    if conversation.customer.user_id != user.pk:
        raise PermissionDenied("Only the customer can rate their conversation.")
    if conversation.status not in DONE_STATUSES:
        raise ValidationError({"rating": "You can rate the conversation once it is resolved."})
    errors = {}
    for name, value in (("satisfaction", satisfaction), ("effort", effort)):
        if not isinstance(value, int) or not 1 <= value <= 5:
            errors[name] = f"Choose {name} from 1 to 5."
    if errors:
        raise ValidationError(errors)
    comment = clean_text(comment, field="comment")
    if len(comment) > 2000:
        raise ValidationError({"comment": "Keep the comment under 2,000 characters."})
    now = at or timezone.now()
    rating, _ = Rating.objects.update_or_create(
        conversation=conversation,
        defaults={
            "satisfaction": satisfaction,
            "effort": effort,
            "comment": comment,
            "created_at": now,
        },
    )
    event_record(
        conversation=conversation,
        kind=EventKind.RATED,
        actor=user,
        at=now,
        satisfaction=satisfaction,
        effort=effort,
    )
    return rating
