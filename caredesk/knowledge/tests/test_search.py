"""One search selector over SQLite FTS5 and PostgreSQL full-text search (the suite runs on both)."""

from __future__ import annotations

import pytest

from caredesk.knowledge.models import Article, ArticleStatus
from caredesk.knowledge.selectors import article_search, search_terms
from caredesk.knowledge.services import article_save
from caredesk.knowledge.tests.factories import make_article
from caredesk.people.models import Agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(lead: Agent) -> dict[str, Article]:
    return {
        "refund": make_article(
            actor=lead,
            title="Where is my refund?",
            body="Refunds are paid back to the card you used within 5 working days.",
        ),
        "charged": make_article(
            actor=lead,
            title="I was charged twice",
            body="A second charge is a card hold that goes away. If it stays, we refund it.",
        ),
        "password": make_article(
            actor=lead,
            title="Resetting your password",
            body="Use the link on the login page to reset a forgotten password.",
        ),
        "draft": make_article(
            actor=lead,
            title="Refund policy (draft)",
            body="Refunds refunds refunds.",
            status=ArticleStatus.DRAFT,
        ),
    }


def _titles(query: str) -> list[str]:
    return [a.title for a in article_search(query=query)]


def test_a_typed_question_finds_the_right_article_first(articles: dict[str, Article]) -> None:
    assert _titles("My card was charged twice for one order")[0] == "I was charged twice"
    assert _titles("I forgot my password")[0] == "Resetting your password"


def test_words_are_stemmed_and_the_last_one_is_a_prefix(articles: dict[str, Article]) -> None:
    assert "Where is my refund?" in _titles("refunded")  # stemmed: refunded ~ refund
    assert _titles("passw") == ["Resetting your password"]  # still typing


def test_the_title_outranks_the_body(articles: dict[str, Article]) -> None:
    # "refund" is in the refund article's title and only in the charged article's body.
    assert _titles("refund")[:2] == ["Where is my refund?", "I was charged twice"]


def test_drafts_never_show(articles: dict[str, Article]) -> None:
    assert all("draft" not in t for t in _titles("refund policy refunds"))


def test_nothing_for_empty_stopword_or_hostile_queries(articles: dict[str, Article]) -> None:
    for query in ("", "   ", "how do I", '"* OR NEAR( AND', "'; DROP TABLE knowledge_article; --"):
        assert article_search(query=query) == [], query
    # Search syntax is only ever text: quotes, stars and operators are dropped, words stay.
    assert _titles('password" OR *')[0] == "Resetting your password"
    assert search_terms('Pass_word "NEAR" refund refund') == ["pass", "word", "near", "refund"]


def test_the_index_follows_edits_and_deletes(lead: Agent, articles: dict[str, Article]) -> None:
    """Kept in step by the database itself; fails if a migration dropped the SQLite triggers."""
    article_save(
        actor=lead,
        article=articles["password"],
        title="Two-factor codes",
        body="Codes come by text message.",
        team=None,
        status=ArticleStatus.PUBLISHED,
    )
    assert _titles("password") == []
    assert _titles("two-factor codes") == ["Two-factor codes"]
    articles["charged"].delete()
    assert "I was charged twice" not in _titles("charged twice")
    Article.objects.filter(pk=articles["draft"].pk).update(status=ArticleStatus.PUBLISHED)
    assert "Refund policy (draft)" in _titles("policy")


def test_the_limit_bounds_the_answer(lead: Agent) -> None:
    for n in range(8):
        make_article(actor=lead, title=f"Delivery question {n}", body="Delivery times.")
    assert len(article_search(query="delivery")) == 5
    assert len(article_search(query="delivery", limit=2)) == 2
