"""The steps a demo conversation is made of: what happened, when, and by whom.

Agents are referred to by their index in the cast and teams by name, so a story needs no database
and both writers (`slow`, `fast`) can play it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Create:
    at: datetime
    subject: str
    text: str
    channel: str
    team: str | None
    severity: int
    external_id: str = ""


@dataclass(frozen=True)
class CustomerWrites:
    at: datetime
    text: str
    channel: str
    external_id: str = ""


@dataclass(frozen=True)
class Reply:
    at: datetime
    agent: int
    text: str
    resolve: bool = False


@dataclass(frozen=True)
class Note:
    at: datetime
    agent: int
    text: str


@dataclass(frozen=True)
class Assign:
    at: datetime
    agent: int


@dataclass(frozen=True)
class Transfer:
    at: datetime
    actor: int
    note: str
    to_agent: int | None
    to_team: str | None


@dataclass(frozen=True)
class Resolve:
    at: datetime
    agent: int


@dataclass(frozen=True)
class Close:
    """A resolved conversation closes for good (`conversation_close`)."""

    at: datetime


@dataclass(frozen=True)
class Rate:
    at: datetime
    satisfaction: int
    effort: int
    comment: str


@dataclass(frozen=True)
class SeverityChange:
    at: datetime
    actor: int
    severity: int
    reason: str


@dataclass(frozen=True)
class Merge:
    at: datetime
    agent: int
    into: Story


Step = (
    Create
    | CustomerWrites
    | Reply
    | Note
    | Assign
    | Transfer
    | Resolve
    | Close
    | Rate
    | SeverityChange
    | Merge
)


@dataclass(eq=False)
class Story:
    """One conversation's script. Compared by identity, so a `Merge` can point at its target."""

    customer: int
    steps: list[Step] = field(default_factory=list)
