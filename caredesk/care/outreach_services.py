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
from caredesk.conversations.events import plan_record, plans_record
from caredesk.conversations.models import Conversation
from caredesk.customers.models import Customer
from caredesk.people.models import Agent, Presence
from caredesk.people.selectors import may_manage_teams
from caredesk.text import clean_text

NOTE_MAX_CHARS = 2000
# Findings recorded per transaction: short enough not to hold SQLite's write lock for long
# while the desk is in use; the demo seed passes a larger batch.
SWEEP_BATCH = 100


def outreach_sweep(*, at: datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """Run every rule and record each new finding, `batch` findings per transaction; returns
    how many were recorded."""
    now = at or timezone.now()
    found = outreach.findings(at=now)
    recorded = 0
    for i in range(0, len(found), batch):
        recorded += len(outreach_mark_many(found[i : i + batch], at=now))
    return recorded


Loads = dict[int, list[tuple[Agent, int]]]


def outreach_agent_for(conversation: Conversation, *, loads: Loads | None = None) -> Agent | None:
    """Who reaches out: the conversation's owner, else the least-loaded agent of its team (the
    queue's measure: open conversations against capacity, online agents first); None when it
    has no team with an active agent (the leads see it unassigned). `loads`: the teams' loads
    already counted in this transaction (they do not change while findings are recorded)."""
    owner = conversation.owner
    if owner is not None and owner.user.is_active:
        return owner
    team = conversation.team
    if team is None:
        return None
    if loads is None or team.pk not in loads:
        counted = queue.agent_loads(team)
        if loads is not None:
            loads[team.pk] = counted
    else:
        counted = loads[team.pk]
    active = [(a, load) for a, load in counted if a.user.is_active]
    if not active:
        return None
    active.sort(
        key=lambda row: (
            row[0].presence != Presence.ONLINE,
            row[1] / max(row[0].capacity, 1),
            row[0].pk,
        )
    )
    return active[0][0]


def outreach_mark(*, finding: outreach.Finding, at: datetime) -> OutreachReason | None:
    """Record one finding (see `outreach_mark_many`); None if it was recorded before."""
    made = outreach_mark_many([finding], at=at)
    return made[0] if made else None


def _findings_new(findings: list[outreach.Finding]) -> dict[str, outreach.Finding]:
    """The findings not recorded before, each key once, in the order given."""
    known = set(
        OutreachReason.objects.filter(key__in=[f.key for f in findings]).values_list(
            "key", flat=True
        )
    )
    todo: dict[str, outreach.Finding] = {}
    for finding in findings:
        if finding.key not in known:
            todo.setdefault(finding.key, finding)
    return todo


def _tasks_for(
    todo: dict[str, outreach.Finding],
    conversations: dict[int, Conversation],
    *,
    at: datetime,
) -> dict[int, OutreachTask]:
    """Each finding's customer's open task: the one they have, or one opened (in bulk) for
    the agent `outreach_agent_for` names, the teams' loads counted once."""
    tasks = {
        t.customer_id: t
        for t in OutreachTask.objects.filter(
            customer_id__in={f.customer_id for f in todo.values()}, outcome=""
        )
    }
    loads: Loads = {}
    opened = []
    for finding in todo.values():
        if finding.customer_id not in tasks:
            conversation = conversations[finding.conversation_id]
            task = OutreachTask(
                customer_id=finding.customer_id,
                conversation=conversation,
                agent=outreach_agent_for(conversation, loads=loads),
                opened_at=at,
            )
            tasks[finding.customer_id] = task
            opened.append(task)
    OutreachTask.objects.bulk_create(opened)
    return tasks


@transaction.atomic
def outreach_mark_many(findings: list[outreach.Finding], *, at: datetime) -> list[OutreachReason]:
    """Record findings in one transaction: each joins its customer's open outreach task, or
    opens one for the agent `outreach_agent_for` names, with an AT_RISK event on its
    conversation. Findings recorded before (or twice in the list) are skipped. The customers'
    rows are locked first, in order: a concurrent sweep waits instead of opening a second task."""
    customer_ids = sorted({f.customer_id for f in findings})
    list(Customer.objects.select_for_update().filter(pk__in=customer_ids).values_list("pk"))
    todo = _findings_new(findings)
    if not todo:
        return []
    conversations = Conversation.objects.select_related("owner__user", "team").in_bulk(
        {f.conversation_id for f in todo.values()}
    )
    tasks = _tasks_for(todo, conversations, at=at)
    plans = [
        lifecycle.at_risk(
            conversations[f.conversation_id],
            rule=f.rule,
            reason=f.reason,
            task=tasks[f.customer_id].pk,
            at=at,
        )
        for f in todo.values()
    ]
    reasons = [
        OutreachReason(
            task=tasks[f.customer_id],
            rule=f.rule,
            key=f.key,
            reason=f.reason[:300],
            conversation=conversations[f.conversation_id],
            event=event,
            created_at=at,
        )
        for f, (event,) in zip(todo.values(), plans_record(plans), strict=True)
    ]
    return OutreachReason.objects.bulk_create(reasons)


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
