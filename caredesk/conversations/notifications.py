"""In-app notifications: what an agent should know about (assigned or transferred to them, the
customer replied, a colleague mentioned them with @name, a risk escalated the conversation).

Made after an event's commit from its topic (`event.<kind>`, see `caredesk.jobs`), at most once
per event and agent (a unique constraint, so a retried task adds nothing). The page marks them
read when the agent opens the conversation or the notifications list.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from caredesk import jobs
from caredesk.conversations.models import (
    Conversation,
    Event,
    EventKind,
    Message,
    Notification,
    NotificationKind,
)
from caredesk.people.models import Agent

# A mention is @ and a first name or an address's local part, not inside an e-mail address.
MENTION = re.compile(r"(?<![\w.])@([\w][\w.-]*)")

KINDS: dict[str, NotificationKind] = {
    EventKind.ASSIGNED: NotificationKind.ASSIGNED,
    EventKind.TRANSFERRED: NotificationKind.TRANSFERRED,
    EventKind.CUSTOMER_REPLIED: NotificationKind.CUSTOMER_REPLIED,
    EventKind.NOTED: NotificationKind.MENTIONED,
    EventKind.ESCALATED: NotificationKind.ESCALATED,
}
TOPICS = tuple(f"event.{kind}" for kind in KINDS)


def notifications_from_event(*, event: int) -> list[Notification]:
    """Make the notifications one event calls for; none twice, whoever calls it again."""
    row = Event.objects.select_related("conversation", "actor").filter(pk=event).first()
    if row is None or row.kind not in KINDS:
        return []
    recipients, text = _recipients(row)
    if row.actor_id is not None:
        recipients = [a for a in recipients if a.user_id != row.actor_id]
    now = timezone.now()
    made = [
        Notification(
            agent=agent,
            conversation=row.conversation,
            event=row,
            kind=KINDS[row.kind],
            text=text[:500],
            created_at=now,
        )
        for agent in {a.pk: a for a in recipients}.values()
    ]
    Notification.objects.bulk_create(made, ignore_conflicts=True)
    rows = list(Notification.objects.filter(event=row).select_related("agent"))
    for notification in rows:
        if notification.agent.notify_by_email:
            # Mailed at most once: the mail is keyed by the notification (channels/email).
            jobs.publish(jobs.NOTIFICATION_MAIL, notification=notification.pk)
    return rows


def _recipients(event: Event) -> tuple[list[Agent], str]:
    conversation, data = event.conversation, event.data
    owner = list(Agent.objects.filter(pk=conversation.owner_id)) if conversation.owner_id else []
    if event.kind == EventKind.ASSIGNED:
        return list(Agent.objects.filter(pk=data.get("agent") or 0)), ""
    if event.kind == EventKind.TRANSFERRED:
        to_agent = Agent.objects.filter(pk=data.get("to_agent") or 0)
        return list(to_agent), str(data.get("note", ""))
    if event.kind == EventKind.CUSTOMER_REPLIED:
        return owner, _message_text(data.get("message"))
    if event.kind == EventKind.ESCALATED:
        return owner, str(data.get("reason", ""))
    text = _message_text(data.get("message"))
    return mentioned_agents(text), text


def _message_text(pk: object) -> str:
    if not isinstance(pk, int):
        return ""
    return Message.objects.filter(pk=pk).values_list("text", flat=True).first() or ""


def mentioned_agents(text: str) -> list[Agent]:
    """The agents a note names with @first-name or @the-part-of-their-address-before-the-@."""
    names = {n.rstrip(".-").lower() for n in MENTION.findall(text)}
    if not names:
        return []
    match = Q()
    for name in names:
        match |= Q(user__first_name__iexact=name) | Q(user__email__istartswith=f"{name}@")
    return list(Agent.objects.filter(match).select_related("user"))


def notifications_unread_count(agent: Agent) -> int:
    return Notification.objects.filter(agent=agent, read_at__isnull=True).count()


def notifications_for(agent: Agent, *, limit: int = 50) -> QuerySet[Notification]:
    """The agent's latest notifications, newest first, bounded."""
    return (
        Notification.objects.filter(agent=agent)
        .select_related("conversation", "event__actor")
        .order_by("-created_at", "-pk")[:limit]
    )


def notifications_mark_read(
    *,
    agent: Agent,
    conversation: Conversation | None = None,
    ids: list[int] | None = None,
    at: datetime | None = None,
) -> int:
    """Mark the agent's unread notifications seen: of one conversation, or those with `ids`."""
    rows = Notification.objects.filter(agent=agent, read_at__isnull=True)
    if conversation is not None:
        rows = rows.filter(conversation=conversation)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=at or timezone.now())
