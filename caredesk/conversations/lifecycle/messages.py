"""Messages: the conversation a customer opens, the customer and agent writing, notes, and the
messages the desk sends by itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from caredesk.conversations.lifecycle.ownership import assigned_event
from caredesk.conversations.lifecycle.plan import Plan, not_merged
from caredesk.conversations.lifecycle.risk import apply_reading, is_latest
from caredesk.conversations.lifecycle.status import mark_reopened, mark_resolved
from caredesk.conversations.models import DONE_STATUSES, Conversation, EventKind, Status
from caredesk.customers.models import Customer
from caredesk.empathy.types import Reading
from caredesk.people.models import Agent, Team, User


def conversation_new(
    *,
    customer: Customer,
    subject: str,
    channel: str,
    team: Team | None,
    severity: int,
    at: datetime,
) -> Conversation:
    """The unsaved conversation a customer's first message opens; it joins the queue at once."""
    return Conversation(
        customer=customer,
        subject=subject,
        channel=channel,
        team=team,
        severity=severity,
        status=Status.NEW,
        created_at=at,
        queued_at=at,
        last_message_at=at,
    )


def conversation_opened(
    conversation: Conversation,
    *,
    actor: User | None,
    at: datetime,
    reading: Reading | None,
) -> Plan:
    """The CREATED event, then what the first message's reading (if any yet) does."""
    plan = Plan(conversation)
    plan.event(EventKind.CREATED, actor, at, channel=conversation.channel)
    if reading is not None:
        apply_reading(plan, reading, known=(), latest=True, at=at)
    return plan


def customer_wrote(
    conversation: Conversation,
    *,
    actor: User | None,
    at: datetime,
    message: object,
    reading: Reading | None,
    newest_other_inbound_at: datetime | None,
) -> Plan:
    """A customer writes again: a resolved conversation reopens rather than starting over.

    The message's event comes before what its reading does (as on creation): the cause first.
    """
    plan = Plan(conversation)
    status = plan.get("status")
    if status in DONE_STATUSES:
        mark_reopened(plan, actor=actor, at=at, reason="customer wrote again")
    elif status == Status.WAITING_ON_CUSTOMER:
        plan.change("status", Status.WAITING_ON_US, EventKind.STATUS_CHANGED, actor, at)
    plan.event(EventKind.CUSTOMER_REPLIED, actor, at, message=message)
    # A back-dated message (an import, a late mail) never makes the conversation look older.
    plan.set("last_message_at", max(plan.get("last_message_at"), at))
    if reading is not None:
        latest = is_latest(at, newest_other_inbound_at)
        apply_reading(plan, reading, known=(), latest=latest, at=at)
    return plan


def agent_replied(
    conversation: Conversation, *, agent: Agent, at: datetime, message: object, resolve: bool
) -> Plan:
    """An agent answers: the first to answer owns it, and the customer's turn begins."""
    not_merged(conversation)
    plan = Plan(conversation)
    if plan.owner_id() is None:
        plan.set("owner", agent)
        assigned_event(plan, agent, agent.user, at, "replied")
    plan.set("last_message_at", at)
    if plan.get("first_response_at") is None:
        plan.set("first_response_at", at)
    plan.event(EventKind.REPLIED, agent.user, at, message=message, agent=agent.pk)
    if resolve:
        mark_resolved(plan, agent, at)
    elif plan.get("status") not in DONE_STATUSES:
        plan.change("status", Status.WAITING_ON_CUSTOMER, EventKind.STATUS_CHANGED, agent.user, at)
    return plan


def noted(conversation: Conversation, *, agent: Agent, at: datetime, message: object) -> Plan:
    not_merged(conversation)
    plan = Plan(conversation)
    plan.event(EventKind.NOTED, agent.user, at, message=message)
    return plan


CARE_MESSAGES = (EventKind.UPDATE_SENT, EventKind.CLOSING_SENT)


def care_message_sent(
    conversation: Conversation, *, kind: EventKind, at: datetime, message: object, **data: Any
) -> Plan:
    """The desk wrote to the customer by itself (a status update, a closing message): one event
    says which. Status, owner and clocks stay: it is the team's turn as before, and only a
    person's reply counts as a response."""
    if kind not in CARE_MESSAGES:
        raise ValueError(f"{kind} is not a message the desk sends by itself")
    plan = Plan(conversation)
    plan.event(kind, None, at, message=message, **data)
    return plan
