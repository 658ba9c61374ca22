"""The shapes the empathy library hands to the desk: plain data, no Django."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

EMOTIONS: tuple[str, ...] = (
    "anger",
    "frustration",
    "worry",
    "sadness",
    "confusion",
    "gratitude",
    "neutral",
)
POLARITIES: tuple[str, ...] = ("negative", "neutral", "positive")
SIGNALS: tuple[str, ...] = (
    "churn_intent",
    "repeated_contact",
    "long_wait",
    "public_escalation",
    "legal_threat",
    "safety",
    "urgency",
)


@dataclass(frozen=True)
class Evidence:
    """A span of the text that supports an emotion or a signal, so the desk can highlight it."""

    start: int
    end: int
    text: str
    label: str  # an emotion or a signal name


@dataclass(frozen=True)
class Reading:
    """What one inbound message tells us about the customer's state."""

    emotion: str
    scores: dict[str, float]
    polarity: str
    intensity: float
    signals: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    confidence: float = 1.0
    low_confidence: bool = False  # e.g. a language the engine does not read
    engine: str = ""
    version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["signals"] = list(self.signals)
        data["evidence"] = [asdict(e) for e in self.evidence]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reading:
        values = dict(data)
        values["signals"] = tuple(values.get("signals", ()))
        values["evidence"] = tuple(Evidence(**e) for e in values.get("evidence", ()))
        return cls(**values)
