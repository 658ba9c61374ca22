"""Writes for outreach to the silent unhappy: the periodic sweep that opens tasks, and the
agent's outcome.

Safe to run twice or to die half-way: each finding is recorded in its own short transaction
(its `OutreachReason`, unique by key, with its AT_RISK event and, if the customer had none open,
a new `OutreachTask`), so what was recorded is seen by the next run and never recorded again,
and what was not is found again. One open task per customer: the customer's row is locked while
a finding joins or opens their task, and the database refuses a second open one.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from caredesk.care import outreach
from caredesk.care.models import OutreachOutcome, OutreachReason, OutreachTask
from caredesk.conversations import lifecycle, queue
from caredesk.conversations.events import plan_record
from caredesk.conversations.models import Conversation
from caredesk.customers.models import Customer
from caredesk.people.models import Agent, Presence
from caredesk.people.selectors import may_manage_teams
from caredesk.text import clean_text

NOTE_MAX_CHARS = 2000
_KEYS_PER_QUERY = 500


def outreach_sweep(*, at: datetime | None = None) -> int:
    """Run every rule and record each new finding; returns how many were recorded."""
    now = at or timezone.now()
    found = outreach.findings(at=now)
    keys = [f.key for f in found]
    known: set[str] = set()
    for i in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[i : i + _KEYS_PER_QUERY]
        known.update(OutreachReason.objects.filter(key__in=chunk).values_list("key", flat=True))
    recorded = 0
    for finding in found:
        if finding.key not in known and outreach_mark(finding=finding, at=now) is not None:
            recorded += 1
    return recorded


def outreach_agent_for(conversation: Conversation) -> Agent | None:
    """Who reaches out: the conversation's owner, else the least-loaded agent of its team (the
    queue's measure: open conversations against capacity, online agents first); None when it
    has no team with an active agent (the leads see it unassigned)."""
    owner = conversation.owner
    if owner is not None and owner.user.is_active:
        return owner
    if conversation.team is None:
        return None
    loads = [(a, load) for a, load in queue.agent_loads(conversation.team) if a.user.is_active]
    if not loads:
        return None
    loads.sort(
        key=lambda row: (
            row[0].presence != Presence.ONLINE,
            row[1] / max(row[0].capacity, 1),
            row[0].pk,
        )
    )
    return loads[0][0]


@transaction.atomic
def outreach_mark(*, finding: outreach.Finding, at: datetime) -> OutreachReason | None:
    """Record one finding: it joins the customer's open outreach task, or opens one for the
    agent `outreach_agent_for` names, with an AT_RISK event on its conversation. None if this
    finding was recorded before."""
    customer = Customer.objects.select_for_update().get(pk=finding.customer_id)
    if OutreachReason.objects.filter(key=finding.key).exists():
        return None
    conversation = Conversation.objects.select_related("owner__user", "team").get(
        pk=finding.conversation_id
    )
    task = OutreachTask.objects.filter(customer=customer, outcome="").first()
    if task is None:
        task = OutreachTask(
            customer=customer,
            conversation=conversation,
            agent=outreach_agent_for(conversation),
            opened_at=at,
        )
        task.full_clean()
        task.save()
    (event,) = plan_record(
        lifecycle.at_risk(
            conversation, rule=finding.rule, reason=finding.reason, task=task.pk, at=at
        )
    )
    reason = OutreachReason(
        task=task,
        rule=finding.rule,
        key=finding.key,
        reason=finding.reason[:300],
        conversation=conversation,
        event=event,
        created_at=at,
    )
    reason.full_clean()
    reason.save()
    return reason


@transaction.atomic
def outreach_close(
    *,
    task: OutreachTask,
    actor: Agent,
    outcome: str,
    note: str = "",
    at: datetime | None = None,
) -> OutreachTask:
    """The agent who reached out (or a lead) records how it went: reached, recovered or lost.
    The task closes with an OUTREACH_DONE event; the customer's next finding opens a new one."""
    task = (
        OutreachTask.objects.select_for_update(of=("self",))
        .select_related("conversation")
        .get(pk=task.pk)
    )
    if task.agent_id != actor.pk and not may_manage_teams(actor):
        raise PermissionDenied("Only the agent reaching out, or a lead, records the outcome.")
    if not task.is_open:
        raise ValidationError(
            {"outcome": f"This outreach was already recorded as {task.get_outcome_display()}."}
        )
    if outcome not in OutreachOutcome.values:
        raise ValidationError({"outcome": "Choose how it went: reached, recovered or lost."})
    note = clean_text(note, field="note").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise ValidationError({"note": f"Keep the note under {NOTE_MAX_CHARS:,} characters."})
    now = at or timezone.now()
    task.outcome = outcome
    task.note = note
    task.closed_at = now
    task.closed_by = actor.user
    task.full_clean()
    task.save(update_fields=["outcome", "note", "closed_at", "closed_by"])
    plan_record(
        lifecycle.outreach_done(
            task.conversation, actor=actor.user, task=task.pk, outcome=outcome, note=note, at=now
        )
    )
    return task
