"""Keeping the customer in the loop: a status update when the team keeps them waiting too long.

A conversation that waits on the team (new, open, waiting on us) longer than its team's update
interval gets a short message in the team's words (`UpdateTemplate`, coached when saved), shown in
the portal, mailed through the outbound path and recorded as an UPDATE_SENT event.

No state is kept in memory: when the next update is due is read from the messages themselves —
the customer's wait starts at their first message after the desk last wrote to them (a person's
reply or an earlier update), and the update is due one interval later. Each conversation is
decided and sent in one short transaction under its row lock, so a second run (or a worker killed
half-way and started again) finds the update it sent and sends nothing twice; the e-mail is
marked queued in that same transaction, so the outbound sweep sends it even if the enqueue is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from caredesk.care.models import UpdateTemplate
from caredesk.channels.email import outbound
from caredesk.conversations import services
from caredesk.conversations.models import (
    ACTIVE_STATUSES,
    Conversation,
    Direction,
    EventKind,
    Message,
)
from caredesk.empathy.coaching.context import PROTRACTED_HOURS
from caredesk.people.models import Team, User
from caredesk.replies.services import draft_coach
from caredesk.text import clean_text

# A conversation without a team is kept in the loop at the teams' default rhythm.
DEFAULT_INTERVAL_HOURS = 48
TEMPLATE_MAX_CHARS = 2000
BATCH = 500

DEFAULT_TEMPLATE = (
    "Hello {customer_name},\n\n"
    "I'm sorry this is taking so long. Your conversation #{conversation_id} "
    "(\u201c{subject}\u201d) is with our {team} team, who are working on it now and have not "
    "forgotten you.\n\n"
    "You'll hear from us again by {next_update} at the latest, sooner if we have news. "
    "You can reply to this message at any time to add anything."
)

PLACEHOLDERS = {
    "customer_name": "the customer's name",
    "conversation_id": "the conversation number",
    "subject": "the conversation's subject",
    "team": "the team's name",
    "next_update": "when the customer will hear from us next",
}
_TOKEN = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Due:
    """When the customer last heard from the desk, since when they wait, and the next update."""

    last_heard_at: datetime | None
    waiting_since: datetime
    due_at: datetime


def interval_of(team: Team | None) -> timedelta:
    return timedelta(hours=team.update_interval_hours if team else DEFAULT_INTERVAL_HOURS)


def due_of(conversation: Conversation) -> Due:
    """When the conversation's next status update is due, from its stored messages."""
    last_out = Message.objects.filter(
        conversation=conversation, direction=Direction.OUTBOUND
    ).aggregate(at=Max("created_at"))["at"]
    inbound = Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
    if last_out is not None:
        inbound = inbound.filter(created_at__gt=last_out)
    first_in = inbound.order_by("created_at").values_list("created_at", flat=True).first()
    waiting_since = first_in or last_out or conversation.created_at
    return Due(last_out, waiting_since, waiting_since + interval_of(conversation.team))


def next_update_at(conversation: Conversation) -> datetime | None:
    """When the customer will hear from us at the latest, while it is our move; else None."""
    if conversation.status not in ACTIVE_STATUSES or conversation.merged_into_id:
        return None
    return due_of(conversation).due_at


# --- the team's template -----------------------------------------------------------------------


def template_text(team: Team | None) -> str:
    found = UpdateTemplate.objects.filter(team=team).first() if team else None
    return found.text if found else DEFAULT_TEMPLATE


def template_check(text: str) -> None:
    """Only the known ``{name}`` placeholders (no format specs: agents write these)."""
    for m in _TOKEN.finditer(text):
        if m.group(1) not in PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise ValidationError(
                {"text": f"Unknown placeholder \u201c{m.group()}\u201d. Use one of: {known}."}
            )
    if text.count("{") != text.count("}"):
        raise ValidationError({"text": "A brace has no partner: placeholders are {name}."})


