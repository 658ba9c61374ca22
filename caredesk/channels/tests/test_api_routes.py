"""The complete API: filters, cursor paging, idempotent POSTs, token scopes, every app's routes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from caredesk.apikit import MAX_LIMIT
from caredesk.channels.api.models import IdempotencyKey
from caredesk.conversations.models import Conversation, Direction, EventKind, Message, Status
from caredesk.conversations.services import conversation_resolve, note_add
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer, Identity
from caredesk.people.models import Agent, ApiToken, Team
from caredesk.people.services import api_token_create

pytestmark = pytest.mark.django_db


class Api:
    """A client that sends one bearer token and JSON."""

    def __init__(self, token: str) -> None:
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, **self.auth)

    def send(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        return self.client.generic(
            method,
            path,
            "" if body is None else json.dumps(body),
            content_type="application/json",
            **self.auth,
            **extra,
        )

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.send("POST", path, body, **headers)


def as_agent(agent: Agent, scopes: list[str] | None = None) -> Api:
    return Api(api_token_create(email=agent.user.email, name="test", scopes=scopes))


def next_cursor(response: Any) -> str | None:
    link = response.get("Link")
    if not link:
        return None
    match = re.search(r"cursor=([^&>]+)", link)
    assert match and 'rel="next"' in link
    return match.group(1)


def test_filters_narrow_the_list(lead: Agent, team: Team, other_team: Team) -> None:
    a = make_conversation(team=team, subject="Refund for order 17")
    b = make_conversation(team=other_team, subject="Password reset")
    conversation_resolve(conversation=b, agent=lead)
    api = as_agent(lead)

    def ids(**params: Any) -> set[int]:
        response = api.get("/api/conversations", **params)
        assert response.status_code == 200, response.content
        return {c["id"] for c in response.json()}

    assert ids() == {a.pk, b.pk}
    assert ids(status="resolved") == {b.pk}
    assert ids(team=team.pk) == {a.pk}
    assert ids(q="refund") == {a.pk}
    assert ids(q="reset password") == {b.pk}  # every word, in any order
    assert ids(customer=a.customer_id) == {a.pk}
    assert ids(channel="email") == set()
    # Any offset Python accepts, even one the database would refuse (PostgreSQL: beyond ±15:59).
    assert ids(updated_since="2000-01-01T00:00:00+23:30") == {a.pk, b.pk}
    assert ids(updated_since="2999-01-01T00:00:00") == set()
    early = api.get("/api/conversations", updated_since="0001-01-01T00:00:00+01:00")
    assert early.status_code == 400 and "updated_since" in early.json()["error"]["fields"]
    bad = api.get("/api/conversations", status="nonsense")
    assert bad.status_code == 422 and "status" in bad.json()["error"]["fields"]


def test_q_finds_message_text_but_a_customer_never_finds_notes(
    customer: Customer, agent: Agent, team: Team
) -> None:
    c = make_conversation(customer=customer, team=team, subject="Parcel")
    note_add(conversation=c, agent=agent, text="Suspected fraud, check the card.")
    assert [x["id"] for x in as_agent(agent).get("/api/conversations", q="fraud").json()] == [c.pk]
    assert customer.user is not None
    mine = Api(api_token_create(email=customer.user.email, name="t"))
    assert mine.get("/api/conversations", q="fraud").json() == []


def test_cursor_pages_cover_every_row_once_in_a_stable_order(lead: Agent, team: Team) -> None:
    made = {make_conversation(team=team).pk for _ in range(7)}
    api = as_agent(lead)
    seen: list[int] = []
    cursor: str | None = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 3, "sort": "-created"}
        if cursor:
            params["cursor"] = cursor
        response = api.get("/api/conversations", **params)
        seen += [c["id"] for c in response.json()]
        make_conversation(team=team)  # a row written while paging shifts nothing
        cursor = next_cursor(response)
        if cursor is None:
            break
    assert made <= set(seen) and len(seen) == len(set(seen))
    assert seen[:7] == sorted(made, reverse=True)


def test_limit_above_the_maximum_is_a_422_naming_it(agent: Agent) -> None:
    response = as_agent(agent).get("/api/conversations", limit=MAX_LIMIT + 1)
    assert response.status_code == 422
    assert str(MAX_LIMIT) in response.json()["error"]["fields"]["limit"][0]
    bad = as_agent(agent).get("/api/conversations", cursor="not-a-cursor")
    assert bad.status_code == 400 and "cursor" in bad.json()["error"]["fields"]


def test_a_retried_post_with_its_key_returns_the_first_result(agent: Agent) -> None:
    api = as_agent(agent)
    body = {"subject": "Broken", "text": "It broke.", "customer_email": "pat@example.test"}
    first = api.post("/api/conversations", body, **{"Idempotency-Key": "k-1"})
    again = api.post("/api/conversations", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Conversation.objects.count() == 1
    other = api.post("/api/conversations", {**body, "text": "Else"}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["error"]["fields"]
    assert Conversation.objects.count() == 1
    # Another key, or no key, is a new request.
    assert api.post("/api/conversations", body, **{"Idempotency-Key": "k-2"}).status_code == 201
    assert api.post("/api/conversations", body).status_code == 201
    assert Conversation.objects.count() == 3


def test_a_failed_post_keeps_no_key_so_a_fixed_retry_goes_through(agent: Agent) -> None:
    api = as_agent(agent)
    key = {"Idempotency-Key": "fix-me"}
    refused = api.post(
        "/api/conversations", {"subject": "x", "text": " ", "customer_email": "a@b.test"}, **key
    )
    assert refused.status_code == 400 and not IdempotencyKey.objects.exists()
    ok = api.post(
        "/api/conversations", {"subject": "x", "text": "Hi", "customer_email": "a@b.test"}, **key
    )
    assert ok.status_code == 201


def test_keys_belong_to_their_user(agent: Agent, lead: Agent) -> None:
    body = {"subject": "Broken", "text": "It broke.", "customer_email": "pat@example.test"}
    assert (
        as_agent(agent).post("/api/conversations", body, **{"Idempotency-Key": "same"}).status_code
        == 201
    )
    assert (
        as_agent(lead).post("/api/conversations", body, **{"Idempotency-Key": "same"}).status_code
        == 201
    )
    assert Conversation.objects.count() == 2


def test_a_read_token_reads_and_is_refused_writes(agent: Agent, team: Team) -> None:
    c = make_conversation(team=team)
    api = as_agent(agent, scopes=["read"])
    assert api.get(f"/api/conversations/{c.pk}").status_code == 200
    assert api.post("/api/analyze", {"text": "Still broken!"}).status_code == 200  # writes nothing
    refused = api.post(f"/api/conversations/{c.pk}/notes", {"text": "Checked."})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert "read" in refused.json()["error"]["message"]
    assert not Message.objects.filter(direction=Direction.NOTE).exists()


def test_tokens_are_listed_made_and_revoked_through_the_api(agent: Agent) -> None:
    api = as_agent(agent)
    made = api.post("/api/tokens", {"name": "dashboard", "scopes": ["read"]})
    assert made.status_code == 201 and made.json()["scopes"] == ["read"]
    secret = made.json()["token"]
    listed = api.get("/api/tokens").json()
    assert {t["name"] for t in listed} == {"test", "dashboard"}
    assert all("token" not in t and "digest" not in t for t in listed)
    assert Api(secret).get("/api/conversations").status_code == 200
    gone = api.send("DELETE", f"/api/tokens/{made.json()['id']}")
    assert gone.status_code == 204
    assert Api(secret).get("/api/conversations").status_code == 401
    assert ApiToken.objects.count() == 1


def test_the_desk_lists_makes_and_revokes_tokens(agent_client: Client, agent: Agent) -> None:
    page = agent_client.post("/people/tokens/", {"name": "shop", "scope": "read"})
    assert page.status_code == 200
    token = ApiToken.objects.get(user=agent.user)
    assert token.scopes == ["read"] and token.name in page.content.decode()
    secret = re.search(r'id="new-token">([^<]+)<', page.content.decode())
    assert secret and Api(secret.group(1)).get("/api/queue").status_code == 200
    assert agent_client.post(f"/people/tokens/{token.pk}/revoke/").status_code == 302
    assert not ApiToken.objects.exists()


def test_agent_lifecycle_routes(agent: Agent, team: Team) -> None:
    c = make_conversation(team=team)
    api = as_agent(agent)
    r = api.send("PATCH", f"/api/conversations/{c.pk}", {"severity": 4, "reason": "Outage"})
    assert r.status_code == 200 and r.json()["severity"] == 4
    assert api.post(f"/api/conversations/{c.pk}/notes", {"text": "Ask ops."}).status_code == 201
    assert api.post(f"/api/conversations/{c.pk}/resolve").json()["status"] == Status.RESOLVED
    assert api.post(f"/api/conversations/{c.pk}/resolve").status_code == 400
    reopened = api.post(f"/api/conversations/{c.pk}/reopen", {"reason": "Came back"})
    assert reopened.json()["status"] in (Status.OPEN, Status.NEW)
    typo = api.send("PATCH", f"/api/conversations/{c.pk}", {"severty": 1})
    assert typo.status_code == 422 and "severty" in typo.json()["error"]["fields"]
    kinds = [e["kind"] for e in api.get(f"/api/conversations/{c.pk}/events").json()]
    assert kinds[:1] == [EventKind.CREATED] and EventKind.SEVERITY_CHANGED in kinds
    assert EventKind.RESOLVED in kinds and EventKind.REOPENED in kinds


def test_merge_folds_a_duplicate(agent: Agent, customer: Customer, team: Team) -> None:
    a = make_conversation(customer=customer, team=team)
    b = make_conversation(customer=customer, team=team)
    r = as_agent(agent).post(f"/api/conversations/{b.pk}/merge", {"target_id": a.pk})
    assert r.status_code == 200 and r.json()["id"] == a.pk
    b.refresh_from_db()
    assert b.merged_into_id == a.pk


def test_the_event_feed_resumes_from_its_cursor(lead: Agent, team: Team) -> None:
    make_conversation(team=team)
    api = as_agent(lead)
    first = api.get("/api/events", limit=200)
    assert first.status_code == 200 and first.json()
    cursor = next_cursor(first)
    assert cursor is not None  # a feed always says where to go on
    assert api.get("/api/events", cursor=cursor).json() == []
    later = make_conversation(team=team)
    news = api.get("/api/events", cursor=cursor).json()
    assert news and {e["conversation_id"] for e in news} == {later.pk}


def test_messages_and_attachments_up_and_down(customer: Customer, agent: Agent, team: Team) -> None:
    c = make_conversation(customer=customer, team=team)
    note_add(conversation=c, agent=agent, text="Internal.")
    assert customer.user is not None
    mine = Api(api_token_create(email=customer.user.email, name="t"))
    upload = mine.client.post(
        f"/api/conversations/{c.pk}/attachments",
        {"text": "Here is the receipt.", "files": SimpleUploadedFile("r.txt", b"receipt 17")},
        **mine.auth,
    )
    assert upload.status_code == 201, upload.content
    (attachment,) = upload.json()["attachments"]
    down = mine.client.get(attachment["url"], **mine.auth)
    assert down.status_code == 200 and b"".join(down.streaming_content) == b"receipt 17"
    directions = [m["direction"] for m in mine.get(f"/api/conversations/{c.pk}/messages").json()]
    assert Direction.NOTE not in directions and directions.count(Direction.INBOUND) == 2
    agents_view = as_agent(agent).get(f"/api/conversations/{c.pk}/messages").json()
    assert Direction.NOTE in [m["direction"] for m in agents_view]


def test_customers_and_identities(agent: Agent, lead: Agent) -> None:
    api = as_agent(lead)
    org = api.post("/api/organisations", {"name": "Acme"}).json()
    made = api.post(
        "/api/customers",
        {"name": "Pat Lee", "email": "Pat@Example.test", "organisation_id": org["id"]},
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["identities"][0]["value"] == "pat@example.test"
    again = api.post("/api/customers", {"name": "Pat", "email": "pat@example.test"})
    assert again.status_code == 400 and "email" in again.json()["error"]["fields"]
    r = api.post(f"/api/customers/{pk}/identities", {"kind": "external", "value": "shop-17"})
    assert r.status_code == 201 and Identity.objects.filter(value="shop-17").exists()
    renamed = api.send("PATCH", f"/api/customers/{pk}", {"name": "Pat Q. Lee"})
    assert renamed.json()["name"] == "Pat Q. Lee" and renamed.json()["organisation_id"] == org["id"]
    # An agent sees only the customers of conversations they may see: none of Pat's yet.
    assert as_agent(agent).get(f"/api/customers/{pk}").status_code == 404


def test_ratings_are_submitted_by_the_customer_and_listed(
    customer: Customer, agent: Agent, team: Team
) -> None:
    c = make_conversation(customer=customer, team=team)
    conversation_resolve(conversation=c, agent=agent)
    assert customer.user is not None
    mine = Api(api_token_create(email=customer.user.email, name="t"))
    r = mine.post(f"/api/conversations/{c.pk}/rating", {"satisfaction": 4, "effort": 2})
    assert r.status_code == 201 and r.json()["satisfaction"] == 4
    assert [x["conversation_id"] for x in as_agent(agent).get("/api/ratings").json()] == [c.pk]
    assert (
        as_agent(agent)
        .post(f"/api/conversations/{c.pk}/rating", {"satisfaction": 1, "effort": 5})
        .status_code
        == 403
    )


def test_leads_change_teams_agents_only_read(agent: Agent, lead: Agent, team: Team) -> None:
    assert [t["id"] for t in as_agent(agent).get("/api/teams").json()] == [team.pk]
    refused = as_agent(agent).send("PATCH", f"/api/teams/{team.pk}", {"auto_assign": True})
    assert refused.status_code == 403
    changed = as_agent(lead).send(
        "PATCH", f"/api/teams/{team.pk}", {"auto_assign": True, "agent_ids": [lead.pk]}
    )
    assert changed.status_code == 200 and changed.json()["auto_assign"] is True
    assert changed.json()["agent_ids"] == [lead.pk]
    bad = as_agent(lead).send("PATCH", f"/api/teams/{team.pk}", {"signal_policy": {"nope": 3}})
    assert bad.status_code == 400 and "signal_policy" in bad.json()["error"]["fields"]


def test_a_lead_merges_two_customers_keeping_everything(
    lead: Agent, agent: Agent, customer: Customer, team: Team
) -> None:
    api = as_agent(lead)
    other = api.post("/api/customers", {"name": "Pat at work", "email": "pat@work.test"}).json()
    mine = make_conversation(customer=customer, team=team)
    theirs = make_conversation(
        customer=Customer.objects.get(pk=other["id"]), team=team, subject="From work"
    )
    refused = as_agent(agent).post(f"/api/customers/{other['id']}/merge", {"into_id": customer.pk})
    assert refused.status_code == 403
    r = api.post(f"/api/customers/{other['id']}/merge", {"into_id": customer.pk})
    assert r.status_code == 200, r.content
    assert {i["value"] for i in r.json()["identities"]} >= {"pat@work.test"}
    assert not Customer.objects.filter(pk=other["id"]).exists()
    for c in (mine, theirs):
        c.refresh_from_db()
        assert c.customer_id == customer.pk
        merged = c.events.get(kind=EventKind.CUSTOMER_MERGED)
        assert merged.data["merged_from"] == other["id"] and merged.data["into"] == customer.pk
    again = api.post(f"/api/customers/{customer.pk}/merge", {"into_id": customer.pk})
    assert again.status_code == 400


def test_a_retry_while_the_first_still_runs_is_a_409(agent: Agent) -> None:
    api = as_agent(agent)
    body = {"subject": "Broken", "text": "It broke.", "customer_email": "pat@example.test"}
    assert api.post("/api/conversations", body, **{"Idempotency-Key": "busy"}).status_code == 201
    IdempotencyKey.objects.update(status=None)  # as while the first request is still running
    busy = api.post("/api/conversations", body, **{"Idempotency-Key": "busy"})
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "conflict"
    assert Conversation.objects.count() == 1


def test_an_integration_finds_its_customer_by_external_id_across_channels(agent: Agent) -> None:
    api = as_agent(agent)
    body = {"subject": "Meter", "text": "No reading.", "customer_external_id": "crm-42"}
    first = api.post("/api/conversations", {**body, "customer_email": "pat@example.test"})
    assert first.status_code == 201
    # Later the system knows only its id; the same person, not a second customer.
    second = api.post("/api/conversations", {**body, "subject": "Bill"})
    assert second.status_code == 201
    assert second.json()["customer_id"] == first.json()["customer_id"]
    assert Customer.objects.count() == 1
    refused = api.post("/api/conversations", {"subject": "x", "text": "Hi"})
    assert refused.status_code in (400, 422)
    assert "customer_email" in refused.json()["error"]["fields"]
