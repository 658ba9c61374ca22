"""The JSON API (django-ninja), with its OpenAPI schema at /api/openapi.json and docs at /api/docs.

Handlers only parse, call one service or selector, and shape the answer. Authentication is a bearer
token (`caredesk token`) or the browser session with its CSRF token.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import NinjaAPI, Schema, Status
from ninja.security import HttpBearer, django_auth

from caredesk.conversations import queue, reading, services
from caredesk.conversations.coaching import coach_context
from caredesk.conversations.models import Channel, Conversation, Direction, Severity
from caredesk.customers.services import customer_get_or_create_by_email
from caredesk.empathy.emotion import ENGINES
from caredesk.empathy.emotion.minilm import ModelMissing
from caredesk.people.models import Agent, ApiToken, Team, User
from caredesk.people.selectors import agent_of, conversations_visible_to
from caredesk.replies.services import draft_coach


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        digest = hashlib.sha256(token.encode()).hexdigest()
        row = ApiToken.objects.select_related("user").filter(digest=digest).first()
        if row is None or not row.user.is_active:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        return row.user


api = NinjaAPI(
    title="Caredesk API",
    version="1",
    description="Conversations, messages, the fair queue, and the empathy tools.",
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = exc.message_dict if hasattr(exc, "message_dict") else {"__all__": exc.messages}
    detail = " ".join(m for msgs in errors.values() for m in msgs)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=400)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not allowed."}, status=403)


class Error(Schema):
    detail: str


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
    team_id: int | None = None
    severity: int = Severity.NORMAL


class MessageIn(Schema):
    text: str
    resolve: bool = False


class TransferIn(Schema):
    note: str
    to_agent_id: int | None = None
    to_team_id: int | None = None


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


@api.get("/conversations", response=list[ConversationOut], tags=["conversations"])
def conversation_list(request: HttpRequest, limit: int = 50, offset: int = 0) -> Any:
    limit = max(1, min(limit, 200))
    qs = conversations_visible_to(request.user).order_by("-last_message_at")  # type: ignore[arg-type]
    return list(qs[max(offset, 0) : max(offset, 0) + limit])


@api.post(
    "/conversations",
    response={201: ConversationDetail, 400: Error, 403: Error},
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


@api.get("/conversations/{pk}", response=ConversationDetail, tags=["conversations"])
def conversation_get(request: HttpRequest, pk: int) -> Any:
    return _detail(request, _visible(request, pk))


@api.post(
    "/conversations/{pk}/messages", response={201: MessageOut, 400: Error}, tags=["conversations"]
)
def message_create(request: HttpRequest, pk: int, payload: MessageIn) -> Any:
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
    response={200: ConversationOut, 400: Error, 403: Error},
    tags=["conversations"],
)
def conversation_transfer(request: HttpRequest, pk: int, payload: TransferIn) -> Any:
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


@api.get("/queue", response={200: list[QueueEntryOut], 403: Error}, tags=["queue"])
def queue_list(request: HttpRequest, limit: int = 50) -> Any:
    agent = _agent_required(request)
    entries = queue.queue_entries(queue.queue_for_agent(agent), limit=max(1, min(limit, 200)))
    return [
        {"position": e.position, "band": e.band, "reason": e.reason, "conversation": e.conversation}
        for e in entries
    ]


@api.post(
    "/queue/take-next", response={200: ConversationOut, 204: None, 403: Error}, tags=["queue"]
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
    transfers: int | None = None
    waited_hours: float | None = None
    tech_problem: bool | None = None


class CoachIn(Schema):
    draft: str
    conversation_id: int | None = None
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


@api.post("/analyze", response={200: dict[str, Any], 400: Error}, tags=["empathy"])
def analyze(request: HttpRequest, payload: AnalyzeIn) -> Any:
    """The emotion and risk reading of a text: emotion, scores, polarity, intensity, signals."""
    _user(request)
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


@api.post("/coach", response={200: CoachOut, 400: Error, 403: Error}, tags=["empathy"])
def coach(request: HttpRequest, payload: CoachIn) -> Any:
    """The reply coach's findings for a draft, with a conversation's context or one you give."""
    _agent_required(request)
    if len(payload.draft) > MAX_ANALYZE_CHARS:
        raise ValidationError({"draft": f"Send at most {MAX_ANALYZE_CHARS:,} characters."})
    if payload.conversation_id is not None:
        context = coach_context(_visible(request, payload.conversation_id))
    else:
        context = payload.context.dict() if payload.context else {}
    findings = draft_coach(payload.draft, context)
    return {"findings": [f.to_dict() for f in findings], "context": context}
