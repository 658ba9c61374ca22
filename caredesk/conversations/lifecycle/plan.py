"""What one step does to one conversation (a `Plan`), and the guard every change of a merged
conversation meets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError

from caredesk.conversations.models import Conversation, EventKind
from caredesk.people.models import User


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


def not_merged(conversation: Conversation) -> None:
    """A merged conversation is read-only: its story goes on in the one it joined."""
    if conversation.merged_into_id:
        raise ValidationError(
            {
                "status": f"This conversation was merged into #{conversation.merged_into_id}; "
                "carry on there."
            }
        )
