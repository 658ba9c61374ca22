"""Schemathesis against the API's own OpenAPI schema, in-process over the Django WSGI app.

For every operation it generates valid and invalid requests from /api/openapi.json and checks that
none is answered with a 5xx, and that every answer has a documented status, the documented content
type and a body that fits the documented schema (the error shape included). Once as an agent and
once as a customer, since they see different routes and data. Examples are few and derandomized,
so a run takes well under a minute and finds the same thing on every machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from caredesk.conversations.services import note_add
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.people.models import Agent, Team
from caredesk.people.services import api_token_create

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# Read at collection, as a client reads it: /api/openapi.json through the WSGI app (no database).
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_the_test_transaction() -> Iterator[None]:
    """Do what Django's test client does around each request: keep the test's database connection.

    The WSGI handler closes "old" connections when a request starts and ends; the test's connection
    is inside its transaction, so on PostgreSQL that would close it (SQLite's in-memory one stays).
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(agent: Agent, lead: Agent, customer: Customer, team: Team) -> dict[str, str]:
    """Bearer tokens, and a few conversations so ids 1, 2, 3… lead somewhere."""
    assert customer.user is not None
    for n in range(3):
        c = make_conversation(customer=customer, team=team, subject=f"Order {n} missing")
        note_add(conversation=c, agent=agent, text="Checked the courier; waiting on them.")
    return {
        "agent": api_token_create(email=agent.user.email, name="schemathesis"),
        "customer": api_token_create(email=customer.user.email, name="schemathesis"),
    }


# Few, derandomized examples: the same cases on every machine, well under a minute per database.
BOUNDED = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _call(case: Any, token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


@schema.parametrize()
@BOUNDED
def test_the_api_answers_an_agent_as_its_schema_says(case: Any, tokens: dict[str, str]) -> None:
    _call(case, tokens["agent"])


@schema.parametrize()
@BOUNDED
def test_the_api_answers_a_customer_as_its_schema_says(case: Any, tokens: dict[str, str]) -> None:
    _call(case, tokens["customer"])
