"""The reading's risk policy: what a reading's signals do to a conversation's severity, its open
risk and its escalation."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from caredesk.conversations.lifecycle.plan import Plan
from caredesk.conversations.models import Conversation, EventKind
from caredesk.empathy.types import Reading
from caredesk.people.models import DEFAULT_SIGNAL_POLICY, ESCALATING_SIGNALS, Severity, Team


def signal_policy(team: Team | None) -> dict[str, int]:
    """The default policy with the team's own choices on top (ignoring values that are not a
    severity: the team service validates what it stores)."""
    policy = dict(DEFAULT_SIGNAL_POLICY)
    if team is not None and team.signal_policy:
        for signal, severity in team.signal_policy.items():
            if severity in Severity.values:
                policy[signal] = int(severity)
    return policy


def risk_raise(
    severity: int, policy: Mapping[str, int], signals: Sequence[str]
) -> tuple[int, str] | None:
    """The severity a reading's signals call for, and the reason, if above the current one."""
    raised = [(policy[s], s) for s in signals if s in policy]
    if not raised:
        return None
    target, _ = max(raised)
    if target <= severity:
        return None
    reasons = ", ".join(sorted(s.replace("_", " ") for sev, s in raised if sev == target))
    return target, f"risk signal: {reasons}"


def strongest_signal(policy: Mapping[str, int], signals: Collection[str]) -> str:
    """The risk signal that calls for the highest severity (ties: the policy's order), or ""."""
    order = list(policy)
    ranked = [(policy[s], -order.index(s), s) for s in signals if s in policy]
    return max(ranked)[2] if ranked else ""


def keep_risk(plan: Plan, signals: Collection[str]) -> None:
    """The strongest risk the customer raised since the conversation was last opened stays on
    the inbox row until it is resolved, whatever their next message says."""
    current = plan.get("risk_signal")
    strongest = strongest_signal(signal_policy(plan.get("team")), {current, *signals} - {""})
    if strongest != current:
        plan.set("risk_signal", strongest)


def is_latest(at: datetime, newest_other_inbound_at: datetime | None) -> bool:
    """A message is the one on show unless another inbound message is newer (ties: this one)."""
    return newest_other_inbound_at is None or newest_other_inbound_at <= at


def apply_reading(
    plan: Plan,
    reading: Reading,
    *,
    known: Collection[str],
    latest: bool,
    at: datetime,
) -> None:
    standing = plan.get("risk_signal")  # the risk already open before this reading
    if latest:
        plan.set("emotion", reading.emotion)
        plan.set("intensity", round(reading.intensity, 3))
        plan.set("confidence", round(reading.confidence, 3))
        plan.set("low_confidence", reading.low_confidence)
        plan.set("signals", list(reading.signals))
    keep_risk(plan, reading.signals)  # latest or not: a risk once said stays open
    # A second reading acts only on signals the first did not have; an older message read late
    # keeps the newest reading on show, but a risk in it still acts.
    fresh = [s for s in reading.signals if s not in known]
    raise_to = risk_raise(plan.get("severity"), signal_policy(plan.get("team")), fresh)
    if raise_to is not None:
        target, reason = raise_to
        plan.change("severity", target, EventKind.SEVERITY_CHANGED, None, at, reason=reason[:500])
        if target >= Severity.URGENT:
            plan.event(EventKind.ESCALATED, None, at, signals=sorted(fresh), reason=reason)
            return
    _escalate_at_once(plan, fresh, standing=standing, at=at)


def _escalate_at_once(plan: Plan, fresh: Sequence[str], *, standing: str, at: datetime) -> None:
    """A fresh signal that escalates at once (churn intent under the default policy) escalates
    below Urgent too, once: not while a risk that escalated is still open on the conversation
    (until it is resolved), so the customer saying it again tells the leads nothing new."""
    found = sorted(s for s in fresh if s in ESCALATING_SIGNALS)
    if not found or standing in ESCALATING_SIGNALS:
        return
    reason = "risk signal: " + ", ".join(s.replace("_", " ") for s in found)
    plan.event(EventKind.ESCALATED, None, at, signals=sorted(fresh), reason=reason)


def message_read(
    conversation: Conversation,
    *,
    reading: Reading,
    known: Collection[str] = (),
    latest: bool,
    at: datetime,
) -> Plan:
    """A reading kept for an inbound message (late, or the refine engine's second one)."""
    plan = Plan(conversation)
    apply_reading(plan, reading, known=known, latest=latest, at=at)
    return plan
