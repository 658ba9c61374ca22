"""The desk's one search, and filtering a list of conversations (the API, the inboxes).

Words are found with the database's full-text index (`search_index.py`): FTS5 on SQLite,
PostgreSQL's full-text search elsewhere, both stemming English words and treating the last word as
a prefix (it may still be being typed) once it has `MIN_PREFIX` letters. A conversation matches
when every word is in its subject or in one of its messages. Results are always narrowed by what
the user may open, in the same query.

On SQLite the index holds a row per message and per subject whose rowid carries the conversation
id, so a word gives conversation ids straight from the index, never through the message table. A
query of several words first estimates each word's matches (a bounded read each): a word found
nowhere ends the search, a rare word's conversations are taken first and each other word is looked
up in their rowid ranges only; otherwise one set of conversation ids per word is intersected. The
desk's page shows the 20 newest conversations (and says there are more), reading the index newest
first in growing windows of conversation ids, so a common word never collects all its matches; the
API's `q` reads the same way, a page at a time below its cursor's id (newest first only: any
other order would have to read every match before answering the first page).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils.html import escape
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe

from caredesk.conversations.models import Conversation, Direction, Message
from caredesk.conversations.search_index import SEARCH_TABLE, SHIFT
from caredesk.customers.models import Customer, Identity, IdentityKind, Organisation
from caredesk.people.models import User
from caredesk.people.selectors import agent_of, conversation_filter, customer_filter

# The sorts a client may ask for, and the column each one keys on (then the id, for a stable order).
SORTS = {
    "-id": "-pk",  # newest opened first: the one order a search (`q`) is served in
    "-updated": "-last_message_at",
    "updated": "last_message_at",
    "-created": "-created_at",
    "created": "created_at",
    "-severity": "-severity",
    "severity": "severity",
}

_WORD = re.compile(r"[^\W_]+")
_MAX_TERMS = 12
# PostgreSQL's English stop words (Snowball's list): it drops them from a query, so they are
# dropped on SQLite too and both databases find the same conversations.
_STOPWORD_TEXT = (
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his himself "
    "she her hers herself it its itself they them their theirs themselves what which who whom "
    "this that these those am is are was were be been being have has had having do does did "
    "doing a an the and but if or because as until while of at by for with about against "
    "between into through during before after above below to from up down in out on off over "
    "under again further then once here there when where why how all any both each few more "
    "most other some such no nor not only own same so than too very s t can will just don "
    "should now"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
SECTION_LIMIT = 20
# The shortest last word read as a prefix. FTS5 (without a prefix index) merges the whole index
# entry of every word a prefix begins, whatever the window or LIMIT: at 200,000 conversations
# "m"* costs ~310 ms of CPU, "jo"* 3.5 ms, the word "m" alone 5.5 ms. A shorter last word is
# taken whole, on both databases alike.
MIN_PREFIX = 3
_FIRST_WINDOW = 4096  # conversation ids the page's first look covers; each next one is 4× wider


def search_terms(query: str) -> list[str]:
    """The words of a query worth looking for: lower-cased, letters and digits only (so they are
    safe inside a full-text query), without repeats, at most twelve."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query.lower()):
        if word not in _STOPWORDS:
            seen.setdefault(word[:64], None)
    return list(seen)[:_MAX_TERMS]


def _is_prefix(terms: Sequence[str], i: int) -> bool:
    """The last word is read as a prefix (it may still be being typed) once it is long enough
    to narrow anything: see `MIN_PREFIX`."""
    return i == len(terms) - 1 and len(terms[i]) >= MIN_PREFIX


def last_word_whole(query: str) -> str:
    """The query's last word when it is too short to be read as a prefix (so it is matched as
    a whole word: the page says so), else ""."""
    terms = search_terms(query)
    return terms[-1] if terms and not _is_prefix(terms, len(terms) - 1) else ""


def _match(table: str, column: str, term: str, *, prefix: bool) -> tuple[str, list[str]]:
    """SQL selecting the ids of `table` whose `column` holds `term` (and its parameters). Only
    this module's constant names are formatted in; the term is always a parameter."""
    if connection.vendor == "postgresql":
        config = "simple" if column == "name" else "english"
        vector = f"to_tsvector('{config}', {column})"  # the expression of the GIN index
        tsquery = f"{term}:*" if prefix else term
        sql = f"SELECT id FROM {table} WHERE {vector} @@ to_tsquery('{config}', %s)"  # noqa: S608
        return sql, [tsquery]
    fts = f"{table}_fts"
    sql = f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s"  # noqa: S608
    return sql, [f'"{term}"*' if prefix else f'"{term}"']


