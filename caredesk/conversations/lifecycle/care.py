"""The desk's own watch: SLA timers (care/sla.py decides when) and outreach to the silent unhappy
(care/outreach.py decides who); these say what each step changes and records."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.core.exceptions import ValidationError

from caredesk.conversations.lifecycle.plan import Plan
from caredesk.conversations.models import Conversation, EventKind
from caredesk.people.models import Severity, User

# -- SLA timers (care/sla.py decides when; these say what each step changes) ------------------


def sla_warned(
    conversation: Conversation, *, target: str, cycle: str, due: datetime, at: datetime
) -> Plan:
    """The owner is told a target is near: one event naming the target and its due time."""
    plan = Plan(conversation)
    plan.event(EventKind.SLA_WARNED, None, at, target=target, cycle=cycle, due=due.isoformat())
    return plan


def sla_breached(
    conversation: Conversation,
    *,
    target: str,
    cycle: str,
    over_minutes: int,
    at: datetime,
    left: Mapping[str, int] | None = None,
) -> Plan:
    """A target was missed: the event says which, by how much and whether the severity rose
    (`raised`: the new severity's targets count from here, capped by the time each other run
    had `left`, care/sla.py), then the severity rises one step (up to urgent) with that as its
    reason."""
    plan = Plan(conversation)
    severity = plan.get("severity")
    raised = severity < Severity.URGENT
    plan.event(
        EventKind.SLA_BREACHED,
        None,
        at,
        target=target,
        cycle=cycle,
        over_minutes=over_minutes,
        raised=raised,
        **({"left": dict(left or {})} if raised else {}),
    )
    if severity < Severity.URGENT:
        label = target.replace("_", " ")
        reason = f"SLA breached: {label} target missed by {over_minutes} min"
        plan.change("severity", severity + 1, EventKind.SEVERITY_CHANGED, None, at, reason=reason)
    return plan


def returned(conversation: Conversation, *, at: datetime, reason: str) -> Plan:
    """The owner did not answer in time: the conversation goes back to the fair queue, keeping
    the place the customer earned by waiting (`queued_at` stays)."""
    owner = conversation.owner
    if owner is None:
        raise ValidationError({"owner": "This conversation has no owner to return it from."})
    plan = Plan(conversation)
    plan.set("owner", None)
    plan.event(
        EventKind.RETURNED, None, at, from_agent=owner.pk, from_agent_name=owner.name, reason=reason
    )
    return plan


# -- outreach to the silent unhappy (care/outreach.py decides who; these say what is recorded) --


def at_risk(conversation: Conversation, *, rule: str, reason: str, task: int, at: datetime) -> Plan:
    """The customer looks unhappy and silent: one event naming the rule, its plain reason and
    the outreach task an agent now holds. Nothing on the conversation itself changes."""
    plan = Plan(conversation)
    plan.event(EventKind.AT_RISK, None, at, rule=rule, reason=reason, task=task)
    return plan


def outreach_done(
    conversation: Conversation, *, actor: User, task: int, outcome: str, note: str, at: datetime
) -> Plan:
    """The agent who reached out says how it went (reached, recovered, lost)."""
    plan = Plan(conversation)
    plan.event(EventKind.OUTREACH_DONE, actor, at, task=task, outcome=outcome, note=note)
    return plan
