"""The conversations API's shapes: what goes in and what comes out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from caredesk.apikit import MAX_ID, In
from caredesk.conversations.models import Severity, Status


class AttachmentOut(Schema):
    id: int
    filename: str
    size: int
    content_type: str
    url: str


class MessageOut(Schema):
    id: int
    direction: str
    text: str
    html: str
    created_at: datetime
    author: str | None
    reading: dict[str, Any] | None = None
    attachments: list[AttachmentOut] = []


class ConversationOut(Schema):
    id: int
    subject: str
    status: str
    severity: int
    channel: str
    customer_id: int
    team_id: int | None
    owner_id: int | None
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    emotion: str
    intensity: float | None
    signals: list[str]


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]
    queue_position: int | None
    wait_estimate: str


class ConversationIn(Schema):
    subject: str
    text: str
    customer_email: str | None = None
    customer_external_id: str | None = Field(
        None, max_length=254, description="Your system's id for the customer (agents only)."
    )
    customer_name: str | None = None
    team_id: int | None = Field(None, ge=1, le=MAX_ID)
    severity: int = Field(Severity.NORMAL, ge=min(Severity.values), le=max(Severity.values))


class ConversationPatch(In):
    """Change severity and/or status. Status can be set to `resolved` or, from resolved or closed,
    to `open`; the rest of the lifecycle follows from replies and transfers."""

    severity: int | None = Field(None, ge=min(Severity.values), le=max(Severity.values))
    status: Status | None = None
    reason: str = Field("", max_length=500)


class MessageIn(Schema):
    text: str
    resolve: bool = False


class NoteIn(In):
    text: str


class TransferIn(Schema):
    note: str
    to_agent_id: int | None = Field(None, ge=1, le=MAX_ID)
    to_team_id: int | None = Field(None, ge=1, le=MAX_ID)


class MergeIn(In):
    target_id: int = Field(ge=1, le=MAX_ID, description="The conversation this one joins.")


class ReopenIn(In):
    reason: str = Field("", max_length=500)


class EventOut(Schema):
    id: int
    conversation_id: int
    kind: str
    actor: str | None
    created_at: datetime
    data: dict[str, Any]


class RatingIn(In):
    satisfaction: int = Field(ge=1, le=5)
    effort: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=2000)


class RatingOut(Schema):
    id: int
    conversation_id: int
    satisfaction: int
    effort: int
    comment: str
    created_at: datetime


class QueueEntryOut(Schema):
    position: int
    band: int
    reason: str
    conversation: ConversationOut
