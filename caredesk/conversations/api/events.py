"""Events (a conversation's history, and a feed of everything since a cursor) and ratings."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja import Status as Answer

from caredesk.apikit import Cursor, Id, Limit, keyset_page, responses, user_of
from caredesk.conversations import services
from caredesk.conversations.api.common import agent_required, visible
from caredesk.conversations.api.schemas import EventOut, RatingIn, RatingOut
from caredesk.conversations.models import Event, Rating
from caredesk.conversations.selectors import conversations_visible_to

router = Router(tags=["events"])


def _event_out(e: Event) -> dict[str, Any]:
    return {
        "id": e.pk,
        "conversation_id": e.conversation_id,
        "kind": e.kind,
        "actor": str(e.actor) if e.actor else None,
        "created_at": e.created_at,
        "data": e.data,
    }


@router.get(
    "/conversations/{pk}/events", response=responses({200: list[EventOut]}, 400, 403, 404, 422)
)
def conversation_events(
    request: HttpRequest, response: HttpResponse, pk: Id, limit: Limit = 50, cursor: Cursor = None
) -> Any:
    """A conversation's history, in the order it happened (agents only: it holds handoff notes)."""
    agent_required(request)
    qs = visible(request, pk).events.select_related("actor")
    page = keyset_page(qs, request=request, response=response, limit=limit, cursor=cursor)
    return [_event_out(e) for e in page]


@router.get("/events", response=responses({200: list[EventOut]}, 400, 403, 422))
def event_feed(
    request: HttpRequest, response: HttpResponse, limit: Limit = 100, cursor: Cursor = None
) -> Any:
    """Every event on conversations you may see, in the order recorded. Keep the last `next`
    cursor and ask again later: you get what happened since, nothing twice."""
    agent_required(request)
    visible_ids = conversations_visible_to(user_of(request)).values("pk")
    qs = Event.objects.filter(conversation__in=visible_ids).select_related("actor")
    page = keyset_page(
        qs, request=request, response=response, limit=limit, cursor=cursor, feed=True
    )
    return [_event_out(e) for e in page]


ratings = Router(tags=["ratings"])


@ratings.get("/ratings", response=responses({200: list[RatingOut]}, 400, 422))
def rating_list(
    request: HttpRequest, response: HttpResponse, limit: Limit = 50, cursor: Cursor = None
) -> Any:
    """Ratings of the conversations you may see (a customer: their own), newest last."""
    visible_ids = conversations_visible_to(user_of(request)).values("pk")
    qs = Rating.objects.filter(conversation__in=visible_ids)
    return keyset_page(qs, request=request, response=response, limit=limit, cursor=cursor)


@ratings.post(
    "/conversations/{pk}/rating",
    response=responses({201: RatingOut}, 400, 403, 404, 409, 422),
)
def rating_submit(request: HttpRequest, pk: Id, payload: RatingIn) -> Any:
    """The customer rates their resolved conversation (again: the new rating replaces the old)."""
    rating = services.rating_submit(
        conversation=visible(request, pk),
        user=user_of(request),
        satisfaction=payload.satisfaction,
        effort=payload.effort,
        comment=payload.comment,
    )
    return Answer(201, rating)
