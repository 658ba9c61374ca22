"""Reads for the desk: inboxes, the timeline and people-per-problem, all derived from events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import CharField, Count, Min, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Substr, Trim

from caredesk.conversations.models import (
    Attachment,
    Conversation,
    Direction,
    Event,
    EventKind,
    Message,
    Rating,
    Status,
)
from caredesk.customers.models import Customer
from caredesk.people.models import Agent, User
from caredesk.people.selectors import agent_of, conversation_filter

PAGE_SIZE = 50
INBOX_VIEWS = ("queue", "mine", "team", "waiting")
HISTORY_LIMIT = 50
# Twice what the side panel shows, so `truncatechars` still sees where the text goes on.
PREVIEW_CHARS = 600


def conversations_visible_to(user: User | Any) -> QuerySet[Conversation]:
    """The conversations the user may see; who may see what is decided in
    `people.selectors.conversation_filter`."""
    return Conversation.objects.filter(conversation_filter(user))


def customer_history(
    customer: Customer, *, exclude: Conversation | None = None, limit: int = HISTORY_LIMIT
) -> QuerySet[Conversation]:
    """The customer's other conversations, newest first, each with its latest message (not an
    internal note) as `latest_text`/`latest_at`/`latest_direction`/`latest_author`.

    Shown on every conversation page, whichever team handled it, so that no agent asks the
    customer to repeat what they already told another team; one query however long their
    history, and the whole conversation is a click away.
    """
    qs = Conversation.objects.filter(customer=customer).select_related("owner__user", "team")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return _with_latest_message(qs).order_by("-created_at", "-pk")[:limit]


def _with_latest_message(qs: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Each conversation with its latest message that is not a note, read in the same query (a
    short preview: truncating a long text whole is costly)."""
    latest = (
        Message.objects.filter(conversation=OuterRef("pk"))
        .exclude(direction=Direction.NOTE)
        .order_by("-created_at", "-pk")
    )
    # The author as `User.__str__` names them: the full name, else the e-mail address.
    full_name = Trim(Concat("author__first_name", Value(" "), "author__last_name"))
    author = Coalesce(NullIf(full_name, Value("")), "author__email", output_field=CharField())
    return qs.annotate(
        latest_text=Subquery(latest.annotate(p=Substr("text", 1, PREVIEW_CHARS)).values("p")[:1]),
        latest_at=Subquery(latest.values("created_at")[:1]),
        latest_direction=Subquery(latest.values("direction")[:1]),
        latest_author=Subquery(latest.annotate(a=author).values("a")[:1]),
    )


def inbox_queryset(agent: Agent, view: str) -> QuerySet[Conversation]:
    """The non-queue inbox views; the queue has its own order in `queue.py`.

    "Mine" and "waiting" need no visibility check (an agent always sees what they own). Each
    filters on a bare `is_open`, so the partial index (owner or team, last_message_at) WHERE
    is_open is walked in the page's order and a page reads about as many rows as it shows.
    """
    if view == "mine":
        return Conversation.objects.filter(
            owner=agent, is_open=True, merged_into__isnull=True
        ).order_by("-last_message_at")
    if view == "waiting":
        # Open and not new or open: waiting on one side. Said as an exclusion because SQLite
        # would take `status IN (two waiting states)` to conv_queue and sort the rows.
        return (
            Conversation.objects.filter(owner=agent, is_open=True)
            .exclude(status__in=(Status.NEW, Status.OPEN))
            .order_by("last_message_at")
        )
    if view == "team":
        return (
            conversations_visible_to(agent.user)
            .filter(team__in=agent.teams.all(), is_open=True, merged_into__isnull=True)
            .order_by("-last_message_at")
        )
    raise ValueError(f"unknown inbox view {view!r}")


