"""How a conversation moves: every change decided here, once, without the database.

Each function takes a conversation as it stands (its fields, read from the instance; the
services load what they need first), a step and its time `at`, and returns a `Plan`: the field
changes and the events to record, in order. Nothing here queries, saves or asks the clock.
The services lock, call one of these and save the plan (`events.plan_record`); the demo's bulk
path (`demo/fast.py`) calls the same functions on in-memory conversations and saves in bulk, so
the two can never drift apart (`conversations/tests/test_lifecycle_parity.py`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError

from caredesk.conversations.models import DONE_STATUSES, Conversation, EventKind, Status
from caredesk.customers.models import Customer
from caredesk.empathy.types import Reading
from caredesk.people.models import (
    DEFAULT_SIGNAL_POLICY,
    ESCALATING_SIGNALS,
    Agent,
    Severity,
    Team,
    User,
)

# Words that say the customer hit technology trouble: the coach then expects an apology.
TECH_PROBLEM = re.compile(
    r"\b(?:error|crash\w*|bug|glitch\w*|freez\w*|frozen|outage|offline|not working|"
    r"(?:won't|doesn't|does not|can't|cannot|couldn't) (?:load|log ?in|sign ?in|connect|open)|"
    r"keeps? (?:crashing|freezing|failing|dropping)|"
    r"(?:app|site|website|portal|router|wi-?fi|internet|connection|checkout|payment page) "
    r"(?:is |was |keeps )?(?:down|broken|failing|failed|dropping))\b",
    re.IGNORECASE,
)

# The coach looks at this many of the customer's latest messages.
COACH_INBOUND = 10


@dataclass(frozen=True)
class EventSpec:
    """One event to record; `data` may hold a message or conversation not yet saved (the bulk
    path turns them into ids when it inserts)."""

    kind: EventKind
    actor: User | None
    at: datetime
    data: dict[str, Any]


@dataclass
class Plan:
    """What one step does to one conversation: field changes (in order) and events."""

    conversation: Conversation
    changes: dict[str, Any] = field(default_factory=dict)
    events: list[EventSpec] = field(default_factory=list)

    def get(self, name: str) -> Any:
        return self.changes[name] if name in self.changes else getattr(self.conversation, name)

    def owner_id(self) -> int | None:
        if "owner" in self.changes:
            owner = self.changes["owner"]
            return owner.pk if owner is not None else None
        return self.conversation.owner_id

    def set(self, name: str, value: Any) -> None:
        self.changes[name] = value

    def event(self, kind: EventKind, actor: User | None, at: datetime, **data: Any) -> None:
        self.events.append(EventSpec(kind=kind, actor=actor, at=at, data=data))

    def change(
        self, name: str, new: Any, kind: EventKind, actor: User | None, at: datetime, **data: Any
    ) -> bool:
        """Set one field and record the change with its old and new value; none if unchanged."""
        old = self.get(name)
        if old == new:
            return False
        self.set(name, new)
        self.event(kind, actor, at, old=old, new=new, **data)
        return True

    def apply(self) -> list[str]:
        """Set the changes on the conversation; returns the fields to save."""
        for name, value in self.changes.items():
            setattr(self.conversation, name, value)
        return list(self.changes)

    @property
    def escalated(self) -> bool:
        return any(e.kind == EventKind.ESCALATED for e in self.events)


# -- the reading's risk policy ----------------------------------------------------------------


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


def _keep_risk(plan: Plan, signals: Collection[str]) -> None:
    """The strongest risk the customer raised since the conversation was last opened stays on
    the inbox row until it is resolved, whatever their next message says."""
    current = plan.get("risk_signal")
    strongest = strongest_signal(signal_policy(plan.get("team")), {current, *signals} - {""})
    if strongest != current:
        plan.set("risk_signal", strongest)


def is_latest(at: datetime, newest_other_inbound_at: datetime | None) -> bool:
    """A message is the one on show unless another inbound message is newer (ties: this one)."""
    return newest_other_inbound_at is None or newest_other_inbound_at <= at


def _read(
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
        plan.set("signals", list(reading.signals))
    _keep_risk(plan, reading.signals)  # latest or not: a risk once said stays open
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
    _read(plan, reading, known=known, latest=latest, at=at)
    return plan


# -- steps ------------------------------------------------------------------------------------


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
        _read(plan, reading, known=(), latest=True, at=at)
    return plan


def _reopen(plan: Plan, *, actor: User | None, at: datetime, reason: str) -> None:
    plan.set("status", Status.OPEN if plan.owner_id() else Status.NEW)
    plan.set("resolved_at", None)
    plan.set("closed_at", None)
    plan.set("queued_at", at)
    plan.event(EventKind.REOPENED, actor, at, reason=reason)


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
        _reopen(plan, actor=actor, at=at, reason="customer wrote again")
    elif status == Status.WAITING_ON_CUSTOMER:
        plan.change("status", Status.WAITING_ON_US, EventKind.STATUS_CHANGED, actor, at)
    plan.event(EventKind.CUSTOMER_REPLIED, actor, at, message=message)
    plan.set("last_message_at", at)
    if reading is not None:
        latest = is_latest(at, newest_other_inbound_at)
        _read(plan, reading, known=(), latest=latest, at=at)
    return plan


def _not_merged(conversation: Conversation) -> None:
    """A merged conversation is read-only: its story goes on in the one it joined."""
    if conversation.merged_into_id:
        raise ValidationError(
            {
                "status": f"This conversation was merged into #{conversation.merged_into_id}; "
                "carry on there."
            }
        )


def _assigned(plan: Plan, agent: Agent, actor: User | None, at: datetime, how: str) -> None:
    plan.event(EventKind.ASSIGNED, actor, at, agent=agent.pk, agent_name=agent.name, how=how)


def _resolve(plan: Plan, agent: Agent, at: datetime) -> None:
    plan.set("status", Status.RESOLVED)
    plan.set("resolved_at", at)
    if plan.get("risk_signal"):
        plan.set("risk_signal", "")
    if plan.owner_id() is None:
        plan.set("owner", agent)
    plan.event(EventKind.RESOLVED, agent.user, at, agent=agent.pk)


def agent_replied(
    conversation: Conversation, *, agent: Agent, at: datetime, message: object, resolve: bool
) -> Plan:
    """An agent answers: the first to answer owns it, and the customer's turn begins."""
    _not_merged(conversation)
    plan = Plan(conversation)
    if plan.owner_id() is None:
        plan.set("owner", agent)
        _assigned(plan, agent, agent.user, at, "replied")
    plan.set("last_message_at", at)
    if plan.get("first_response_at") is None:
        plan.set("first_response_at", at)
    plan.event(EventKind.REPLIED, agent.user, at, message=message, agent=agent.pk)
    if resolve:
        _resolve(plan, agent, at)
    elif plan.get("status") not in DONE_STATUSES:
        plan.change("status", Status.WAITING_ON_CUSTOMER, EventKind.STATUS_CHANGED, agent.user, at)
    return plan


