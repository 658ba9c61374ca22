"""Reading every inbound message on arrival, and letting risk raise severity.

The engine is the one named by `CAREDESK_EMOTION_ENGINE` (a dotted path), else the library's
default.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings

from caredesk.conversations.events import event_record
from caredesk.conversations.models import Conversation, Direction, EventKind, Message, Severity
from caredesk.empathy.types import Reading

# Which signal lifts a conversation to which severity, unless the team sets its own policy.
DEFAULT_SIGNAL_POLICY: dict[str, int] = {
    "safety": Severity.URGENT,
    "legal_threat": Severity.URGENT,
    "public_escalation": Severity.URGENT,
    "churn_intent": Severity.HIGH,
    "repeated_contact": Severity.HIGH,
    "long_wait": Severity.HIGH,
    "urgency": Severity.HIGH,
}


@lru_cache(maxsize=4)
def _engine(path: str) -> Any:
    from caredesk.empathy.emotion import get_engine

    return get_engine(path or None)


def engine() -> Any:
    return _engine(settings.CAREDESK_EMOTION_ENGINE or "")


def analyze(text: str) -> Reading:
    reading: Reading = engine().analyze(text)
    return reading


def signal_policy(conversation: Conversation) -> dict[str, int]:
    policy = dict(DEFAULT_SIGNAL_POLICY)
    team = conversation.team
    if team is not None and team.signal_policy:
        for signal, severity in team.signal_policy.items():
            if severity in Severity.values:
                policy[signal] = int(severity)
    return policy


def message_read(*, message: Message) -> Reading | None:
    """Read an inbound message, keep the reading, and raise severity if a risk calls for it."""
    if message.direction != Direction.INBOUND:
        return None
    reading = analyze(message.text)
    message.reading = reading.to_dict()
    message.save(update_fields=["reading"])
    conversation = message.conversation
    conversation.emotion = reading.emotion
    conversation.intensity = round(reading.intensity, 3)
    conversation.signals = list(reading.signals)
    conversation.save(update_fields=["emotion", "intensity", "signals"])
    _apply_signal_policy(conversation, reading)
    return reading


def _apply_signal_policy(conversation: Conversation, reading: Reading) -> None:
    policy = signal_policy(conversation)
    raised = [(policy[s], s) for s in reading.signals if s in policy]
    if not raised:
        return
    target, _ = max(raised)
    if target <= conversation.severity:
        return
    from caredesk.conversations.services import severity_change

    reasons = ", ".join(sorted(s.replace("_", " ") for sev, s in raised if sev == target))
    severity_change(
        conversation=conversation, actor=None, severity=target, reason=f"risk signal: {reasons}"
    )
    conversation.refresh_from_db(fields=["severity"])
    if target >= Severity.URGENT:
        event_record(
            conversation=conversation,
            kind=EventKind.ESCALATED,
            actor=None,
            signals=sorted(reading.signals),
            notify="leads",
        )
