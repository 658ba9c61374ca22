"""The lifecycle keeps the strongest open risk on the conversation and a merge keeps the open
state of the customer's problem (pure functions: no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from caredesk.conversations import lifecycle
from caredesk.conversations.models import Conversation, EventKind, Status
from caredesk.empathy.types import Reading
from caredesk.people.models import DEFAULT_SIGNAL_POLICY, Agent, User

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _reading(*signals: str) -> Reading:
    return Reading(
        emotion="frustration", scores={}, polarity="negative", intensity=0.6, signals=signals
    )


def _conversation(pk: int, status: str = Status.NEW, **fields: object) -> Conversation:
    return Conversation(
        pk=pk,
        customer_id=1,
        subject=f"Problem {pk}",
        status=status,
        severity=2,
        created_at=T0,
        queued_at=T0,
        last_message_at=T0,
        **fields,
    )


def test_the_strongest_signal_follows_the_policy() -> None:
    assert lifecycle.strongest_signal(DEFAULT_SIGNAL_POLICY, ["churn_intent", "safety"]) == "safety"
    assert lifecycle.strongest_signal(DEFAULT_SIGNAL_POLICY, ["long_wait", "churn_intent"]) == (
        "churn_intent"  # same severity: the policy's order decides
    )
    assert lifecycle.strongest_signal(DEFAULT_SIGNAL_POLICY, ["unknown"]) == ""


def test_a_calmer_message_does_not_hide_an_open_risk() -> None:
    c = _conversation(1)
    lifecycle.message_read(c, reading=_reading("public_escalation"), latest=True, at=T0).apply()
    plan = lifecycle.message_read(c, reading=_reading("long_wait"), latest=True, at=T0)
    plan.apply()
    assert c.signals == ["long_wait"] and c.risk_signal == "public_escalation"
    lifecycle.message_read(c, reading=_reading(), latest=True, at=T0).apply()
    assert c.risk_signal == "public_escalation"


def test_resolving_closes_the_risk() -> None:
    c = _conversation(1, risk_signal="churn_intent")
    agent = Agent(pk=7, user=User(pk=7))
    plan = lifecycle.resolved(c, agent=agent, at=T0)
    assert plan.changes["risk_signal"] == ""


def test_an_open_duplicate_reopens_the_resolved_one_it_joins() -> None:
    later = T0 + timedelta(days=3)
    target = _conversation(1, Status.RESOLVED, resolved_at=T0)
    source = _conversation(2, risk_signal="churn_intent")
    source.queued_at = T0 + timedelta(days=2)
    away, into = lifecycle.merged(source, target, actor=User(pk=9), at=later, moved=1)
    assert into.changes["status"] == Status.NEW and into.changes["resolved_at"] is None
    assert into.changes["queued_at"] == source.queued_at
    assert into.changes["risk_signal"] == "churn_intent"
    assert [e.kind for e in into.events] == [EventKind.MERGED, EventKind.REOPENED]
    assert away.changes["status"] == Status.CLOSED


def test_a_resolved_duplicate_leaves_the_one_it_joins_as_it_is() -> None:
    target = _conversation(1, Status.RESOLVED, resolved_at=T0)
    source = _conversation(2, Status.RESOLVED, resolved_at=T0)
    _, into = lifecycle.merged(source, target, actor=User(pk=9), at=T0, moved=1)
    assert "status" not in into.changes
