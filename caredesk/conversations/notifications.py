"""In-app notifications: what an agent should know about (assigned or transferred to them or to
their team, the customer replied, a colleague mentioned them with @name, a risk escalated the
conversation).

Made after an event's commit from its topic (`event.<kind>`, see `caredesk.jobs`), at most once
per event and agent (a unique constraint, so a retried task adds nothing). The page marks them
read when the agent opens the conversation or the notifications list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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

# A mention is @ and a name (see `mentions_find`), not inside an e-mail address.
MENTION = re.compile(r"(?<![\w.])@([\w][\w.-]*)")
# What joins a full name's parts in a mention: @ana.lima, @ana-lima, @ana_lima.
NAME_JOINS = re.compile(r"[._-]+")

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
        return _transfer_recipients(data), str(data.get("note", ""))
    if event.kind == EventKind.CUSTOMER_REPLIED:
        return owner, _message_text(data.get("message"))
    if event.kind == EventKind.ESCALATED:
        return owner, str(data.get("reason", ""))
    text = _message_text(data.get("message"))
    return mentioned_agents(text), text


def _transfer_recipients(data: dict[str, Any]) -> list[Agent]:
    """The receiving agent; for a transfer to a team alone, every active agent of that team (the
    conversation waits in their queue, and nobody would hear of it otherwise)."""
    if data.get("to_agent"):
        return list(Agent.objects.filter(pk=data["to_agent"]))
    if not data.get("to_team"):
        return []
    return list(Agent.objects.filter(teams=data["to_team"], user__is_active=True))


def notification_title(notification: Notification) -> str:
    """What the notification is, in words: a transfer to a team says which team."""
    data = notification.event.data
    if notification.kind == NotificationKind.TRANSFERRED and not data.get("to_agent"):
        return f"Transferred to your team {data.get('to_team_name', '')}".rstrip()
    return str(notification.get_kind_display())


def _message_text(pk: object) -> str:
    if not isinstance(pk, int):
        return ""
    return Message.objects.filter(pk=pk).values_list("text", flat=True).first() or ""


@dataclass(frozen=True)
class Mentions:
    """The agents a note names: each name that fits one agent only notifies that agent; a name
    several agents answer to notifies nobody and is shown to the writer instead."""

    agents: list[Agent] = field(default_factory=list)
    ambiguous: dict[str, list[Agent]] = field(default_factory=dict)


def mentions_find(text: str) -> Mentions:
    """Resolve each @name of a note: the part of an agent's address before the @ (@ana.lima for
    ana.lima@…), a full name joined by dots, dashes or underscores (@Ana.Lima), or a first name
    (@Ana) when only one active agent has it. One query for every name in the note."""
    names = {n.rstrip(".-_").lower() for n in MENTION.findall(text)} - {""}
    if not names:
        return Mentions()
    match = Q()
    for name in names:
        first, _, last = NAME_JOINS.sub(" ", name).partition(" ")
        match |= Q(user__email__istartswith=f"{name}@") | Q(user__first_name__iexact=name)
        if last:
            match |= Q(user__first_name__iexact=first, user__last_name__iexact=last)
    candidates = list(Agent.objects.filter(match, user__is_active=True).select_related("user"))
    found = Mentions()
    for name in sorted(names):
        fits = [a for a in candidates if _key(name) in _names_of(a)]
        if len(fits) == 1 and fits[0] not in found.agents:
            found.agents.append(fits[0])
        elif len(fits) > 1:
            found.ambiguous[name] = fits
    return found


def _key(name: str) -> str:
    """A name as mentions compare it: lower case, its parts joined by one space."""
    return " ".join(NAME_JOINS.sub(" ", name.lower()).split())


def _names_of(agent: Agent) -> set[str]:
    """Every name a note may call an agent by, as `_key` writes it."""
    user = agent.user
    names = {_key(user.email.rpartition("@")[0]), _key(user.first_name)}
    if user.first_name.strip() and user.last_name.strip():
        names.add(_key(f"{user.first_name} {user.last_name}"))
    return names - {""}


def mention_handle(agent: Agent, others: list[Agent]) -> str:
    """How to name one agent in a note so that none of `others` answers to it: the part of their
    address before the @, or their full name joined by dots."""
    user = agent.user
    handles = [user.email.rpartition("@")[0], f"{user.first_name}.{user.last_name}"]
    taken = set().union(*(_names_of(a) for a in others if a != agent))
    fits = [h for h in handles if _key(h) and _key(h) not in taken]
    return "@" + "-".join((fits or handles)[0].split())


def mentions_ambiguous_text(text: str) -> str:
    """For the writer of a note: the @names nobody was told of because several agents answer
    to them, with how to name each; "" when every mention was clear."""
    ambiguous = mentions_find(text).ambiguous
    return " ".join(
        f"@{name} could be "
        + " or ".join(f"{a.name} ({mention_handle(a, agents)})" for a in agents)
        + ", so nobody was told: name one of them."
        for name, agents in ambiguous.items()
    )


def mentioned_agents(text: str) -> list[Agent]:
    """The agents a note names unambiguously (see `mentions_find`)."""
    return mentions_find(text).agents


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
