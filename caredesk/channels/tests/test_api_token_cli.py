"""`caredesk token EMAIL NAME [--scope read|write]`: the token's scope decides what it may do."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from caredesk.cli import main as caredesk
from caredesk.people.models import Agent, ApiToken

pytestmark = pytest.mark.django_db

BODY = {"subject": "Broken", "text": "It broke.", "customer_email": "pat@example.test"}


def _token(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert caredesk(["token", *argv]) == 0
    return capsys.readouterr().out.strip()


def _create(token: str) -> Any:
    return Client().post(
        "/api/conversations",
        BODY,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_a_read_token_reads_and_may_not_write(
    agent: Agent, capsys: pytest.CaptureFixture[str]
) -> None:
    token = _token(capsys, agent.user.email, "reporting", "--scope", "read")
    assert ApiToken.objects.get(name="reporting").scopes == ["read"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().get("/api/conversations", **auth).status_code == 200
    refused = _create(token)
    assert refused.status_code == 403 and "error" in refused.json()


def test_write_and_no_scope_make_todays_read_write_token(
    agent: Agent, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, extra in (("sync", ["--scope", "write"]), ("plain", [])):
        token = _token(capsys, agent.user.email, name, *extra)
        assert ApiToken.objects.get(name=name).scopes == ["read", "write"]
        assert _create(token).status_code == 201


def test_a_wrong_scope_or_user_is_refused_with_a_reason(
    agent: Agent, capsys: pytest.CaptureFixture[str]
) -> None:
    assert caredesk(["token", agent.user.email, "x", "--scope", "admin"]) == 2
    assert "invalid choice: 'admin'" in capsys.readouterr().err
    assert caredesk(["token", "nobody@example.test", "x", "--scope", "read"]) == 1
    assert "No user with the email" in capsys.readouterr().err
    assert caredesk(["token", agent.user.email]) == 2
    assert not ApiToken.objects.exists()
