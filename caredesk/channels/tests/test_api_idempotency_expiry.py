"""Idempotency keys expire: after their time to live the periodic task deletes them, and the same
key is then a new request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from caredesk.channels.api.models import IdempotencyKey
from caredesk.channels.api.tasks import idempotency_keys_expire_task
from caredesk.conversations.models import Conversation
from caredesk.people.models import Agent
from caredesk.people.services import api_token_create

pytestmark = pytest.mark.django_db

BODY = {"subject": "Broken", "text": "It broke.", "customer_email": "pat@example.test"}
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _post(client: Client, token: str, key: str) -> Any:
    return client.post(
        "/api/conversations",
        BODY,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_keys_older_than_their_ttl_are_deleted_and_then_are_new_requests(
    agent: Agent, settings: Any
) -> None:
    settings.CAREDESK_IDEMPOTENCY_KEY_HOURS = 6
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        token = api_token_create(email=agent.user.email, name="expiry")
        assert _post(client, token, "old").status_code == 201
        clock.move_to(START + timedelta(hours=5))
        assert _post(client, token, "young").status_code == 201
        clock.move_to(START + timedelta(hours=5, minutes=59))
        assert idempotency_keys_expire_task.call_local() == 0  # "old" is 5:59 old: kept
        assert _post(client, token, "old")["Idempotent-Replayed"] == "true"
        clock.move_to(START + timedelta(hours=6, minutes=1))
        assert idempotency_keys_expire_task.call_local() == 1
        assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["young"]
        assert Conversation.objects.count() == 2
        again = _post(client, token, "old")  # the key is gone: a new request
        assert again.status_code == 201 and "Idempotent-Replayed" not in again
        assert Conversation.objects.count() == 3
        clock.move_to(START + timedelta(days=2))
        assert idempotency_keys_expire_task.call_local() == 2
        assert not IdempotencyKey.objects.exists()