_SAMPLE = 1000  # a word's first matches read to estimate how common it is
# What looking a word up in one conversation's rowid range costs (a fresh FTS5 cursor seeking in
# every segment), in index rows read by a scan of a word's matches into a set: measured ~80×.
_PROBE_COST = 80
_SPAN_SQL = f"{1 << SHIFT}"


def _fts_query(term: str, *, prefix: bool, include_notes: bool) -> str:
    """The FTS5 query of one term: quoted (never an operator), a prefix for the last word, and
    for a customer only the subject and messages columns, never the notes."""
    columns = "" if include_notes else "{subject messages} : "
    return columns + (f'"{term}"*' if prefix else f'"{term}"')


@dataclass(frozen=True)
class _Plan:
    """The FTS5 queries of a search's words, rarest first; `probe`: the rarest is rare enough
    that the others are cheaper to look up in each of its conversations than to read whole;
    `empty`: a word is in no row at all, so nothing can match."""

    queries: tuple[str, ...]
    probe: bool = False
    empty: bool = False
    estimated: bool = False


def _estimate(cursor: Any, query: str, top: int) -> float:
    """How many index rows hold `query`, from its first `_SAMPLE` matches (one bounded read,
    oldest first, FTS5's cheap direction): exact below that, else those matches per conversation
    id times the `top` conversation id."""
    cursor.execute(
        f"SELECT count(*), min(rowid), max(rowid) FROM (SELECT rowid FROM {SEARCH_TABLE} "  # noqa: S608
        f"WHERE {SEARCH_TABLE} MATCH %s LIMIT {_SAMPLE})",
        [query],
    )
    count, low, high = cursor.fetchone()
    if count < _SAMPLE:
        return float(count)
    return count * top / max(1, (high >> SHIFT) - (low >> SHIFT))


def _sqlite_plan(terms: list[str], *, include_notes: bool, estimate: bool = True) -> _Plan:
    """Order the words of a search rarest first and choose how to intersect them, from a cheap
    estimate of each word's matches: reading every word's matches into a set costs their sum,
    looking the others up in each conversation of the rarest costs the rarest's × `_PROBE_COST`."""
    queries = [
        _fts_query(t, prefix=_is_prefix(terms, i), include_notes=include_notes)
        for i, t in enumerate(terms)
    ]
    if len(queries) == 1 or not estimate:
        return _Plan(tuple(queries))
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM conversations_conversation")
        top = cursor.fetchone()[0]
        ranked = sorted((_estimate(cursor, q, top), q) for q in queries if not q.endswith("*"))
        # A prefix cannot be looked up in a rowid range cheaply (FTS5 merges every word it
        # begins, whatever the range), so it is read whole in any plan; estimating it costs
        # nearly as much, which is only worth it when it might lead (no other word is rare).
        prefix = [q for q in queries if q.endswith("*")]
        if prefix and ranked and ranked[0][0] < _SAMPLE:
            ranked.append((float("inf"), prefix[0]))
        elif prefix:
            ranked = sorted([*ranked, (_estimate(cursor, prefix[0], top), prefix[0])])
    rarest, exact = ranked[0][0], [e for e, q in ranked[1:] if not q.endswith("*")]
    return _Plan(
        tuple(q for _e, q in ranked),
        probe=bool(exact) and rarest * len(exact) * _PROBE_COST < sum(exact),
        empty=rarest == 0,
        estimated=True,
    )


