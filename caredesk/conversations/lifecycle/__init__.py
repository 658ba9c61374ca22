"""How a conversation moves: every change decided here, once, without the database.

Each function takes a conversation as it stands (its fields, read from the instance; the
services load what they need first), a step and its time `at`, and returns a `Plan`: the field
changes and the events to record, in order. Nothing here queries, saves or asks the clock.
The services lock, call one of these and save the plan (`events.plan_record`); the demo's bulk
path (`demo/fast.py`) calls the same functions on in-memory conversations and saves in bulk, so
the two can never drift apart (`demo/tests/test_lifecycle_parity.py`).

The steps live by what they change — `messages` (writing), `ownership` (assigning,
transferring), `status` (severity, tags, resolving, merging, rating), `care` (SLA timers,
outreach), `risk` (what a reading does), `coach` (the coach's view) — and are all importable
from here, the one name callers use: `lifecycle.customer_wrote(...)`.
"""

from __future__ import annotations

from caredesk.conversations.lifecycle.care import (
    at_risk,
    outreach_done,
    returned,
    sla_breached,
    sla_warned,
)
from caredesk.conversations.lifecycle.coach import COACH_INBOUND, TECH_PROBLEM, coach_context
from caredesk.conversations.lifecycle.messages import (
    CARE_MESSAGES,
    agent_replied,
    care_message_sent,
    conversation_new,
    conversation_opened,
    customer_wrote,
    noted,
)
from caredesk.conversations.lifecycle.ownership import assigned, transferred
from caredesk.conversations.lifecycle.plan import EventSpec, Plan
from caredesk.conversations.lifecycle.risk import (
    is_latest,
    message_read,
    risk_raise,
    signal_policy,
    strongest_signal,
)
from caredesk.conversations.lifecycle.status import (
    closed,
    merged,
    rated,
    reopened,
    resolved,
    severity_changed,
    tagged,
)

__all__ = [
    "CARE_MESSAGES",
    "COACH_INBOUND",
    "TECH_PROBLEM",
    "EventSpec",
    "Plan",
    "agent_replied",
    "assigned",
    "at_risk",
    "care_message_sent",
    "closed",
    "coach_context",
    "conversation_new",
    "conversation_opened",
    "customer_wrote",
    "is_latest",
    "merged",
    "message_read",
    "noted",
    "outreach_done",
    "rated",
    "reopened",
    "resolved",
    "returned",
    "risk_raise",
    "severity_changed",
    "signal_policy",
    "sla_breached",
    "sla_warned",
    "strongest_signal",
    "tagged",
    "transferred",
]
