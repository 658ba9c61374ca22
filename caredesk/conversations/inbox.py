"""Working an inbox: filters, sorting and bulk actions on the desk's views.

The queue keeps its fair order (`queue.py`): filters only narrow it and it never sorts. The other
views may sort by a column of their index, then by id, so a page never sorts more than it shows.
A bulk action calls the same service as the conversation page, once per conversation, so each
conversation gets its one event and its own checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from caredesk.conversations import keyset, queue, services
from caredesk.conversations.models import ACTIVE_STATUSES, Conversation, SavedView
from caredesk.conversations.selectors import conversations_visible_to, inbox_queryset
from caredesk.people.models import Agent, Team, User

# How a view other than the queue may be sorted: the label, and the columns it keys on.
SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "recent": ("Latest message first", ("-last_message_at", "-pk")),
    "oldest": ("Waiting longest first", ("last_message_at", "pk")),
    "severity": ("Severity, then waiting longest", ("-severity", "last_message_at", "pk")),
    "created": ("Newest conversation first", ("-created_at", "-pk")),
}
# "Waiting longer than": the customer's latest message is older, and it is our turn.
WAITING = {"1h": timedelta(hours=1), "4h": timedelta(hours=4), "24h": timedelta(days=1)}
UNOWNED = "none"


@dataclass(frozen=True)
class InboxFilters:
    status: str = ""
    severity: int | None = None
    team: int | None = None
    owner: str = ""  # an agent's id, or "none" for no owner
    channel: str = ""
    emotion: str = ""
    signal: str = ""
    tag: str = ""
    waiting: str = ""
    sort: str = ""

    @property
    def active(self) -> bool:
        return any(v not in ("", None) for k, v in self.__dict__.items() if k != "sort")

    def as_query(self) -> str:
        """The filters as a query string (only the ones set): what a saved view keeps."""
        return urlencode({k: v for k, v in self.__dict__.items() if v not in ("", None)})


def inbox_filter(
    qs: QuerySet[Conversation], filters: InboxFilters, *, now: datetime
) -> QuerySet[Conversation]:
    """Narrow an inbox; each filter is a column of the conversation row (the tag a join on its
    unique name, so no row repeats)."""
    exact = {
        "status": filters.status,
        "severity": filters.severity,
        "team_id": filters.team,
        "channel": filters.channel,
        "emotion": filters.emotion,
        "risk_signal": filters.signal,
        "tags__name": filters.tag,
    }
    qs = qs.filter(**{k: v for k, v in exact.items() if v not in ("", None)})
    if filters.owner == UNOWNED:
        qs = qs.filter(owner__isnull=True)
    elif filters.owner:
        qs = qs.filter(owner_id=int(filters.owner))
    if filters.waiting in WAITING:
        qs = qs.filter(
            status__in=ACTIVE_STATUSES, last_message_at__lte=now - WAITING[filters.waiting]
        )
    return qs


def inbox_sort(qs: QuerySet[Conversation], sort: str) -> QuerySet[Conversation]:
    """A view's own order unless the agent chose one of `SORTS`."""
    return qs.order_by(*SORTS[sort][1]) if sort in SORTS else qs


# -- bulk actions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkChange:
    action: str  # one of BULK_ACTIONS
    agent: Agent | None = None
    team: Team | None = None
    note: str = ""
    severity: int | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class BulkResult:
    done: list[int]
    refused: list[tuple[int, str]]  # (conversation id, why)


def _one(change: BulkChange, conversation: Conversation, agent: Agent) -> None:
    user: User = agent.user
    if change.action == "assign":
        if change.agent is None:
            raise ValidationError({"agent": "Choose the agent to assign them to."})
        services.conversation_assign(conversation=conversation, agent=change.agent, actor=user)
    elif change.action == "transfer":
        services.conversation_transfer(
            conversation=conversation,
            actor=user,
            note=change.note,
            to_agent=change.agent,
            to_team=change.team,
        )
    elif change.action == "severity":
        if change.severity is None:
            raise ValidationError({"severity": "Choose a severity."})
        services.severity_change(
            conversation=conversation, actor=user, severity=change.severity, reason="bulk change"
        )
    elif change.action == "tag":
        services.conversation_tag(conversation=conversation, actor=user, add=change.tags)
    elif change.action == "resolve":
        services.conversation_resolve(conversation=conversation, agent=agent)
    else:
        raise ValidationError({"action": "Choose what to do with the conversations."})


BULK_ACTIONS: dict[str, str] = {
    "assign": "Assign to",
    "transfer": "Transfer (one handoff note for all)",
    "severity": "Set severity",
    "tag": "Add tags",
    "resolve": "Resolve",
}
BULK_LIMIT = 100


def _check(change: BulkChange) -> None:
    """What is wrong with the change for every conversation alike, said once."""
    if change.action not in BULK_ACTIONS:
        raise ValidationError({"action": "Choose what to do with the conversations."})
    if change.action == "transfer" and not change.note.strip():
        raise ValidationError(
            {"note": "Write one handoff note for all of them, so no customer repeats themselves."}
        )
    if change.action == "transfer" and change.agent is None and change.team is None:
        raise ValidationError({"agent": "Choose the agent or team to transfer them to."})
    if change.action == "tag" and not change.tags:
        raise ValidationError({"tags": "Type the tags to add."})