@transaction.atomic
def update_template_save(*, team: Team, text: str, user: User) -> UpdateTemplate:
    """Save a team's status update; the coach's findings are kept to show beside it."""
    text = clean_text(text, field="text").strip()
    if not text:
        raise ValidationError({"text": "Write the update the customer will get."})
    if len(text) > TEMPLATE_MAX_CHARS:
        raise ValidationError({"text": f"Keep the update under {TEMPLATE_MAX_CHARS} characters."})
    template_check(text)
    found = UpdateTemplate.objects.select_for_update().filter(team=team).first()
    template = found or UpdateTemplate(team=team)
    template.text = text
    # An update always follows a long wait: the coach reads it as such (expects the apology).
    context = {"waited_hours": PROTRACTED_HOURS, "transfers": 0, "tech_problem": False}
    example = template_fill(text, example=True)
    template.findings = [f.to_dict() for f in draft_coach(example, context)]
    template.updated_at = timezone.now()
    template.updated_by = user
    template.full_clean()
    template.save()
    return template


def when_text(at: datetime) -> str:
    local = timezone.localtime(at)
    return local.strftime("%A %-d %B, %H:%M ") + (local.tzname() or "")


def template_fill(
    text: str,
    *,
    conversation: Conversation | None = None,
    next_at: datetime | None = None,
    example: bool = False,
) -> str:
    """The template with its placeholders filled (with examples, for the coach)."""
    if example or conversation is None:
        values = {
            "customer_name": "Alex",
            "conversation_id": "123",
            "subject": "My order",
            "team": "Support",
            "next_update": "Tuesday 14:00",
        }
    else:
        values = {
            "customer_name": conversation.customer.name,
            "conversation_id": str(conversation.pk),
            "subject": conversation.subject,
            "team": conversation.team.name if conversation.team else "support",
            "next_update": when_text(next_at) if next_at else "soon",
        }
    return _TOKEN.sub(lambda m: values.get(m.group(1), m.group()), text)


# --- the periodic sweep ------------------------------------------------------------------------


def _candidates(now: datetime, limit: int) -> list[int]:
    """Conversations that may be due: their last outbound message (or creation) is at least the
    shortest interval old. The exact check is made under the lock."""
    rows = (
        Conversation.objects.filter(status__in=ACTIVE_STATUSES, merged_into__isnull=True)
        .annotate(
            last_out=Max("messages__created_at", filter=Q(messages__direction=Direction.OUTBOUND))
        )
        .values_list("pk", "created_at", "last_out", "team__update_interval_hours")
        .order_by("pk")
    )
    due: list[int] = []
    for pk, created_at, last_out, hours in rows.iterator():
        interval = timedelta(hours=hours or DEFAULT_INTERVAL_HOURS)
        if (last_out or created_at) + interval <= now:
            due.append(pk)
            if len(due) >= limit:
                break
    return due


def update_send_if_due(*, conversation_id: int, at: datetime | None = None) -> Message | None:
    """Send one conversation's status update if it is due now; None if not (already sent, a
    person answered, it is the customer's move, or it is done)."""
    now = at or timezone.now()
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("team", "customer")
            .filter(pk=conversation_id)
            .first()
        )
        if (
            conversation is None
            or conversation.status not in ACTIVE_STATUSES
            or conversation.merged_into_id
        ):
            return None
        due = due_of(conversation)
        if due.due_at > now:
            return None
        next_at = now + interval_of(conversation.team)
        text = template_fill(
            template_text(conversation.team), conversation=conversation, next_at=next_at
        )
        message = services.care_message_send(
            conversation=conversation,
            kind=EventKind.UPDATE_SENT,
            text=text,
            at=now,
            waiting_since=due.waiting_since.isoformat(),
            next_update_at=next_at.isoformat(),
        )
        outbound.message_delivery_queue(message_id=message.pk)
    return message


def updates_send_due(*, at: datetime | None = None, limit: int = BATCH) -> int:
    """Send every status update due now, one conversation per transaction; returns how many."""
    now = at or timezone.now()
    sent = 0
    for pk in _candidates(now, limit):
        if update_send_if_due(conversation_id=pk, at=now) is not None:
            sent += 1
    return sent