def _sqlite_ids(plan: _Plan, *, window: tuple[int, int] | None = None) -> tuple[str, list[Any]]:
    """SQL selecting the ids of the conversations holding every word of `plan` (with `window`
    only those with lo <= id < hi), from the rowids of the index (conversation id << SHIFT |
    message id). Either one set of conversation ids per word, intersected, or, when the rarest
    word is rare, its conversations, each kept when every other word is in its rowid range (a
    seek in the index, never a read of the other words' matches)."""
    bounds = " AND rowid >= %s AND rowid < %s" if window is not None else ""
    within = [window[0] << SHIFT, window[1] << SHIFT] if window is not None else []
    if plan.empty:
        return "SELECT NULL WHERE 0", []
    each = f"SELECT rowid >> {SHIFT} FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH %s{bounds}"  # noqa: S608
    if not plan.probe:
        params = [p for query in plan.queries for p in (query, *within)]
        return " INTERSECT ".join([each] * len(plan.queries)), params
    exact = [q for q in plan.queries[1:] if not q.endswith("*")]
    prefix = [q for q in plan.queries[1:] if q.endswith("*")]
    checks = "".join(
        f" AND EXISTS (SELECT 1 FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH %s "  # noqa: S608
        f"AND rowid >= c * {_SPAN_SQL} AND rowid < (c + 1) * {_SPAN_SQL})"
        for _query in exact
    )
    rarest = each.replace("SELECT", "SELECT DISTINCT", 1)
    sql = f"WITH rarest(c) AS ({rarest}) SELECT c FROM rarest WHERE 1{checks}"  # noqa: S608
    params = [plan.queries[0], *within, *exact]
    for query in prefix:  # the last word, being typed: read whole (see `_sqlite_plan`)
        sql += f" INTERSECT {each}"
        params += [query, *within]
    return sql, params


def _conversation_words(
    terms: list[str],
    *,
    include_notes: bool,
    window: tuple[int, int] | None = None,
    plan: _Plan | None = None,
) -> Q:
    """The conversations holding every term in their subject or one of their messages."""
    if connection.vendor != "postgresql":
        plan = plan or _sqlite_plan(terms, include_notes=include_notes)
        sql, params = _sqlite_ids(plan, window=window)
        return Q(pk__in=RawSQL(sql, params))  # noqa: S611
    words = Q()
    notes = "" if include_notes else f" AND direction <> '{Direction.NOTE.value}'"
    for i, term in enumerate(terms):
        prefix = _is_prefix(terms, i)
        subject_sql, params = _match("conversations_conversation", "subject", term, prefix=prefix)
        # Straight to the conversation's id on the GIN index's rows, not back through their ids.
        messages_sql = (
            "SELECT conversation_id FROM conversations_message "  # noqa: S608
            f"WHERE to_tsvector('english', text) @@ to_tsquery('english', %s){notes}"
        )
        subject = RawSQL(subject_sql, params)  # noqa: S611
        messages = RawSQL(messages_sql, params)  # noqa: S611
        words &= Q(pk__in=subject) | Q(pk__in=messages)
    if window is not None:
        words &= Q(pk__gte=window[0], pk__lt=window[1])
    return words


def _number(terms: list[str]) -> Q:
    """A query of one number also finds the conversation of that id."""
    if len(terms) == 1 and terms[0].isdigit() and len(terms[0]) < 10:
        return Q(pk=int(terms[0]))
    return Q(pk__in=[])


def conversations_matching(
    qs: QuerySet[Conversation], query: str, *, include_notes: bool
) -> QuerySet[Conversation]:
    """Narrow `qs` to the conversations holding every word of `query` (a customer's search never
    looks into internal notes). A number also finds the conversation of that id."""
    terms = search_terms(query)
    if not terms:
        return qs.none() if query.strip() else qs
    words = _conversation_words(terms, include_notes=include_notes) | _number(terms)
    return qs.filter(words)


