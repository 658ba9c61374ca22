"""The JSON API: bearer tokens, clear errors, and the same rules as the pages."""

from __future__ import annotations

import pytest
from django.test import Client

from caredesk.conversations.models import Channel, Conversation, Direction
from caredesk.conversations.services import note_add
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.people.models import Agent, ApiToken, Team
from caredesk.people.services import api_token_create

pytestmark = pytest.mark.django_db


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_agent_creates_a_conversation_for_a_customer_by_email(agent: Agent) -> None:
    token = api_token_create(email=agent.user.email, name="shop integration")
    assert ApiToken.objects.get().digest != token  # only the hash is stored
    response = Client().post(
        "/api/conversations",
        {
            "subject": "Order 1043 missing",
            "text": "Where is my parcel?",
            "customer_email": "Pat@Example.test",
            "customer_name": "Pat Lee",
        },
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == Channel.API
    assert body["queue_position"] == 1
    assert body["messages"][0]["reading"]["emotion"]
    again = Client().post(
        "/api/conversations",
        {"subject": "Another", "text": "Hello again", "customer_email": "pat@example.test"},
        content_type="application/json",
        **bearer(token),
    )
    assert again.json()["customer_id"] == body["customer_id"]  # one customer per address


def test_bad_token_and_bad_payloads_get_clear_errors(agent: Agent) -> None:
    token = api_token_create(email=agent.user.email, name="t")
    assert Client().get("/api/conversations", **bearer("nope")).status_code == 401
    empty = Client().post(
        "/api/conversations",
        {"subject": "Hi", "text": "   ", "customer_email": "a@b.test"},
        content_type="application/json",
        **bearer(token),
    )
    assert empty.status_code == 400
    assert empty.json()["error"]["code"] == "invalid"
    assert "empty" in empty.json()["error"]["fields"]["text"][0]
    broken = Client().post(
        "/api/conversations", "{not json", content_type="application/json", **bearer(token)
    )
    assert broken.status_code in (400, 422)
    assert Conversation.objects.count() == 0
    missing = Client().get("/api/conversations/424242", **bearer(token))
    assert missing.status_code == 404


def test_customer_never_sees_internal_notes(
    customer_client: Client, customer: Customer, agent: Agent
) -> None:
    c = make_conversation(customer=customer)
    note_add(conversation=c, agent=agent, text="Customer seems to be on the old plan.")
    body = customer_client.get(f"/api/conversations/{c.pk}").json()
    assert [m["direction"] for m in body["messages"]] == [Direction.INBOUND]


def test_customer_writes_and_agent_replies_through_the_api(
    customer_client: Client, agent_client: Client, customer: Customer, team: Team
) -> None:
    c = make_conversation(customer=customer, team=team)
    r = customer_client.post(
        f"/api/conversations/{c.pk}/messages",
        {"text": "Any news?"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["direction"] == Direction.INBOUND
    r = agent_client.post(
        f"/api/conversations/{c.pk}/messages",
        {"text": "Yes — it ships today.", "resolve": True},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["direction"] == Direction.OUTBOUND
    c.refresh_from_db()
    assert c.resolved_at is not None


def test_queue_explains_every_entry(agent_client: Client, team: Team) -> None:
    make_conversation(team=team)
    entries = agent_client.get("/api/queue").json()
    assert entries[0]["position"] == 1
    assert "Normal band" in entries[0]["reason"]


def test_openapi_schema_lists_the_routes() -> None:
    schema = Client().get("/api/openapi.json").json()
    assert "/api/conversations" in schema["paths"]
    assert "/api/queue/take-next" in schema["paths"]


def test_coach_endpoint_with_given_context_and_with_a_conversation(
    agent_client: Client, team: Team
) -> None:
    r = agent_client.post(
        "/api/coach",
        {"draft": "That's not my job.", "context": {"transfers": 2}},
        content_type="application/json",
    )
    categories = {f["category"] for f in r.json()["findings"]}
    assert {"indifference", "no_apology"} <= categories
    c = make_conversation(team=team)
    r = agent_client.post(
        "/api/coach", {"draft": "Thanks!", "conversation_id": c.pk}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["context"]["transfers"] == 0
    r = agent_client.post(
        "/api/coach", {"draft": "x", "conversation_id": 987654}, content_type="application/json"
    )
    assert r.status_code == 404


def test_analyze_endpoint(customer_client: Client) -> None:
    r = customer_client.post(
        "/api/analyze",
        {"text": "This is the third time I'm writing!"},
        content_type="application/json",
    )
    body = r.json()
    assert r.status_code == 200 and body["polarity"] in {"negative", "neutral", "positive"}
    assert set(body) >= {"emotion", "scores", "intensity", "signals", "evidence"}


def test_analyze_endpoint_reads_with_a_chosen_engine(customer_client: Client) -> None:
    text = "Still no refund. Where is my money?"
    for name in ("rules", "linear", "minilm"):
        r = customer_client.post(
            "/api/analyze", {"text": text, "engine": name}, content_type="application/json"
        )
        assert r.status_code == 200 and r.json()["engine"] == name
        assert r.json()["polarity"] == "negative"
    r = customer_client.post(
        "/api/analyze", {"text": text, "engine": "gpt"}, content_type="application/json"
    )
    assert r.status_code == 400 and "minilm" in r.content.decode()


def test_api_docs_work_offline() -> None:
    page = Client().get("/api/docs").content.decode()
    assert "swagger-ui-bundle.js" in page and "cdn." not in page and "https://" not in page