def conversations_bulk_change(*, agent: Agent, ids: list[int], change: BulkChange) -> BulkResult:
    """Apply one change to each chosen conversation the agent may open, each in its own
    transaction through its service: one refused (already resolved, merged…) stops no other,
    and says why."""
    _check(change)
    if not ids:
        raise ValidationError({"ids": "Choose at least one conversation."})
    if len(ids) > BULK_LIMIT:
        raise ValidationError({"ids": f"Choose at most {BULK_LIMIT} conversations at once."})
    found = conversations_visible_to(agent.user).select_related("owner", "team").in_bulk(ids)
    done, refused = [], []
    for pk in dict.fromkeys(ids):
        conversation = found.get(pk)
        if conversation is None:
            refused.append((pk, "not found"))
            continue
        try:
            _one(change, conversation, agent)
        except ValidationError as exc:
            refused.append((pk, " ".join(exc.messages)))
        else:
            done.append(pk)
    return BulkResult(done, refused)


# -- keyset pages and counts -------------------------------------------------------------------

PAGE_SIZE = 50
COUNT_CAP = 1000  # a tab says "1000+" rather than count a big team's whole backlog
VIEW_ORDER = {
    "mine": ("-last_message_at", "-pk"),
    "team": ("-last_message_at", "-pk"),
    "waiting": ("last_message_at", "pk"),
}


def view_queryset(agent: Agent, view: str, *, now: datetime) -> QuerySet[Conversation]:
    """A desk view before filters: the fair queue, or one of `selectors.inbox_queryset`'s."""
    if view == "queue":
        return queue.queue_for_agent(agent, now)
    return inbox_queryset(agent, view)


def view_order(view: str, sort: str) -> tuple[str, ...]:
    """The queue's fair order always; another view's own order unless the agent chose a sort."""
    if view == "queue":
        return queue.QUEUE_ORDER
    return SORTS[sort][1] if sort in SORTS else VIEW_ORDER[view]


def view_parts(agent: Agent, view: str, *, now: datetime) -> list[keyset.Part]:
    """How `keyset.page` reads a view whose order no single index gives: the queue by band;
    the team view one team at a time (each walked along conv_team_open)."""
    if view == "queue":
        return queue.queue_parts(now)
    if view == "team":
        return [keyset.Part(Q(team_id=t)) for t in agent.teams.values_list("pk", flat=True)]
    return []


def inbox_page(
    qs: QuerySet[Conversation],
    order: tuple[str, ...],
    cursor: str,
    *,
    limit: int = PAGE_SIZE,
    parts: Sequence[keyset.Part] = (),
) -> keyset.Page:
    """One page by keyset (never OFFSET); see `keyset.page`."""
    return keyset.page(qs, order, cursor, limit=limit, parts=parts)


def queue_page_entries(page: keyset.Page, *, now: datetime) -> list[queue.QueueEntry]:
    """The queue's rows with their place and the plain-words reason for it."""
    entries = []
    for i, c in enumerate(page.rows, start=page.start):
        band: int = c.band  # type: ignore[attr-defined]  # annotated by queue_queryset
        entries.append(queue.QueueEntry(c, i, band, queue.explain(c, band, i, now)))
    return entries


def capped_count(qs: QuerySet[Conversation]) -> str:
    """How many, up to `COUNT_CAP` ("1000+" beyond): one bounded query."""
    n = qs.order_by()[: COUNT_CAP + 1].count()
    return f"{COUNT_CAP}+" if n > COUNT_CAP else str(n)


# -- saved views ---------------------------------------------------------------------------------

SAVED_VIEWS_MAX = 20


def saved_views_of(agent: Agent) -> QuerySet[SavedView]:
    return SavedView.objects.filter(agent=agent).order_by("name", "pk")


@transaction.atomic
def saved_view_save(
    *, agent: Agent, name: str, view: str, query: str, at: datetime | None = None
) -> SavedView:
    """Keep the agent's filters under a name; the same name again replaces them."""
    name = " ".join(name.split())
    if view not in VIEW_ORDER and view != "queue":
        raise ValidationError({"view": "Choose one of the desk's views."})
    existing = SavedView.objects.select_for_update().filter(agent=agent, name=name).first()
    if existing is None and saved_views_of(agent).count() >= SAVED_VIEWS_MAX:
        raise ValidationError(
            {"name": f"You have {SAVED_VIEWS_MAX} saved views; delete one to save another."}
        )
    saved = existing or SavedView(agent=agent, name=name, created_at=at or timezone.now())
    saved.view, saved.query = view, query
    saved.full_clean()
    saved.save()
    return saved


def saved_view_delete(*, agent: Agent, pk: int) -> bool:
    """Delete one of the agent's own saved views (never a colleague's)."""
    deleted, _ = SavedView.objects.filter(agent=agent, pk=pk).delete()
    return bool(deleted)