def noted(conversation: Conversation, *, agent: Agent, at: datetime, message: object) -> Plan:
    _not_merged(conversation)
    plan = Plan(conversation)
    plan.event(EventKind.NOTED, agent.user, at, message=message)
    return plan


def assigned(
    conversation: Conversation, *, agent: Agent, actor: User | None, at: datetime, how: str
) -> Plan:
    """An agent now owns the conversation; `how` says by what (assigned, auto, take_next…)."""
    plan = Plan(conversation)
    plan.set("owner", agent)
    if plan.get("status") == Status.NEW:
        plan.set("status", Status.OPEN)
    _assigned(plan, agent, actor, at, how)
    return plan


def transferred(
    conversation: Conversation,
    *,
    actor: User,
    note: str,
    to_agent: Agent | None,
    to_team: Team | None,
    agent_teams: Sequence[Team],
    at: datetime,
) -> Plan:
    """A warm transfer. An agent in another team takes the conversation into their first team
    (by name); a transfer to a team alone puts it back in the queue at the place the customer
    earned by waiting. `agent_teams`: the receiving agent's teams, by name (only needed when
    no team is named)."""
    _not_merged(conversation)
    if to_agent is None and to_team is None:
        raise ValidationError({"to": "Choose an agent or a team to transfer to."})
    if to_agent is not None and to_agent.pk == (conversation.owner_id or 0) and to_team is None:
        raise ValidationError({"to": "The conversation is already with that agent."})
    plan = Plan(conversation)
    from_owner = conversation.owner
    team = conversation.team
    joins_other_team = team is not None and agent_teams and team not in agent_teams
    if to_team is None and to_agent is not None and joins_other_team:
        to_team = agent_teams[0]
    plan.set("team", to_team if to_team is not None else team)
    plan.set("owner", to_agent)
    plan.set("queued_at", conversation.created_at if to_agent is None else conversation.queued_at)
    plan.set("status", Status.OPEN if conversation.status == Status.NEW else conversation.status)
    plan.event(
        EventKind.TRANSFERRED,
        actor,
        at,
        note=note,
        from_agent=from_owner.pk if from_owner else None,
        from_agent_name=from_owner.name if from_owner else "",
        to_agent=to_agent.pk if to_agent else None,
        to_agent_name=to_agent.name if to_agent else "",
        to_team=to_team.pk if to_team else None,
        to_team_name=to_team.name if to_team else "",
    )
    return plan


