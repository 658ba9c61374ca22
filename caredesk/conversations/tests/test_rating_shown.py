"""A rated conversation shows the customer their rating, not an empty form (issue 12)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from caredesk.conversations.services import conversation_resolve, rating_submit
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.people.models import Agent, Team

pytestmark = pytest.mark.django_db


def test_the_portal_shows_the_rating_given_instead_of_the_form(
    customer: Customer, customer_client: Client, agent: Agent, team: Team
) -> None:
    c = make_conversation(customer=customer, team=team)
    conversation_resolve(conversation=c, agent=agent)
    url = reverse("portal:conversation", args=[c.pk])
    assert 'name="satisfaction"' in customer_client.get(url).content.decode()

    rating_submit(conversation=c, user=customer.user, satisfaction=4, effort=2, comment="Kind.")
    page = customer_client.get(url).content.decode()
    assert 'id="your-rating"' in page and "You rated this 4/5 (effort 2/5): “Kind.”" in page
    assert 'name="satisfaction"' not in page and 'id="rate-btn"' not in page


def test_a_refused_rating_keeps_what_the_customer_chose(
    customer: Customer, customer_client: Client, agent: Agent, team: Team
) -> None:
    c = make_conversation(customer=customer, team=team)
    conversation_resolve(conversation=c, agent=agent)
    page = customer_client.post(
        reverse("portal:rate", args=[c.pk]), {"satisfaction": 4, "comment": "Fast."}
    ).content.decode()  # no effort: refused
    assert 'name="satisfaction" value="4" required checked' in page
    assert ">Fast.</textarea>" in page
