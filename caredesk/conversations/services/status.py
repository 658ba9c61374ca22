"""Where a conversation stands: severity, resolved, closed, reopened, merged, and the customer's
rating."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from caredesk.conversations import lifecycle
from caredesk.conversations.events import plan_record
from caredesk.conversations.models import Conversation, Message, Rating, Status
from caredesk.conversations.services.locking import locked
from caredesk.people.models import Agent, User
from caredesk.text import clean_line, clean_text


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
    conversation = locked(conversation)
    plan_record(
        lifecycle.severity_changed(
            conversation,
            actor=actor,
            severity=severity,
            reason=reason,
            at=at or timezone.now(),
        )
    )


@transaction.atomic
def conversation_resolve(
    *, conversation: Conversation, agent: Agent, at: datetime | None = None
) -> None:
    conversation = locked(conversation)
    plan_record(lifecycle.resolved(conversation, agent=agent, at=at or timezone.now()))


CLOSE_AFTER_DAYS = 7


@transaction.atomic
def conversation_close(*, conversation: Conversation, at: datetime | None = None) -> None:
    """A resolved conversation closes for good; a customer writing again then reopens it."""
    conversation = locked(conversation)
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
    conversation = locked(conversation)
    plan_record(
        lifecycle.reopened(conversation, actor=actor, at=at or timezone.now(), reason=reason)
    )


@transaction.atomic
def conversation_merge(
    *, source: Conversation, target: Conversation, agent: Agent, at: datetime | None = None
) -> Conversation:
    """Fold a duplicate into the conversation that remains; nothing is lost, both histories stay."""
    now = at or timezone.now()
    source = locked(source)
    target = locked(target)
    moved = Message.objects.filter(conversation=source).count()
    away, into = lifecycle.merged(source, target, actor=agent.user, at=now, moved=moved)
    Message.objects.filter(conversation=source).update(conversation=target)
    plan_record(away)
    plan_record(into)
    return target


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
