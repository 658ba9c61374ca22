"""The API's inbound path in queries: a customer opening a conversation and writing again.

Pinned, so that a regression fails here rather than in a benchmark: on SQLite the one write lock
is held from the transaction's first statement, so every statement inside it is paid by every
other writer; reads (who is calling, may they see it, validation) belong before it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from caredesk.customers.services import customer_email_verify, customer_signup
from caredesk.people.services import api_token_create

pytestmark = pytest.mark.django_db

# A test runs in a transaction, so the service's write is a savepoint; after-commit work
# (webhooks, rollups, mail) runs in the worker and is not counted here.
# Outside the write: the token with its user, agent and customer in one query; opening also
# checks the customer exists (validation), writing again checks the conversation is theirs.
# Inside, opening: the conversation (with its first reading's fields), its event and the message;
# writing again: the lock, the message, the conversation's update and the event.
CREATE_READS, CREATE_WRITE = 2, 3
MESSAGE_READS, MESSAGE_WRITE = 2, 4
# After the write, the answer: opening: queue place, wait estimate, messages and attachments;
# writing again: the message's attachments.
CREATE_ANSWER, MESSAGE_ANSWER = 5, 1


def _assert_counts(queries: list[dict[str, Any]], expected: tuple[int, int, int]) -> None:
    """The statements before the service's write, inside it, and after it, counted."""
    sql = [q["sql"] for q in queries]
    start = next(i for i, s in enumerate(sql) if s.startswith("SAVEPOINT"))
    end = next(i for i, s in enumerate(sql) if s.startswith("RELEASE SAVEPOINT"))
    reads, write, answer = sql[:start], sql[start + 1 : end], sql[end + 1 :]
    shown = [*reads, "-- write:", *write, "-- answer:", *answer]
    assert (len(reads), len(write), len(answer)) == expected, "\n".join(s[:120] for s in shown)


@pytest.fixture
def customer_api() -> Client:
    email = "inbound@example.com"
    out = customer_signup(email=email, password="inbound-password-123", name="Inbound")
    customer_email_verify(user=out.user)
    token = api_token_create(email=email, name="inbound")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _post(client: Client, url: str, body: dict[str, str]) -> tuple[dict[str, Any], Any]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json(), queries.captured_queries


def test_opening_a_conversation_reads_before_the_write_and_writes_little(
    customer_api: Client,
) -> None:
    # The first call records the token's last use (once a minute): not the steady state.
    _post(customer_api, "/api/conversations", {"subject": "Warm-up", "text": "Hello."})
    body, queries = _post(
        customer_api, "/api/conversations", {"subject": "Invoice", "text": "It is wrong."}
    )
    _assert_counts(queries, (CREATE_READS, CREATE_WRITE, CREATE_ANSWER))
    assert body["messages"][0]["text"] == "It is wrong."


def test_writing_again_reads_before_the_write_and_writes_little(customer_api: Client) -> None:
    opened, _ = _post(customer_api, "/api/conversations", {"subject": "Invoice", "text": "Wrong."})
    url = f"/api/conversations/{opened['id']}/messages"
    body, queries = _post(customer_api, url, {"text": "Any update?"})
    _assert_counts(queries, (MESSAGE_READS, MESSAGE_WRITE, MESSAGE_ANSWER))
    assert body["text"] == "Any update?"