def conversations_newest(
    qs: QuerySet[Conversation],
    terms: list[str],
    *,
    include_notes: bool,
    limit: int,
    before: int | None = None,
) -> list[Conversation]:
    """The `limit` newest (by id) conversations of `qs` that match `terms`, without collecting
    every match: each query looks at a window of conversation ids, newest first, 4× wider than
    the one before, and the search stops once enough are found. A common word is answered from
    the first window; a rare one reads the index once over, in a few queries. `before`: only ids
    below it (the API's next page starts where the last one stopped, not at the newest)."""
    if not terms:
        return []
    top = Conversation.objects.order_by("-pk").values_list("pk", flat=True).first()
    found: list[Conversation] = []
    hi = (top or 0) + 1 if before is None else min(before, (top or 0) + 1)
    # PostgreSQL reads a word's GIN entries whole for any window: there one query covers all.
    width = hi if connection.vendor == "postgresql" else _FIRST_WINDOW
    sqlite = connection.vendor != "postgresql"
    # The first window as it comes (a common word fills the page there); only if more is needed,
    # the words are estimated and ordered, so a rare word or one found nowhere costs little.
    plan = _sqlite_plan(terms, include_notes=include_notes, estimate=False) if sqlite else None
    while hi > 0 and len(found) < limit:
        lo = max(0, hi - width)
        words = _conversation_words(terms, include_notes=include_notes, window=(lo, hi), plan=plan)
        in_window = (words | _number(terms)) & Q(pk__gte=lo, pk__lt=hi)
        found += qs.filter(in_window).order_by("-pk")[: limit - len(found)]
        hi, width = lo, width * 4
        more = hi > 0 and len(found) < limit
        if more and len(terms) > 1 and plan is not None and not plan.estimated:
            plan = _sqlite_plan(terms, include_notes=include_notes)
            if plan.empty:  # a word in no row: nothing older matches either
                break
            if plan.probe:  # the cost follows the rarest word's matches, not the window's
                width = hi
    return found


def customers_matching(user: User | Any, query: str) -> QuerySet[Customer]:
    """Customers the user may look up whose name, e-mail or organisation holds every word.

    The words lead: who may see each matching customer is asked of that customer alone (a
    correlated EXISTS on its conversations), never by first listing every customer the agent may
    see (a read of all their teams' conversations: ~0.4 s of CPU at 200,000 conversations)."""
    terms = search_terms(query)
    may_see = Customer.objects.filter(customer_filter(user), pk=OuterRef("pk"))
    visible = Customer.objects.filter(Exists(may_see))
    if not terms:
        return visible.none()
    words = Q()
    for i, term in enumerate(terms):
        sql, params = _match("customers_customer", "name", term, prefix=_is_prefix(terms, i))
        organisations = Organisation.objects.filter(name__icontains=term)
        names = RawSQL(sql, params)  # noqa: S611
        words &= Q(pk__in=names) | Q(organisation__in=organisations)
    text = query.strip().lower()
    if "@" in text:  # an e-mail address, whole or its beginning (the identities' index)
        emails = Identity.objects.filter(kind=IdentityKind.EMAIL, value__startswith=text)
        words |= Q(pk__in=emails.values("customer_id"))
    return visible.filter(words)


@dataclass(frozen=True)
class ConversationFilters:
    status: str | None = None
    team: int | None = None
    owner: int | None = None
    severity: int | None = None
    channel: str | None = None
    customer: int | None = None
    updated_since: datetime | None = None


def conversations_filter(
    qs: QuerySet[Conversation], filters: ConversationFilters
) -> QuerySet[Conversation]:
    """Narrow `qs` (already limited to what the caller may see). Words are searched apart, with
    `conversations_newest` on the result, so a common word never reads all its matches."""
    exact = {
        "status": filters.status,
        "team_id": filters.team,
        "owner_id": filters.owner,
        "severity": filters.severity,
        "channel": filters.channel,
        "customer_id": filters.customer,
    }
    qs = qs.filter(**{field: value for field, value in exact.items() if value is not None})
    if filters.updated_since is not None:
        qs = qs.filter(last_message_at__gte=filters.updated_since)
    return qs


# -- the search page: results grouped by kind, the matching words marked -------------------------


@dataclass(frozen=True)
class SearchHit:
    title: SafeString  # escaped, matching words in <mark>
    url: str
    snippet: SafeString  # escaped, matching words in <mark>
    meta: str = ""


@dataclass(frozen=True)
class SearchSection:
    kind: str  # "conversations", "customers", "articles", …
    label: str
    hits: list[SearchHit]
    more: bool = False  # there were more than the page shows


SectionSearch = Callable[..., "SearchSection | None"]


def _root(term: str) -> str:
    """What a stemmed match shares with the word typed: "refunds" marks "refund" and "refunded"."""
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if term.endswith(suffix) and len(term) - len(suffix) >= 3:
            return term[: -len(suffix)]
    return term


def _marks(terms: Sequence[str]) -> Callable[[str], bool]:
    """Whether a word (lower-cased) is one a term matched: one beginning with a term's root, or
    for a term shorter than `MIN_PREFIX` (never read as a prefix) that very word."""
    roots = tuple(_root(t) for t in terms if len(t) >= MIN_PREFIX)
    whole = frozenset(t for t in terms if len(t) < MIN_PREFIX)
    return lambda word: word in whole or (bool(roots) and word.startswith(roots))


