"""Where a conversation stands: severity, tags, resolved, closed, reopened, merged and rated."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError

from caredesk.conversations.lifecycle.plan import Plan, not_merged
from caredesk.conversations.lifecycle.risk import keep_risk
from caredesk.conversations.models import DONE_STATUSES, Conversation, EventKind, Status
from caredesk.people.models import Agent, Severity, User


def mark_reopened(plan: Plan, *, actor: User | None, at: datetime, reason: str) -> None:
    plan.set("status", Status.OPEN if plan.owner_id() else Status.NEW)
    plan.set("resolved_at", None)
    plan.set("closed_at", None)
    plan.set("queued_at", at)
    plan.event(EventKind.REOPENED, actor, at, reason=reason)


def mark_resolved(plan: Plan, agent: Agent, at: datetime) -> None:
    plan.set("status", Status.RESOLVED)
    plan.set("resolved_at", at)
    if plan.get("risk_signal"):
        plan.set("risk_signal", "")
    if plan.owner_id() is None:
        plan.set("owner", agent)
    plan.event(EventKind.RESOLVED, agent.user, at, agent=agent.pk)


def severity_changed(
    conversation: Conversation, *, actor: User | None, severity: int, reason: str, at: datetime
) -> Plan:
    if severity not in Severity.values:
        raise ValidationError({"severity": "Choose a severity: low, normal, high or urgent."})
    not_merged(conversation)
    plan = Plan(conversation)
    plan.change("severity", severity, EventKind.SEVERITY_CHANGED, actor, at, reason=reason)
    return plan


def tagged(
    conversation: Conversation,
    *,
    actor: User | None,
    added: Sequence[str],
    removed: Sequence[str],
    at: datetime,
) -> Plan:
    """Tags put on or taken off: no field of the conversation changes, one event says which."""
    not_merged(conversation)
    plan = Plan(conversation)
    if added or removed:
        plan.event(EventKind.TAGGED, actor, at, added=list(added), removed=list(removed))
    return plan


def resolved(conversation: Conversation, *, agent: Agent, at: datetime) -> Plan:
    if conversation.status in DONE_STATUSES:
        raise ValidationError({"status": "This conversation is already resolved."})
    plan = Plan(conversation)
    mark_resolved(plan, agent, at)
    return plan


def closed(conversation: Conversation, *, at: datetime) -> Plan:
    """A resolved conversation closes for good; a customer writing again then reopens it."""
    if conversation.status != Status.RESOLVED:
        raise ValidationError({"status": "Only a resolved conversation can be closed."})
    plan = Plan(conversation)
    plan.set("closed_at", at)
    plan.change("status", Status.CLOSED, EventKind.STATUS_CHANGED, None, at)
    return plan


def reopened(conversation: Conversation, *, actor: User | None, at: datetime, reason: str) -> Plan:
    if conversation.status not in DONE_STATUSES:
        raise ValidationError({"status": "Only a resolved or closed conversation can be reopened."})
    if conversation.merged_into_id:
        raise ValidationError({"status": "A merged conversation lives on in the one it joined."})
    plan = Plan(conversation)
    mark_reopened(plan, actor=actor, at=at, reason=reason or "reopened by agent")
    return plan


def merged(
    source: Conversation, target: Conversation, *, actor: User, at: datetime, moved: int
) -> tuple[Plan, Plan]:
    """Fold a duplicate into the conversation that remains; both histories stay. `moved`: how
    many messages went over. The source is referred to by instance until saved (bulk path)."""
    if (source.pk is not None and source.pk == target.pk) or source is target:
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
    away, into = Plan(source), Plan(target)
    away.set("merged_into", target)
    away.set("status", Status.CLOSED)
    away.set("closed_at", at)
    away.event(EventKind.MERGED, actor, at, into=target.pk or target, messages=moved)
    into.event(
        EventKind.MERGED,
        actor,
        at,
        merged_from=source.pk or source,
        messages=moved,
        subject=source.subject,
    )
    into.set("last_message_at", max(target.last_message_at, source.last_message_at))
    if source.status not in DONE_STATUSES:
        # The customer is still waiting on the duplicate: the one that remains takes its place
        # in the queue and its open risk, reopened (with its event) if it was resolved.
        if target.status in DONE_STATUSES:
            mark_reopened(
                into, actor=actor, at=at, reason="an open conversation was merged into it"
            )
            into.set("queued_at", min(source.queued_at, at))
        keep_risk(into, [source.risk_signal] if source.risk_signal else [])
    return away, into


def rated(
    conversation: Conversation,
    *,
    actor: User | None,
    satisfaction: int,
    effort: int,
    at: datetime,
) -> Plan:
    """The customer's rating of a resolved conversation (the `Rating` row is the caller's)."""
    if conversation.status not in DONE_STATUSES:
        raise ValidationError({"rating": "You can rate the conversation once it is resolved."})
    errors = {}
    for name, value in (("satisfaction", satisfaction), ("effort", effort)):
        if not isinstance(value, int) or not 1 <= value <= 5:
            errors[name] = f"Choose {name} from 1 to 5."
    if errors:
        raise ValidationError(errors)
    plan = Plan(conversation)
    plan.event(EventKind.RATED, actor, at, satisfaction=satisfaction, effort=effort)
    return plan
