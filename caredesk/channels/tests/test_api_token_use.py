"""An API token's last use is recorded at most once a minute, and never at the request's cost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from caredesk.people.models import Agent, ApiToken
from caredesk.people.services import api_token_create

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_read_writes_nothing_but_the_first_use_in_a_minute(agent: Agent) -> None:
    token = api_token_create(email=agent.user.email, name="dashboard")
    client = Client()
    assert client.get("/api/conversations", **bearer(token)).status_code == 200
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/conversations", **bearer(token)).status_code == 200
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert writes == []
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=first - timedelta(minutes=2))
    assert client.get("/api/conversations", **bearer(token)).status_code == 200
    last = ApiToken.objects.get().last_used_at
    assert last is not None and last >= first


def refuse_token_writes() -> None:
    """Make the database refuse every change to a token, as a busy one would."""
    table = ApiToken._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TRIGGER token_busy BEFORE UPDATE ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'database is locked'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION token_busy() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'database is busy'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER token_busy BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION token_busy()"
            )


def test_a_busy_database_does_not_fail_the_request(
    agent: Agent, caplog: pytest.LogCaptureFixture
) -> None:
    token = api_token_create(email=agent.user.email, name="dashboard")
    refuse_token_writes()
    response = Client().get("/api/queue", **bearer(token))
    assert response.status_code == 200 and response.json() == []  # the request went on
    assert ApiToken.objects.get().last_used_at is None
    assert "last use not recorded" in caplog.text
