"""Conversations: list (filtered, sorted, paged), create, read, change, transfer, merge, resolve,
reopen, and the fair queue. Handlers parse, call one service or selector, and shape the answer."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import P, QueryEx, Router
from ninja import Status as Answer

from caredesk.apikit import MAX_ID, Cursor, Id, Limit, keyset_page, responses, user_of, utc
from caredesk.conversations import queue, services
from caredesk.conversations.api.common import agent_required, detail, visible
from caredesk.conversations.api.schemas import (
    ConversationDetail,
    ConversationIn,
    ConversationOut,
    ConversationPatch,
    MergeIn,
    QueueEntryOut,
    ReopenIn,
    TransferIn,
)
from caredesk.conversations.models import Channel, Conversation, Severity, Status
from caredesk.conversations.search import (
    SORTS,
    ConversationFilters,
    conversations_filter,
    conversations_newest,
    search_terms,
)
from caredesk.conversations.selectors import conversations_visible_to
from caredesk.customers.services import customer_get_or_create_by_identity
from caredesk.people.models import Agent, Team
from caredesk.people.selectors import agent_of, may_set_severity

router = Router(tags=["conversations"])

MAX_OFFSET = 1_000_000
RefId = QueryEx[int | None, P(ge=1, le=MAX_ID)]
Sort = Literal["-id", "-updated", "updated", "-created", "created", "-severity", "severity"]


@router.get("/conversations", response=responses({200: list[ConversationOut]}, 400, 422))
def conversation_list(
    request: HttpRequest,
    response: HttpResponse,
    limit: Limit = 50,
    cursor: Cursor = None,
    offset: QueryEx[int, P(ge=0, le=MAX_OFFSET)] = 0,
    status: Status | None = None,
    team: RefId = None,
    owner: RefId = None,
    severity: QueryEx[int | None, P(ge=min(Severity.values), le=max(Severity.values))] = None,
    channel: Channel | None = None,
    customer: RefId = None,
    updated_since: datetime | None = None,
    q: QueryEx[str, P(max_length=200)] = "",
    sort: Sort | None = None,
) -> Any:
    """Conversations you may see, newest activity first (`-updated`) unless `sort` says
    otherwise. `q` finds words in the subject and in the messages; its matches come newest
    opened first (`-id`, the only sort it takes: any other would read every match), so one
    updated while you page keeps its place. More pages: follow the `Link: rel="next"` header."""
    filters = ConversationFilters(
        status=status,
        team=team,
        owner=owner,
        severity=severity,
        channel=channel,
        customer=customer,
        updated_since=utc(updated_since, field="updated_since"),
    )
    user = user_of(request)
    qs = conversations_filter(conversations_visible_to(user), filters)
    page = partial(keyset_page, qs, request=request, response=response, limit=limit, cursor=cursor)
    if not q.strip():
        return page(key=SORTS[sort or "-updated"], offset=offset)
    if sort not in (None, "-id"):
        raise ValidationError(
            {
                "sort": "A search (q) lists its matches newest opened first (-id), the one "
                "order that needs no reading of every match: leave sort out or use -id."
            }
        )
    terms, include_notes = search_terms(q), agent_of(user) is not None

    def newest(rows: QuerySet[Conversation], count: int, below: int | None) -> list[Conversation]:
        return conversations_newest(
            rows, terms, include_notes=include_notes, limit=count, before=below
        )

    return page(key=SORTS["-id"], offset=offset, fetch=newest)


@router.post(
    "/conversations", response=responses({201: ConversationDetail}, 400, 403, 404, 409, 413, 422)
)
def conversation_create(request: HttpRequest, payload: ConversationIn) -> Any:
    agent = agent_of(request.user)
    if agent is not None:
        customer = customer_get_or_create_by_identity(
            email=payload.customer_email,
            external_id=payload.customer_external_id,
            name=payload.customer_name or "",
        )
        author = None
    else:
        own = getattr(request.user, "customer", None)
        if own is None:
            raise PermissionDenied("This account is neither a customer nor an agent.")
        customer, author = own, own.user
    team = get_object_or_404(Team, pk=payload.team_id) if payload.team_id else None
    conversation = services.conversation_create(
        customer=customer,
        subject=payload.subject,
        text=payload.text,
        channel=Channel.API,
        author=author,
        team=team,
        severity=payload.severity if may_set_severity(request.user) else Severity.NORMAL,
    )
    return Answer(201, detail(request, conversation))


@router.get("/conversations/{pk}", response=responses({200: ConversationDetail}, 404, 422))
def conversation_get(request: HttpRequest, pk: Id) -> Any:
    return detail(request, visible(request, pk))


@router.patch(
    "/conversations/{pk}", response=responses({200: ConversationOut}, 400, 403, 404, 409, 422)
)
def conversation_update(request: HttpRequest, pk: Id, payload: ConversationPatch) -> Any:
    """Set severity (with a reason) and/or status: `resolved`, or `open` to reopen."""
    agent = agent_required(request)
    conversation = visible(request, pk)
    if payload.severity is not None:
        services.severity_change(
            conversation=conversation,
            actor=agent.user,
            severity=payload.severity,
            reason=payload.reason,
        )
    if payload.status == Status.RESOLVED:
        services.conversation_resolve(conversation=conversation, agent=agent)
    elif payload.status == Status.OPEN:
        services.conversation_reopen(
            conversation=conversation, actor=agent.user, reason=payload.reason
        )
    elif payload.status is not None:
        raise ValidationError(
            {"status": "Set status to resolved, or to open to reopen; the rest follows replies."}
        )
    conversation.refresh_from_db()
    return conversation


@router.post(
    "/conversations/{pk}/transfer",
    response=responses({200: ConversationOut}, 400, 403, 404, 409, 413, 422),
)
def conversation_transfer(request: HttpRequest, pk: Id, payload: TransferIn) -> Any:
    agent = agent_required(request)
    conversation = visible(request, pk)
    to_agent = get_object_or_404(Agent, pk=payload.to_agent_id) if payload.to_agent_id else None
    to_team = get_object_or_404(Team, pk=payload.to_team_id) if payload.to_team_id else None
    return services.conversation_transfer(
        conversation=conversation,
        actor=agent.user,
        note=payload.note,
        to_agent=to_agent,
        to_team=to_team,
    )


@router.post(
    "/conversations/{pk}/merge", response=responses({200: ConversationOut}, 400, 403, 404, 409, 422)
)
def conversation_merge(request: HttpRequest, pk: Id, payload: MergeIn) -> Any:
    """Fold this conversation into `target_id` (same customer); answers the one that remains."""
    agent = agent_required(request)
    source = visible(request, pk)
    target = visible(request, payload.target_id)
    return services.conversation_merge(source=source, target=target, agent=agent)


@router.post(
    "/conversations/{pk}/resolve",
    response=responses({200: ConversationOut}, 400, 403, 404, 409, 422),
)
def conversation_resolve(request: HttpRequest, pk: Id) -> Any:
    agent = agent_required(request)
    conversation = visible(request, pk)
    services.conversation_resolve(conversation=conversation, agent=agent)
    conversation.refresh_from_db()
    return conversation


@router.post(
    "/conversations/{pk}/reopen",
    response=responses({200: ConversationOut}, 400, 403, 404, 409, 422),
)
def conversation_reopen(request: HttpRequest, pk: Id, payload: ReopenIn) -> Any:
    agent = agent_required(request)
    conversation = visible(request, pk)
    services.conversation_reopen(conversation=conversation, actor=agent.user, reason=payload.reason)
    conversation.refresh_from_db()
    return conversation


@router.get("/queue", response=responses({200: list[QueueEntryOut]}, 403, 422), tags=["queue"])
def queue_list(request: HttpRequest, limit: Limit = 50) -> Any:
    agent = agent_required(request)
    entries = queue.queue_entries(queue.queue_for_agent(agent), limit=limit)
    return [
        {"position": e.position, "band": e.band, "reason": e.reason, "conversation": e.conversation}
        for e in entries
    ]


@router.post(
    "/queue/take-next",
    response=responses({200: ConversationOut, 204: None}, 403, 409),
    tags=["queue"],
)
def queue_take_next(request: HttpRequest) -> Any:
    agent = agent_required(request)
    conversation = queue.take_next(agent=agent)
    if conversation is None:
        return Answer(204, None)
    return conversation
