"""Writing articles: safe Markdown, drafts and publishing, and who may edit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from caredesk.knowledge.models import ArticleStatus
from caredesk.knowledge.services import article_save
from caredesk.knowledge.tests.factories import make_article
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def test_markdown_is_rendered_and_anything_unsafe_removed(lead: Agent) -> None:
    article = make_article(
        actor=lead,
        body=(
            "# Refunds\n\nWe refund **within 5 days**.\n\n<script>alert(1)</script>\n\n"
            "[click](javascript:alert(1)) [our terms](https://example.com/terms)\n\n"
            '<img src=x onerror="alert(1)">'
        ),
    )
    html = article.body_html
    assert "<h1>Refunds</h1>" in html
    assert "<strong>within 5 days</strong>" in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html and "&lt;img" in html  # raw HTML is shown as text, not run
    assert 'href="https://example.com/terms"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_publishing_stamps_once_and_the_slug_outlives_a_new_title(lead: Agent) -> None:
    draft = make_article(actor=lead, title="Change your address", status=ArticleStatus.DRAFT)
    assert draft.published_at is None and draft.slug == "change-your-address"
    published = article_save(
        actor=lead,
        article=draft,
        title="Changing your delivery address",
        body=draft.body,
        team=None,
        status=ArticleStatus.PUBLISHED,
    )
    first = published.published_at
    assert first is not None and published.slug == "change-your-address"
    again = article_save(
        actor=lead, article=published, title="x", body="y", team=None, status="published"
    )
    assert again.published_at == first


def test_same_titles_and_reserved_paths_get_their_own_slugs(lead: Agent) -> None:
    assert make_article(actor=lead, title="Refunds").slug == "refunds"
    assert make_article(actor=lead, title="Refunds").slug == "refunds-2"
    assert make_article(actor=lead, title="Suggest").slug == "suggest-2"


def test_agents_edit_their_teams_articles_only(team: Team, other_team: Team, agent: Agent) -> None:
    mine = make_article(team=team)
    article_save(actor=agent, article=mine, title="New", body="Body", team=team, status="draft")
    theirs = make_article(team=other_team)
    with pytest.raises(PermissionDenied):
        article_save(actor=agent, article=theirs, title="x", body="y", team=team, status="draft")
    with pytest.raises(ValidationError) as exc:
        article_save(actor=agent, title="x", body="y", team=other_team, status="draft")
    assert "team" in exc.value.message_dict
    with pytest.raises(ValidationError):  # an agent's article belongs to a team
        article_save(actor=agent, title="x", body="y", team=None, status="draft")
    outsider = AgentFactory.create(teams=[other_team])
    with pytest.raises(PermissionDenied):
        article_save(actor=outsider, article=mine, title="x", body="y", team=team, status="draft")


@pytest.mark.parametrize(
    ("title", "body", "status", "field"),
    [
        ("", "Body", "draft", "title"),
        ("Title", "   ", "draft", "body"),
        ("Title", "Body", "archived", "status"),
        ("Title", "x" * 100_001, "draft", "body"),
        ("Broken \ud800", "Body", "draft", "title"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(
    lead: Agent, title: str, body: str, status: str, field: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        article_save(actor=lead, title=title, body=body, team=None, status=status)
    assert field in exc.value.message_dict
