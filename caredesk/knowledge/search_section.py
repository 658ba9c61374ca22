"""Articles in the desk's search (`conversations.search.desk_search`), named in
`settings.SEARCH_SECTIONS`: knowledge sits above conversations, so it plugs in rather than being
imported. The ranking and the index are `selectors.article_search`'s, the one article search."""

from __future__ import annotations

from typing import Any

from caredesk.conversations.search import SearchHit, SearchSection, marked, snippet
from caredesk.knowledge.selectors import article_search
from caredesk.people.models import User

LIMIT = 10


def article_section(*, user: User | Any, query: str, terms: list[str]) -> SearchSection:
    """Published articles only: what anyone may open at /help/."""
    rows = article_search(query=query, limit=LIMIT + 1)
    hits = [
        SearchHit(
            title=marked(a.title, terms), url=a.get_absolute_url(), snippet=snippet(a.body, terms)
        )
        for a in rows[:LIMIT]
    ]
    return SearchSection("articles", "Articles", hits, more=len(rows) > LIMIT)
