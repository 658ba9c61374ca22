"""The public help centre, suggestions in the portal, "This solved it", and links at the desk."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from caredesk.conftest import login
from caredesk.conversations.models import Conversation
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.knowledge.models import Article, ArticleStatus, SelfServiceResolution
from caredesk.knowledge.tests.factories import make_article
from caredesk.people.models import Agent, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def refund(lead: Agent, team: Team) -> Article:
    return make_article(
        actor=lead,
        team=team,
        title="Where is my refund?",
        body="Refunds reach your card within **5 working days**.",
    )


def test_anyone_can_search_and_read_published_articles(client: Client, refund: Article) -> None:
    draft = make_article(title="Refund secrets", status=ArticleStatus.DRAFT)
    page = client.get(reverse("help:index"), {"q": "when will I get my refund"})
    assert page.status_code == 200
    assert refund.title in page.content.decode() and draft.title not in page.content.decode()
    article = client.get(refund.get_absolute_url())
    assert "<strong>5 working days</strong>" in article.content.decode()
    assert client.get(reverse("help:article", kwargs={"slug": draft.slug})).status_code == 404
    # One click to a person from every page, carrying the search with it.
    assert reverse("portal:new") + "?text=when%20will%20I%20get%20my%20refund" in (
        page.content.decode()
    )


def test_the_portal_form_is_filled_with_what_was_searched(
    customer_client: Client,
) -> None:
    page = customer_client.get(reverse("portal:new"), {"text": "Where is my refund?"})
    assert ">Where is my refund?</textarea>" in page.content.decode()


def test_suggestions_follow_what_the_customer_types(client: Client, refund: Article) -> None:
    found = client.get(reverse("help:suggest"), {"subject": "Refund", "text": "still waiting"})
    html = found.content.decode()
    assert refund.title in html and 'formaction="/help/solved/"' in html
    assert "talk to a person" in html
    nothing = client.get(reverse("help:suggest"), {"subject": "", "text": "hello"})
    assert nothing.status_code == 200 and not nothing.content.decode().strip()


def test_this_solved_it_records_a_resolution_and_opens_nothing(
    customer_client: Client, customer: Customer, refund: Article
) -> None:
    typed = {"subject": "Refund?", "text": "I returned the shoes last week.", "article": refund.pk}
    response = customer_client.post(reverse("help:solved"), typed)
    assert response.status_code == 302 and response["Location"] == reverse("portal:list")
    resolution = SelfServiceResolution.objects.get()
    assert (resolution.customer, resolution.article) == (customer, refund)
    assert resolution.question == "Refund?\n\nI returned the shoes last week."
    assert not Conversation.objects.exists()


def test_a_bad_solved_request_keeps_what_was_typed(
    customer_client: Client, refund: Article
) -> None:
    draft = make_article(title="Unpublished", status=ArticleStatus.DRAFT)
    gone = customer_client.post(reverse("help:solved"), {"article": draft.pk, "text": "Mine"})
    assert gone.status_code == 400 and "no longer published" in gone.content.decode()
    assert ">Mine</textarea>" in gone.content.decode()
    bad = customer_client.post(reverse("help:solved"), {"article": "", "text": "My words"})
    assert bad.status_code == 400 and ">My words</textarea>" in bad.content.decode()
    assert not SelfServiceResolution.objects.exists()


def test_an_agent_links_an_article_from_the_reply_box(
    agent: Agent, team: Team, refund: Article
) -> None:
    conversation = make_conversation(team=team)
    client = login(Client(), agent.user.email)
    found = client.get(reverse("knowledge:links", args=[conversation.pk]), {"q": "refund"})
    assert refund.title in found.content.decode()
    url = reverse("knowledge:insert", args=[conversation.pk])
    box = client.post(url, {"text": "Sorry for the wait.", "article": refund.pk})
    assert box.status_code == 200
    expected = f"Sorry for the wait.\n\nWhere is my refund?: http://testserver/help/{refund.slug}/"
    assert f">{expected}</textarea>" in box.content.decode()
    refused = client.post(url, {"text": "Keep me"})
    assert refused.status_code == 400 and ">Keep me</textarea>" in refused.content.decode()


def test_agents_write_articles_for_their_team_at_the_desk(agent: Agent, team: Team) -> None:
    client = login(Client(), agent.user.email)
    data = {"title": "Delivery times", "body": "Two *days*.", "team": team.pk, "status": "draft"}
    response = client.post(reverse("knowledge:new"), data)
    article = Article.objects.get()
    assert response.status_code == 302 and article.body_html == "<p>Two <em>days</em>.</p>\n"
    assert client.get(reverse("knowledge:edit", args=[article.pk])).status_code == 200
    empty = client.post(reverse("knowledge:edit", args=[article.pk]), {**data, "body": " "})
    assert empty.status_code == 400
    assert Article.objects.get().body == "Two *days*."


def test_the_lists_take_a_fixed_number_of_queries(
    client: Client, agent: Agent, team: Team, django_assert_num_queries: Any
) -> None:
    for n in range(12):  # one query per article would show
        make_article(title=f"Article {n}", team=team)
    desk = login(Client(), agent.user.email)
    with django_assert_num_queries(5):  # the login's, then count and page
        assert desk.get(reverse("knowledge:list")).status_code == 200
    with django_assert_num_queries(2):  # count, page
        assert client.get(reverse("help:index")).status_code == 200


def test_the_desk_list_opens_for_editing_only_what_the_agent_may_edit(
    agent: Agent, team: Team, other_team: Team
) -> None:
    mine = make_article(title="Ours", team=team, status=ArticleStatus.DRAFT)
    theirs = make_article(title="Theirs", team=other_team)
    hidden = make_article(title="Their draft", team=other_team, status=ArticleStatus.DRAFT)
    html = login(Client(), agent.user.email).get(reverse("knowledge:list")).content.decode()
    assert reverse("knowledge:edit", args=[mine.pk]) in html
    assert theirs.get_absolute_url() in html
    assert reverse("knowledge:edit", args=[theirs.pk]) not in html
    assert hidden.title not in html
