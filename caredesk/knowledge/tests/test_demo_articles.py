"""The demo desk ships a small help centre, written through the service and searchable."""

from __future__ import annotations

import pytest

from caredesk.demo.articles import ARTICLES
from caredesk.demo.generator import demo_seed
from caredesk.knowledge.models import Article, ArticleStatus
from caredesk.knowledge.selectors import article_search

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_its_articles_and_reseeds_them_cleanly() -> None:
    demo_seed(size=3, fast=True)
    demo_seed(size=3, fast=True, reset=True)  # the old ones go; no "-2" slugs
    assert Article.objects.count() == len(ARTICLES)
    assert not Article.objects.filter(slug__endswith="-2").exists()
    published = Article.objects.filter(status=ArticleStatus.PUBLISHED)
    assert published.count() == sum(1 for *_, is_published in ARTICLES if is_published)
    assert set(published.values_list("team__name", flat=True)) == {"Billing", "Technical"}
    assert "<table>" in Article.objects.get(title="When will I get my refund?").body_html
    found = article_search(query="I see two charges on my card")
    assert found[0].title == "I was charged twice"
