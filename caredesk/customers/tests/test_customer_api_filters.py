"""The customers list in the API: `q`, `organisation` and `updated_since`, paged by cursor."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.customers.tests.factories import CustomerFactory, OrganisationFactory
from caredesk.people.models import Agent
from caredesk.people.services import api_token_create

pytestmark = pytest.mark.django_db

DAY1 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def _get(token: str, **params: Any) -> Any:
    return Client().get("/api/customers", params, HTTP_AUTHORIZATION=f"Bearer {token}")


def _names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [c["name"] for c in response.json()]


@pytest.fixture
def desk(lead: Agent) -> tuple[str, dict[str, Customer]]:
    acme, globex = OrganisationFactory(name="Acme Kettles"), OrganisationFactory(name="Globex")
    with time_machine.travel(DAY1, tick=False) as clock:
        people = {
            "ada": CustomerFactory(name="Ada Lovelace", organisation=acme, email="ada@math.test"),
            "bob": CustomerFactory(name="Bob Stone", organisation=globex, email="bob@acme.test"),
            "cy": CustomerFactory(name="Cy Young", organisation=None, email="cy@ball.test"),
        }
        clock.move_to(DAY1 + timedelta(days=10))
        people["dee"] = CustomerFactory(name="Dee Acme", organisation=None, email="d@x.test")
        make_conversation(customer=people["cy"])  # Cy writes on day 11
        token = api_token_create(email=lead.user.email, name="filters")
    return token, people


def test_q_finds_name_email_and_organisation(desk: tuple[str, dict[str, Customer]]) -> None:
    token, _ = desk
    # "acme": Ada's organisation, Bob's address, Dee's name; never Cy.
    assert _names(_get(token, q="acme")) == ["Ada Lovelace", "Bob Stone", "Dee Acme"]
    assert _names(_get(token, q="ACME stone")) == ["Bob Stone"]  # every word must match
    assert _names(_get(token, q="ball.test")) == ["Cy Young"]
    assert _names(_get(token, q="nobody")) == []


def test_organisation_and_updated_since(desk: tuple[str, dict[str, Customer]]) -> None:
    token, people = desk
    acme = people["ada"].organisation
    assert acme is not None
    assert _names(_get(token, organisation=acme.pk)) == ["Ada Lovelace"]
    since = (DAY1 + timedelta(days=5)).isoformat()
    # Dee was added after, Cy wrote after; Ada and Bob did nothing since.
    assert _names(_get(token, updated_since=since)) == ["Cy Young", "Dee Acme"]
    assert _names(_get(token, updated_since=since, q="young")) == ["Cy Young"]
    bad = _get(token, updated_since="yesterday")
    assert bad.status_code == 422 and "error" in bad.json()


def test_filtered_pages_follow_the_cursor_and_keep_the_filters(
    desk: tuple[str, dict[str, Customer]],
) -> None:
    token, _ = desk
    seen: list[str] = []
    response = _get(token, q="acme", limit=1)
    while True:
        seen += _names(response)
        link = response.get("Link")
        if not link:
            break
        assert "q=acme" in link and 'rel="next"' in link
        match = re.search(r"cursor=([^&>]+)", link)
        assert match
        response = _get(token, q="acme", limit=1, cursor=match.group(1))
    assert seen == ["Ada Lovelace", "Bob Stone", "Dee Acme"]
