"""In Chromium: while a customer writes, a matching article is suggested; talking to a person
opens the conversation with exactly what they typed, and "This solved it" records the article."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from caredesk.conftest import BrowserSession
from caredesk.conversations.models import Conversation
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.knowledge.models import SelfServiceResolution
from caredesk.knowledge.tests.factories import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUBJECT = "Charged twice"
TEXT = "My card was charged twice for order 1182.\nCan you refund the second charge?"


def _type_question(session: BrowserSession) -> None:
    session.page.goto("/portal/new/")
    session.page.fill("#subject", SUBJECT)
    session.page.locator("#text").press_sequentially(TEXT[:40], delay=5)
    session.page.locator("#text").fill(TEXT)  # the rest, as a paste
    expect(session.page.locator("#suggestions li.suggestion")).to_have_count(1)


def test_a_suggested_article_then_a_person_with_the_typed_text(
    open_browser: Any, customer: Customer
) -> None:
    article = make_article(
        title="I was charged twice",
        body="A second **charge** is usually a card hold that disappears within 3 days.",
    )
    make_article(title="Resetting your password", body="Use the link on the login page.")
    session: BrowserSession = open_browser("customer-self-service")
    session.login(customer.user.email)
    _type_question(session)
    suggestion = session.page.locator("#suggestions li.suggestion")
    expect(suggestion).to_contain_text(article.title)
    suggestion.locator("summary").click()
    expect(suggestion.locator(".article-body strong")).to_have_text("charge")
    session.shot("self-service-1-suggested")

    suggestion.locator("button.talk").click()
    session.page.wait_for_url("**/portal/c/*/")
    conversation = Conversation.objects.get()
    assert conversation.customer == customer
    assert conversation.subject == SUBJECT
    assert conversation.messages.get().text == TEXT
    expect(session.page.locator("body")).to_contain_text("order 1182")
    session.shot("self-service-2-conversation")
    assert not SelfServiceResolution.objects.exists()


def test_this_solved_it_records_the_article_and_opens_nothing(
    open_browser: Any, customer: Customer
) -> None:
    article = make_article(title="I was charged twice", body="A card hold disappears.")
    session: BrowserSession = open_browser("customer-solved")
    session.login(customer.user.email)
    _type_question(session)
    session.page.locator("#suggestions summary").click()
    session.page.locator("#suggestions button.solved").click()
    expect(session.page.locator(".flash")).to_contain_text("Glad that solved it")
    resolution = SelfServiceResolution.objects.get()
    assert (resolution.customer, resolution.article) == (customer, article)
    assert resolution.question == f"{SUBJECT}\n\n{TEXT}"
    assert not Conversation.objects.exists()


def test_an_agent_links_an_article_from_the_reply_box(
    open_browser: Any, agent: Any, team: Any
) -> None:
    article = make_article(title="I was charged twice", body="A card hold disappears.")
    conversation = make_conversation(team=team, subject=SUBJECT, text=TEXT)
    desk: BrowserSession = open_browser("agent-article-link")
    desk.login(agent.user.email)
    desk.page.goto(f"/desk/c/{conversation.pk}/")
    desk.page.fill("#reply-text", "Sorry about the double charge.")
    desk.page.fill("#article-q", "charged")
    desk.page.press("#article-q", "Enter")  # searches; never sends the reply
    desk.page.locator("#article-results button.insert-article").click()
    link = f"I was charged twice: {desk.page.url.split('/desk/')[0]}/help/{article.slug}/"
    expect(desk.page.locator("#reply-text")).to_have_value(
        f"Sorry about the double charge.\n\n{link}"
    )
    desk.shot("article-link-inserted")
    assert conversation.messages.count() == 1
