"""Webhooks through the API: leads only, the one error shape, replay from the log."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from caredesk.channels.tests.webhooks.conftest import Receiver
from caredesk.channels.webhooks.models import DeliveryStatus, WebhookSubscription
from caredesk.conftest import login
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_client(lead: Agent) -> Client:
    return login(Client(), lead.user.email)


def test_a_lead_subscribes_and_gets_the_secret(lead_client: Client) -> None:
    response = lead_client.post(
        "/api/webhooks",
        {"url": "https://hooks.example.com/caredesk", "kinds": ["resolved", "created"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kinds"] == ["created", "resolved"] and body["status"] == "active"
    assert body["secret"].startswith("whsec_") and body["schema_version"] == 1
    listed = lead_client.get("/api/webhooks").json()
    assert [w["id"] for w in listed] == [body["id"]]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "http://169.254.169.254/latest/", "kinds": ["created"]}, "url"),
        ({"url": "http://localhost:8000/", "kinds": ["created"]}, "url"),
        ({"url": "https://hooks.example.com/", "kinds": ["exploded"]}, "kinds"),
        ({"url": "https://hooks.example.com/", "kinds": []}, "kinds"),
        (
            {"url": "https://hooks.example.com/", "kinds": ["created"], "description": "a\x00b"},
            "description",
        ),
    ],
)
def test_a_bad_subscription_is_refused_naming_the_field(
    lead_client: Client, payload: dict[str, Any], field: str
) -> None:
    response = lead_client.post("/api/webhooks", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert field in response.json()["error"]["fields"]
    assert not WebhookSubscription.objects.exists()


def test_agents_may_not_manage_webhooks(agent_client: Client) -> None:
    response = agent_client.post(
        "/api/webhooks",
        {"url": "https://hooks.example.com/", "kinds": ["created"]},
        content_type="application/json",
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_pause_resume_replay_and_delete_through_the_api(
    receiver: Receiver,
    lead_client: Client,
    team: Team,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    created = lead_client.post(
        "/api/webhooks",
        {"url": receiver.url, "kinds": ["created"]},
        content_type="application/json",
    ).json()
    receiver.secret = created["secret"]
    url = f"/api/webhooks/{created['id']}"

    paused = lead_client.patch(url, {"status": "paused"}, content_type="application/json")
    assert paused.json()["status"] == "paused" and "Paused by" in paused.json()["paused_reason"]
    with django_capture_on_commit_callbacks(execute=True):
        make_conversation(team=team)
    assert receiver.received == []  # nothing while paused

    assert (
        lead_client.patch(url, {"status": "active"}, content_type="application/json").status_code
        == 200
    )
    with django_capture_on_commit_callbacks(execute=True):
        make_conversation(team=team)
    [delivery] = lead_client.get(f"{url}/deliveries").json()
    assert delivery["status"] == DeliveryStatus.SUCCEEDED
    assert [a["status_code"] for a in delivery["attempt_log"]] == [200]

    replayed = lead_client.post(f"/api/webhook-deliveries/{delivery['id']}/replay")
    assert replayed.status_code == 202
    log = replayed.json()["attempt_log"]
    assert [(a["status_code"], a["replay"]) for a in log] == [(200, True), (200, False)]
    assert len(receiver.verified) == 2 and receiver.received[0].body == receiver.received[1].body

    assert lead_client.delete(url).status_code == 204
    assert lead_client.get(url).status_code == 404
