"""Writing articles and recording self-service resolutions: the knowledge base's only writers."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from caredesk.customers.models import Customer
from caredesk.knowledge.markdown import markdown_to_html
from caredesk.knowledge.models import Article, ArticleStatus, SelfServiceResolution
from caredesk.knowledge.selectors import may_edit_article, teams_for_articles
from caredesk.people.models import Agent, Team
from caredesk.text import clean_line, clean_text

BODY_MAX_CHARS = 100_000
QUESTION_MAX_CHARS = 20_000
# Paths of the help centre that an article's address must not take (knowledge/help_urls.py).
RESERVED_SLUGS = frozenset({"suggest", "solved"})


def _unique_slug(title: str, *, exclude: int | None) -> str:
    base = (slugify(title) or "article")[:200]
    slug, n = base, 1
    taken = Article.objects.exclude(pk=exclude) if exclude else Article.objects.all()
    while slug in RESERVED_SLUGS or taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def article_save(
    *,
    actor: Agent,
    title: str,
    body: str,
    team: Team | None,
    status: str,
    article: Article | None = None,
) -> Article:
    """Create or change an article, as a lead or an agent of the team that owns it.

    The slug is made once, from the first title, so links already sent to customers keep working
    when the title changes later.
    """
    if article is not None and not may_edit_article(actor, article):
        raise PermissionDenied("Only the owning team's agents and the leads edit this article.")
    if team is not None and not teams_for_articles(actor).filter(pk=team.pk).exists():
        raise ValidationError({"team": "Choose one of your own teams."})
    if team is None and not actor.sees_everything:
        raise ValidationError({"team": "Choose the team that keeps this article right."})
    if status not in ArticleStatus.values:
        raise ValidationError({"status": f"Choose one of: {', '.join(ArticleStatus.values)}."})
    title = clean_line(title, field="title", max_chars=200, required="Give the article a title.")
    body = clean_text(body, field="body")
    if not body:
        raise ValidationError({"body": "Write the article before saving — it is empty."})
    if len(body) > BODY_MAX_CHARS:
        raise ValidationError(
            {"body": f"This is {len(body):,} characters long; keep it to {BODY_MAX_CHARS:,}."}
        )
    now = timezone.now()
    if article is None:
        article = Article(
            created_by=actor.user, created_at=now, slug=_unique_slug(title, exclude=None)
        )
    else:
        article = Article.objects.select_for_update().get(pk=article.pk)
    article.title, article.body, article.team, article.status = title, body, team, status
    article.body_html = markdown_to_html(body)
    article.updated_at = now
    if status == ArticleStatus.PUBLISHED and article.published_at is None:
        article.published_at = now
    article.full_clean()
    article.save()
    return article


def self_service_resolve(
    *, customer: Customer, article: Article, question: str
) -> SelfServiceResolution:
    """Record that a published article answered what the customer was about to ask."""
    if not article.is_published:
        raise ValidationError({"article": "This article is not published."})
    question = clean_text(question, field="question")[:QUESTION_MAX_CHARS]
    resolution = SelfServiceResolution(
        customer=customer, article=article, question=question, created_at=timezone.now()
    )
    resolution.full_clean()
    resolution.save()
    return resolution
