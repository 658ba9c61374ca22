"""Reading articles: who may edit what, full-text search, and whether self-service really helped."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
)

from caredesk.conversations.models import Conversation
from caredesk.knowledge.models import Article, ArticleStatus, SelfServiceResolution
from caredesk.people.models import Agent, Team

SEARCH_LIMIT = 5
# A new conversation from the customer within this long means the article did not really help.
RESOLUTION_HOLDS = timedelta(days=7)

# Words that say nothing about the problem; a question made only of them suggests nothing.
_STOPWORD_TEXT = (
    "a an and are as at be been but by can could did do does for from had has have how if in "
    "into is it its me my no not of on or our so that the their them then there this to up was "
    "we were what when where which who why will with would you your hi hello please thanks help"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"[^\W_]+")
_MAX_TERMS = 12


def teams_for_articles(agent: Agent) -> QuerySet[Team]:
    """The teams an agent may give an article to: any for a lead, else their own."""
    return Team.objects.all() if agent.sees_everything else agent.teams.all()


def articles_editable_by(agent: Agent) -> QuerySet[Article]:
    if agent.sees_everything:
        return Article.objects.all()
    return Article.objects.filter(team__in=agent.teams.all())


def may_edit_article(agent: Agent, article: Article) -> bool:
    return articles_editable_by(agent).filter(pk=article.pk).exists()


def articles_for_desk(agent: Agent) -> QuerySet[Article]:
    """Every published article (agents link them) and the drafts this agent may work on."""
    editable = Q(pk__in=articles_editable_by(agent).values("pk"))
    return (
        Article.objects.filter(Q(status=ArticleStatus.PUBLISHED) | editable)
        .annotate(editable=ExpressionWrapper(editable, output_field=BooleanField()))
        .select_related("team")
        .order_by("title", "pk")
    )


def articles_published() -> QuerySet[Article]:
    return Article.objects.filter(status=ArticleStatus.PUBLISHED).order_by("title", "pk")


def search_terms(query: str) -> list[str]:
    """The words of a question worth searching for, lower-cased, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query.lower()):
        if len(word) > 1 and word not in _STOPWORDS:
            seen.setdefault(word[:64], None)
    return list(seen)[:_MAX_TERMS]


def _ranked_ids_sqlite(terms: list[str], limit: int) -> list[int]:
    # Any word may match (a customer's question is not a keyword list); the last one is still
    # being typed, so it matches as a prefix. Terms are letters and digits only, quoted.
    match = " OR ".join(f'"{t}"' for t in terms[:-1])
    match = f'{match} OR "{terms[-1]}"*' if match else f'"{terms[-1]}"*'
    sql = (
        "SELECT a.id FROM knowledge_article_fts f JOIN knowledge_article a ON a.id = f.rowid "
        "WHERE knowledge_article_fts MATCH %s AND a.status = %s "
        "ORDER BY bm25(knowledge_article_fts, 10.0, 1.0), a.id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, ArticleStatus.PUBLISHED.value, limit])
        return [row[0] for row in cursor.fetchall()]


# The expression of the GIN index made in migration 0002; the query must use it as written.
_PG_VECTOR = (
    "(setweight(to_tsvector('english', title), 'A') || "
    "setweight(to_tsvector('english', body), 'B'))"
)
# Only that constant is formatted in; every value is a parameter.
_PG_SEARCH = (
    f"SELECT id FROM knowledge_article WHERE status = %s "  # noqa: S608
    f"AND {_PG_VECTOR} @@ to_tsquery('english', %s) "
    f"ORDER BY ts_rank({_PG_VECTOR}, to_tsquery('english', %s)) DESC, id LIMIT %s"
)


def _ranked_ids_postgresql(terms: list[str], limit: int) -> list[int]:
    tsquery = " | ".join([*terms[:-1], f"{terms[-1]}:*"])
    with connection.cursor() as cursor:
        cursor.execute(_PG_SEARCH, [ArticleStatus.PUBLISHED.value, tsquery, tsquery, limit])
        return [row[0] for row in cursor.fetchall()]


def article_search(*, query: str, limit: int = SEARCH_LIMIT) -> list[Article]:
    """Published articles matching what someone typed, best first: the one search everywhere.

    SQLite uses its FTS5 index, PostgreSQL its full-text search; both stem English words, rank a
    match in the title above one in the body, and treat the last word as a prefix.
    """
    terms = search_terms(query)
    if not terms or limit < 1:
        return []
    if connection.vendor == "postgresql":
        ids = _ranked_ids_postgresql(terms, limit)
    else:
        ids = _ranked_ids_sqlite(terms, limit)
    found = Article.objects.select_related("team").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


@dataclass(frozen=True)
class SelfServiceOutcomes:
    """Self-service resolutions in a period, and how many held for a week."""

    resolutions: int  # "This solved it" clicks in the period
    held: int  # no new conversation from that customer within 7 days
    returned: int  # the customer opened a conversation within 7 days after all
    pending: int  # fewer than 7 days ago, no conversation yet: too early to tell

    @property
    def held_rate(self) -> float | None:
        """Share of the decided ones that held; None while none is decided."""
        decided = self.held + self.returned
        return self.held / decided if decided else None


def self_service_outcomes(
    *, since: datetime, until: datetime, now: datetime
) -> SelfServiceOutcomes:
    """Whether "This solved it" was true: counted over resolutions made in [since, until)."""
    came_back = Conversation.objects.filter(
        customer=OuterRef("customer"),
        created_at__gte=OuterRef("created_at"),
        created_at__lt=OuterRef("created_at") + RESOLUTION_HOLDS,
    )
    counts = (
        SelfServiceResolution.objects.filter(created_at__gte=since, created_at__lt=until)
        .annotate(came_back=Exists(came_back))
        .aggregate(
            total=Count("pk"),
            returned=Count("pk", filter=Q(came_back=True)),
            held=Count("pk", filter=Q(came_back=False, created_at__lte=now - RESOLUTION_HOLDS)),
        )
    )
    total, held, returned = counts["total"], counts["held"], counts["returned"]
    return SelfServiceOutcomes(
        resolutions=total, held=held, returned=returned, pending=total - held - returned
    )
