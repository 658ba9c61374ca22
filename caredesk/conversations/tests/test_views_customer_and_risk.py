"""Issue 12, points 2 and 7: the inbox row keeps the strongest open risk, and the customer's page
is a profile, stats and a paginated history of latest messages, never every message."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from caredesk.conversations import selectors
from caredesk.conversations.models import Rating
from caredesk.conversations.services import conversation_resolve, customer_message_add
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Identity, IdentityKind, Organisation
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.models import Agent, Team

pytestmark = pytest.mark.django_db

LEAVING = "This is the third time I write. I will cancel my account and go to a competitor."


def test_the_queue_row_keeps_the_strongest_risk_after_a_calmer_message(
    agent_client: Client, agent: Agent, team: Team
) -> None:
    c = make_conversation(team=team, text=LEAVING)
    assert "churn_intent" in c.signals
    customer_message_add(conversation=c, text="Any update?", author=c.customer.user)
    c.refresh_from_db()
    assert "churn_intent" not in c.signals and c.risk_signal == "churn_intent"
    page = agent_client.get("/desk/").content.decode()
    assert "may leave us" in page and 'class="icon icon-churn_intent"' in page

    conversation_resolve(conversation=c, agent=agent)
    c.refresh_from_db()
    assert c.risk_signal == ""  # resolved: no longer an open risk


def test_no_emoji_in_the_inbox_or_the_conversation_page(agent_client: Client, team: Team) -> None:
    c = make_conversation(team=team, text=LEAVING)
    for url in ("/desk/", f"/desk/c/{c.pk}/"):
        page = agent_client.get(url).content.decode()
        assert not [ch for ch in page if ord(ch) >= 0x2190 and ch not in "→←—·–…"], url


def test_the_customer_page_shows_profile_stats_and_latest_messages(
    agent_client: Client, agent: Agent, team: Team
) -> None:
    org = Organisation.objects.create(name="Elm Bakery", plan="gold")
    customer = CustomerFactory.create(organisation=org)
    Identity.objects.create(customer=customer, kind=IdentityKind.EMAIL, value="ann@elm.example")
    Identity.objects.create(customer=customer, kind=IdentityKind.PHONE, value="+44 20 7946 0000")
    first_at = timezone.now() - timezone.timedelta(days=400)
    old = make_conversation(customer=customer, team=team, subject="Oven", at=first_at)
    customer_message_add(conversation=old, text="EARLIER WORDS", author=customer.user)
    customer_message_add(conversation=old, text="The newest words", author=customer.user)
    conversation_resolve(conversation=old, agent=agent)
    Rating.objects.create(conversation=old, satisfaction=4, effort=2, created_at=timezone.now())
    make_conversation(customer=customer, team=team, subject="Mixer", text=LEAVING)

    page = agent_client.get(f"/desk/customers/{customer.pk}/").content.decode()
    assert "Elm Bakery" in page and "ann@elm.example" in page and "+44 20 7946 0000" in page
    assert first_at.strftime("%d %b %Y") in page  # first contact, not the row's creation
    assert 'id="conversation-count">2<' in page and "4/5 satisfied" in page
    assert "may leave us" in page  # the open risk on Mixer
    assert "The newest words" in page and "EARLIER WORDS" not in page


def test_the_customer_history_is_paginated_in_a_bounded_number_of_queries(
    agent_client: Client, team: Team
) -> None:
    customer = CustomerFactory()
    make_conversation(customer=customer, team=team)
    with CaptureQueriesContext(connection) as few:
        agent_client.get(f"/desk/customers/{customer.pk}/")
    for i in range(selectors.CUSTOMER_PAGE_SIZE + 2):
        make_conversation(customer=customer, team=team, subject=f"Problem {i}")
    with CaptureQueriesContext(connection) as many:
        page = agent_client.get(f"/desk/customers/{customer.pk}/").content.decode()
    assert len(many) == len(few), [q["sql"] for q in many]
    assert page.count('class="card history-item"') == selectors.CUSTOMER_PAGE_SIZE
    older = agent_client.get(f"/desk/customers/{customer.pk}/", {"page": 2}).content.decode()
    assert older.count('class="card history-item"') == 3
    assert "Page 2 of 2" in older