def marked(text: str, terms: Sequence[str]) -> SafeString:
    """`text` escaped for HTML, with the words that match a term in <mark>."""
    matches = _marks(terms)
    out, pos = [], 0
    for word in _WORD.finditer(text):
        if matches(word.group().lower()):
            out += [escape(text[pos : word.start()]), "<mark>", escape(word.group()), "</mark>"]
            pos = word.end()
    out.append(escape(text[pos:]))
    return mark_safe("".join(out))  # noqa: S308  # every piece of text went through escape()


def snippet(text: str, terms: Sequence[str], *, width: int = 180) -> SafeString:
    """The part of `text` around its first matching word, marked."""
    matches = _marks(terms)
    start = 0
    for word in _WORD.finditer(text):
        if matches(word.group().lower()):
            start = max(0, word.start() - width // 3)
            break
    piece = " ".join(text[start : start + width].split())
    prefix, suffix = ("… " if start else ""), (" …" if start + width < len(text) else "")
    return marked(f"{prefix}{piece}{suffix}", terms)


def _conversation_section(user: User | Any, query: str, terms: list[str]) -> SearchSection:
    include_notes = agent_of(user) is not None
    visible = Conversation.objects.filter(conversation_filter(user))
    # Newest first by id: the index is read newest first and stops at the 21st match; sorting
    # by last activity would read every match first (a common word's hundreds of thousands at
    # a million conversations). The API's `q` may sort as it likes.
    rows = conversations_newest(
        visible.select_related("customer"),
        terms,
        include_notes=include_notes,
        limit=SECTION_LIMIT + 1,
    )
    shown = rows[:SECTION_LIMIT]
    # The first message of each that holds a word: read in one query, at most 2,000 characters
    # of each message (what a snippet can show).
    messages = Message.objects.filter(conversation__in=shown).order_by("created_at", "pk")
    if not include_notes:
        messages = messages.exclude(direction=Direction.NOTE)
    matches = _marks(terms)
    found: dict[int, str] = {}
    heads = messages.annotate(head=Substr("text", 1, 2000)).values_list("conversation_id", "head")
    for conversation_id, text in heads:
        if conversation_id not in found and any(
            matches(w.lower()) for w in _WORD.findall(text[:2000])
        ):
            found[conversation_id] = text[:2000]
    hits = [
        SearchHit(
            title=marked(f"#{c.pk} {c.subject}", terms),
            url=c.get_absolute_url(),
            snippet=snippet(found.get(c.pk, ""), terms),
            meta=f"{c.customer.name} · {c.get_status_display()}",
        )
        for c in shown
    ]
    return SearchSection("conversations", "Conversations", hits, more=len(rows) > SECTION_LIMIT)


def _customer_section(user: User | Any, query: str, terms: list[str]) -> SearchSection:
    rows = list(
        customers_matching(user, query)
        .select_related("organisation")
        .prefetch_related("identities")
        .order_by("name", "pk")[: SECTION_LIMIT + 1]
    )
    hits = [
        SearchHit(
            title=marked(c.name, terms),
            url=reverse("desk:customer", args=[c.pk]),
            snippet=marked(
                " · ".join(
                    x for x in (c.email, c.organisation.name if c.organisation else "") if x
                ),
                terms,
            ),
        )
        for c in rows[:SECTION_LIMIT]
    ]
    return SearchSection("customers", "Customers", hits, more=len(rows) > SECTION_LIMIT)


def desk_search(*, user: User | Any, query: str) -> list[SearchSection]:
    """Everything the user may open that matches `query`, grouped by kind: conversations,
    customers, then each section named in `settings.SEARCH_SECTIONS` (dotted paths to a callable
    `(*, user, query, terms) -> SearchSection | None`; how higher apps such as knowledge add
    theirs without this layer importing them)."""
    terms = search_terms(query)
    if not terms:
        return []
    sections = [_conversation_section(user, query, terms)]
    if agent_of(user) is not None:
        sections.append(_customer_section(user, query, terms))
    for path in getattr(settings, "SEARCH_SECTIONS", ()):
        section = import_string(path)(user=user, query=query, terms=terms)
        if section is not None:
            sections.append(section)
    return sections