def severity_changed(
    conversation: Conversation, *, actor: User | None, severity: int, reason: str, at: datetime
) -> Plan:
    if severity not in Severity.values:
        raise ValidationError({"severity": "Choose a severity: low, normal, high or urgent."})
    _not_merged(conversation)
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
    _not_merged(conversation)
    plan = Plan(conversation)
    if added or removed:
        plan.event(EventKind.TAGGED, actor, at, added=list(added), removed=list(removed))
    return plan


def resolved(conversation: Conversation, *, agent: Agent, at: datetime) -> Plan:
    if conversation.status in DONE_STATUSES:
        raise ValidationError({"status": "This conversation is already resolved."})
    plan = Plan(conversation)
    _resolve(plan, agent, at)
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
    _reopen(plan, actor=actor, at=at, reason=reason or "reopened by agent")
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
            _reopen(into, actor=actor, at=at, reason="an open conversation was merged into it")
            into.set("queued_at", min(source.queued_at, at))
        _keep_risk(into, [source.risk_signal] if source.risk_signal else [])
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


# -- SLA timers (care/sla.py decides when; these say what each step changes) ------------------


def sla_warned(
    conversation: Conversation, *, target: str, cycle: str, due: datetime, at: datetime
) -> Plan:
    """The owner is told a target is near: one event naming the target and its due time."""
    plan = Plan(conversation)
    plan.event(EventKind.SLA_WARNED, None, at, target=target, cycle=cycle, due=due.isoformat())
    return plan


def sla_breached(
    conversation: Conversation, *, target: str, cycle: str, over_minutes: int, at: datetime
) -> Plan:
    """A target was missed: the event says which and by how much, then the severity rises one
    step (up to urgent) with that as its reason."""
    plan = Plan(conversation)
    plan.event(
        EventKind.SLA_BREACHED, None, at, target=target, cycle=cycle, over_minutes=over_minutes
    )
    severity = plan.get("severity")
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


# -- the coach's view -------------------------------------------------------------------------


def coach_context(
    conversation: Conversation,
    *,
    inbound: Sequence[tuple[str, dict[str, Any] | None]],
    transfers: int,
    at: datetime,
) -> dict[str, Any]:
    """What the desk knows when an agent writes at `at`: the latest reading, transfers so far,
    how long the problem has run (to its resolution, or to `at`), and whether it sounds like
    technology trouble. `inbound`: the customer's latest messages (text, reading), newest first."""
    latest = inbound[:COACH_INBOUND]
    end = conversation.resolved_at if conversation.status in DONE_STATUSES else at
    waited = ((end or at) - conversation.created_at).total_seconds() / 3600
    return {
        "reading": next((r for _, r in latest if r), None),
        "transfers": transfers,
        "waited_hours": round(waited, 1),
        "tech_problem": any(TECH_PROBLEM.search(text) for text, _ in latest),
        # how much the customer wrote last: the coach finds a two-word answer to it curt
        "customer_words": len(latest[0][0].split()) if latest else 0,
    }
