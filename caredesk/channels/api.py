"""The JSON API (django-ninja), with its OpenAPI schema at /api/openapi.json and docs at /api/docs.

Handlers only parse, call one service or selector, and shape the answer. Authentication is a bearer
token (`caredesk token`) or the browser session with its CSRF token. Every error, whatever its
status, answers in one JSON shape (`ErrorOut`, see `api_errors`), and every route documents the
statuses it can return. Numbers from the client are bounded in the schema (a 422, never a database
error); text is checked by the services (a 400 naming the field).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, NinjaAPI, P, PathEx, QueryEx, Schema, Status
from ninja.security import HttpBearer, django_auth

from caredesk.channels import api_errors
from caredesk.channels.api_errors import responses
from caredesk.conversations import queue, reading, services
from caredesk.conversations.coaching import coach_context
from caredesk.conversations.models import Channel, Conversation, Direction, Severity
from caredesk.conversations.text import check_encodable
from caredesk.customers.services import customer_get_or_create_by_email
from caredesk.empathy.emotion import ENGINES
from caredesk.empathy.emotion.minilm import ModelMissing
from caredesk.people.models import Agent, ApiToken, Team, User
from caredesk.people.selectors import agent_of, conversations_visible_to
from caredesk.replies.services import draft_coach


class BearerToken(HttpBearer):
    """A token's `last_used_at` is written at most once a minute, so a read-only call otherwise
    writes nothing (on SQLite every write waits for the one write lock); and a busy database
    never fails the request over it: the write is skipped and logged."""

    TOUCH_EVERY_SECONDS = 60

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        digest = hashlib.sha256(token.encode()).hexdigest()
        row = ApiToken.objects.select_related("user").filter(digest=digest).first()
        if row is None or not row.user.is_active:
            return None
        self._touch(row)
        request.user = row.user
        return row.user

    def _touch(self, row: ApiToken) -> None:
        now, last = timezone.now(), row.last_used_at
        if last is not None and (now - last).total_seconds() < self.TOUCH_EVERY_SECONDS:
            return
        try:
            with transaction.atomic():  # a savepoint: a failure leaves the request's work intact
                # Compare-and-set: of two requests at the same moment, one writes.
                ApiToken.objects.filter(pk=row.pk, last_used_at=last).update(last_used_at=now)
        except DatabaseError:
            logging.getLogger(__name__).warning(
                "API token %s: last use not recorded (database busy)", row.pk, exc_info=True
            )


api = NinjaAPI(
    title="Caredesk API",
    version="1",
    description="Conversations, messages, the fair queue, and the empathy tools.",
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
)

api_errors.install(api)

# Ids are 64-bit (BigAutoField); a larger number is refused in the schema, not by the database.
MAX_ID = 2**63 - 1
MAX_OFFSET = 1_000_000
Id = PathEx[int, P(ge=1, le=MAX_ID, description="The id.")]


class MessageOut(Schema):
    id: int
    direction: str
    text: str
    html: str
    created_at: datetime
    author: str | None
    reading: dict[str, Any] | None = None


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
    customer_name: str | None = None
    team_id: int | None = Field(None, ge=1, le=MAX_ID)
    severity: int = Field(Severity.NORMAL, ge=min(Severity.values), le=max(Severity.values))


class MessageIn(Schema):
    text: str
    resolve: bool = False


class TransferIn(Schema):
    note: str
    to_agent_id: int | None = Field(None, ge=1, le=MAX_ID)
    to_team_id: int | None = Field(None, ge=1, le=MAX_ID)


def _user(request: HttpRequest) -> User:
    """The authenticated user; every route but the schema requires authentication."""
    if not isinstance(request.user, User):
        raise PermissionDenied("Log in or send a bearer token.")
    return request.user


def _agent_required(request: HttpRequest) -> Agent:
    agent = agent_of(request.user)
    if agent is None:
        raise PermissionDenied("Only agents may do this.")
    return agent


def _message_out(m: Any) -> dict[str, Any]:
    return {
        "id": m.pk,
        "direction": m.direction,
        "text": m.text,
        "html": m.html,
        "created_at": m.created_at,
        "author": str(m.author) if m.author else None,
        "reading": m.reading,
    }


def _detail(request: HttpRequest, conversation: Conversation) -> dict[str, Any]:
    messages = conversation.messages.select_related("author")
    if agent_of(request.user) is None:
        messages = messages.exclude(direction=Direction.NOTE)
    position = queue.queue_position(conversation)
    data = ConversationOut.from_orm(conversation).dict()
    data.update(
        messages=[_message_out(m) for m in messages],
        queue_position=position,
        wait_estimate=queue.wait_estimate(position).text,
    )
    return data


def _visible(request: HttpRequest, pk: int) -> Conversation:
    return get_object_or_404(conversations_visible_to(request.user), pk=pk)  # type: ignore[arg-type]


@api.get(
    "/conversations", response=responses({200: list[ConversationOut]}, 422), tags=["conversations"]
)
def conversation_list(
    request: HttpRequest,
    limit: QueryEx[int, P(ge=1, le=200)] = 50,
    offset: QueryEx[int, P(ge=0, le=MAX_OFFSET)] = 0,
) -> Any:
    qs = conversations_visible_to(request.user).order_by("-last_message_at")  # type: ignore[arg-type]
    return list(qs[offset : offset + limit])


@api.post(
    "/conversations",
    response=responses({201: ConversationDetail}, 400, 403, 404, 413, 422),
    tags=["conversations"],
)
def conversation_create(request: HttpRequest, payload: ConversationIn) -> Any:
    agent = agent_of(request.user)
    if agent is not None:
        if not payload.customer_email:
            raise ValidationError({"customer_email": "Say which customer this is for."})
        customer = customer_get_or_create_by_email(
            email=payload.customer_email, name=payload.customer_name or ""
        )
        author = None
    else:
        own = getattr(request.user, "customer", None)
        if own is None:
            raise PermissionDenied("This account is neither a customer nor an agent.")
        customer, author = own, own.user
    team = get_object_or_404(Team, pk=payload.team_id) if payload.team_id else None
    severity = payload.severity if agent is not None else Severity.NORMAL
    conversation = services.conversation_create(
        customer=customer,
        subject=payload.subject,
        text=payload.text,
        channel=Channel.API,
        author=author,
        team=team,
        severity=severity,  # type: ignore[arg-type]
    )
    return Status(201, _detail(request, conversation))


@api.get(
    "/conversations/{pk}",
    response=responses({200: ConversationDetail}, 404, 422),
    tags=["conversations"],
)
def conversation_get(request: HttpRequest, pk: Id) -> Any:
    return _detail(request, _visible(request, pk))


@api.post(
    "/conversations/{pk}/messages",
    response=responses({201: MessageOut}, 400, 403, 404, 413, 422),
    tags=["conversations"],
)
def message_create(request: HttpRequest, pk: Id, payload: MessageIn) -> Any:
    conversation = _visible(request, pk)
    agent = agent_of(request.user)
    if agent is not None:
        message = services.reply_send(
            conversation=conversation, agent=agent, text=payload.text, resolve=payload.resolve
        )
    else:
        message = services.customer_message_add(
            conversation=conversation, text=payload.text, author=_user(request), channel=Channel.API
        )
    return Status(201, _message_out(message))


@api.post(
    "/conversations/{pk}/transfer",
    response=responses({200: ConversationOut}, 400, 403, 404, 413, 422),
    tags=["conversations"],
)
def conversation_transfer(request: HttpRequest, pk: Id, payload: TransferIn) -> Any:
    agent = _agent_required(request)
    conversation = _visible(request, pk)
    to_agent = get_object_or_404(Agent, pk=payload.to_agent_id) if payload.to_agent_id else None
    to_team = get_object_or_404(Team, pk=payload.to_team_id) if payload.to_team_id else None
    return services.conversation_transfer(
        conversation=conversation,
        actor=agent,
        note=payload.note,
        to_agent=to_agent,
        to_team=to_team,
    )


class QueueEntryOut(Schema):
    position: int
    band: int
    reason: str
    conversation: ConversationOut


@api.get("/queue", response=responses({200: list[QueueEntryOut]}, 403, 422), tags=["queue"])
def queue_list(request: HttpRequest, limit: QueryEx[int, P(ge=1, le=200)] = 50) -> Any:
    agent = _agent_required(request)
    entries = queue.queue_entries(queue.queue_for_agent(agent), limit=limit)
    return [
        {"position": e.position, "band": e.band, "reason": e.reason, "conversation": e.conversation}
        for e in entries
    ]


@api.post(
    "/queue/take-next", response=responses({200: ConversationOut, 204: None}, 403), tags=["queue"]
)
def queue_take_next(request: HttpRequest) -> Any:
    agent = _agent_required(request)
    conversation = queue.take_next(agent=agent)
    if conversation is None:
        return Status(204, None)
    return conversation


class AnalyzeIn(Schema):
    text: str
    engine: str | None = None  # rules, linear, minilm; default: the desk's inline engine


class CoachContextIn(Schema):
    reading: dict[str, Any] | None = None
    transfers: int | None = Field(None, ge=0, le=1000)
    waited_hours: float | None = Field(None, ge=0, le=1_000_000, allow_inf_nan=False)
    tech_problem: bool | None = None


class CoachIn(Schema):
    draft: str
    conversation_id: int | None = Field(None, ge=1, le=MAX_ID)
    context: CoachContextIn | None = None


class FindingOut(Schema):
    start: int
    end: int
    category: str
    reason: str
    rewrites: list[str]
    rule: str
    kind: str


class CoachOut(Schema):
    findings: list[FindingOut]
    context: dict[str, Any]


MAX_ANALYZE_CHARS = 100_000


@api.post(
    "/analyze", response=responses({200: dict[str, Any]}, 400, 403, 413, 422), tags=["empathy"]
)
def analyze(request: HttpRequest, payload: AnalyzeIn) -> Any:
    """The emotion and risk reading of a text: emotion, scores, polarity, intensity, signals."""
    _user(request)
    check_encodable(payload.text, field="text")
    if len(payload.text) > MAX_ANALYZE_CHARS:
        raise ValidationError({"text": f"Send at most {MAX_ANALYZE_CHARS:,} characters."})
    if payload.engine is None:
        return reading.analyze(payload.text).to_dict()
    if payload.engine not in ENGINES:
        raise ValidationError({"engine": f"Choose one of: {', '.join(ENGINES)}."})
    try:
        return reading.engine_named(payload.engine).analyze(payload.text).to_dict()
    except ModelMissing as error:
        raise ValidationError({"engine": str(error)}) from error


@api.post("/coach", response=responses({200: CoachOut}, 400, 403, 404, 413, 422), tags=["empathy"])
def coach(request: HttpRequest, payload: CoachIn) -> Any:
    """The reply coach's findings for a draft, with a conversation's context or one you give."""
    _agent_required(request)
    check_encodable(payload.draft, field="draft")
    if len(payload.draft) > MAX_ANALYZE_CHARS:
        raise ValidationError({"draft": f"Send at most {MAX_ANALYZE_CHARS:,} characters."})
    if payload.conversation_id is not None:
        context = coach_context(_visible(request, payload.conversation_id))
    else:
        context = payload.context.dict() if payload.context else {}
        check_encodable(context, field="context")
    findings = draft_coach(payload.draft, context)
    return {"findings": [f.to_dict() for f in findings], "context": context}