def paginate(qs: QuerySet[Any], page: str | int | None, *, per_page: int = PAGE_SIZE) -> Page:
    """One page of a list. `?page=` is untrusted: text, zero or a negative number shows the first
    page and anything past the end (a 5,000-digit number too) the last one, never an error."""
    text = str(page if page is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or int(text[:10]) < 1:
        number = 1
    else:
        number = int(text) if len(text) <= 9 else 10**9  # get_page clamps to the last page
    return Paginator(qs, per_page).get_page(number)


AGENT_EVENT_KEYS = {
    EventKind.ASSIGNED: ("agent",),
    EventKind.REPLIED: ("agent",),
    EventKind.RESOLVED: ("agent",),
    EventKind.TRANSFERRED: ("to_agent", "from_agent"),
}


def people_per_problem(conversation: Conversation) -> int:
    """How many different agents owned or answered this problem: the customer explained to each."""
    agents: set[int] = set()
    events = Event.objects.filter(
        conversation=conversation, kind__in=list(AGENT_EVENT_KEYS)
    ).values_list("kind", "data")
    for kind, data in events:
        for key in AGENT_EVENT_KEYS[EventKind(kind)]:
            if data.get(key):
                agents.add(int(data[key]))
    return len(agents)


def handoff_note(conversation: Conversation) -> Event | None:
    """The latest warm-transfer note: the first thing the receiving agent reads."""
    return (
        Event.objects.filter(conversation=conversation, kind=EventKind.TRANSFERRED)
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    message: Message | None = None
    event: Event | None = None


QUIET_EVENTS = {EventKind.REPLIED, EventKind.NOTED, EventKind.CUSTOMER_REPLIED}


def _order(item: TimelineItem) -> int:
    if item.event is None:
        return 1
    return 0 if item.event.kind == EventKind.CREATED else 2


def timeline(conversation: Conversation, *, include_notes: bool = True) -> list[TimelineItem]:
    """Messages and events in one time order; events that only repeat a message are left out."""
    messages = conversation.messages.select_related("author").prefetch_related("attachments")
    if not include_notes:
        messages = messages.exclude(direction=Direction.NOTE)
    items = [TimelineItem(at=m.created_at, message=m) for m in messages]
    if include_notes:
        events = conversation.events.exclude(kind__in=QUIET_EVENTS).select_related("actor")
        items += [TimelineItem(at=e.created_at, event=e) for e in events]
    # At the same instant: the creation first, then the message, then what it led to (resolved).
    items.sort(key=lambda i: (i.at, _order(i)))
    return items


@dataclass(frozen=True)
class TrendPoint:
    at: datetime
    emotion: str
    polarity: str
    intensity: float
    unclear: bool = False  # a low-confidence reading: shown as "mood unclear", not as a mood
    confidence: float | None = None


def reading_trend(conversation: Conversation, limit: int = 12) -> tuple[list[TrendPoint], str]:
    """The readings of the customer's messages in order, and whether their mood is worsening."""
    rows = list(
        conversation.messages.filter(direction=Direction.INBOUND, reading__isnull=False)
        .order_by("-created_at")
        .values_list("created_at", "reading")[:limit]
    )
    return _trend(rows)


def _trend(rows: list[tuple[datetime, Any]]) -> tuple[list[TrendPoint], str]:
    """Readings (newest first) as points in time order, and the word for where the mood goes."""
    points = [
        TrendPoint(
            at,
            r.get("emotion", ""),
            r.get("polarity", "neutral"),
            float(r.get("intensity", 0.0)),
            bool(r.get("low_confidence", False)),
            r.get("confidence"),
        )
        for at, r in reversed(rows)
        if r
    ]
    if len(points) < 2:
        return points, ""

    def strain(p: TrendPoint) -> float:
        return (
            p.intensity
            if p.polarity == "negative"
            else -p.intensity
            if p.polarity == "positive"
            else 0.0
        )

    change = strain(points[-1]) - strain(points[0])
    word = "getting more upset" if change > 0.15 else "calming down" if change < -0.15 else "steady"
    return points, word


def attachment_for(user: User, pk: int) -> Attachment | None:
    """An attachment the user may open: on a conversation they can see, never a colleague's note
    for a customer."""
    visible = conversations_visible_to(user)
    qs = Attachment.objects.select_related("message").filter(
        pk=pk, message__conversation__in=visible
    )
    if agent_of(user) is None:
        qs = qs.exclude(message__direction=Direction.NOTE)
    return qs.first()


# -- the customer's page ----------------------------------------------------------------------

CUSTOMER_PAGE_SIZE = 10


@dataclass(frozen=True)
class CustomerStats:
    conversations: int
    first_contact: datetime | None
    last_rating: Rating | None
    open_risks: list[Conversation]
    at_risk: Event | None


def customer_stats(customer: Customer) -> CustomerStats:
    """What an agent wants to know at a glance: how long and how often they have come to us, how
    the last one went, and whether a risk is open. A handful of bounded queries, never a scan of
    their messages."""
    mine = Conversation.objects.filter(customer=customer)
    totals = mine.aggregate(n=Count("pk"), first=Min("created_at"))
    last_rating = (
        Rating.objects.filter(conversation__customer=customer)
        .select_related("conversation")
        .order_by("-created_at", "-pk")
        .first()
    )
    open_risks = list(mine.filter(is_open=True).exclude(risk_signal="").order_by("-pk")[:5])
    at_risk = (
        Event.objects.filter(conversation__customer=customer, kind=EventKind.AT_RISK)
        .order_by("-created_at", "-pk")
        .first()
    )
    return CustomerStats(totals["n"], totals["first"], last_rating, open_risks, at_risk)


def customer_mood(customer: Customer, limit: int = 12) -> tuple[list[TrendPoint], str]:
    """The readings of the customer's latest messages across all their conversations, oldest
    first, and whether their mood is worsening (as `reading_trend` says it for one)."""
    rows = list(
        Message.objects.filter(
            conversation__customer=customer, direction=Direction.INBOUND, reading__isnull=False
        )
        .order_by("-created_at", "-pk")
        .values_list("created_at", "reading")[:limit]
    )
    return _trend(rows)


def customer_conversations(customer: Customer, page: str | int | None) -> Page:
    """One page of the customer's conversations, newest first, each with its latest message (not
    a note) as `latest_text`/`latest_at`/`latest_direction`: one query for the page, however long
    the history."""
    qs = Conversation.objects.filter(customer=customer).select_related("owner__user", "team")
    return paginate(
        _with_latest_message(qs).order_by("-created_at", "-pk"), page, per_page=CUSTOMER_PAGE_SIZE
    )


def latest_message(conversation: Conversation) -> Message | None:
    """The latest message (not a note) of a conversation: what the merge page shows of each."""
    return (
        conversation.messages.exclude(direction=Direction.NOTE)
        .select_related("author")
        .order_by("-created_at", "-pk")
        .first()
    )
