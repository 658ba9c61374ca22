"""Configuration: read once from the environment, loud on bad values; SQLite runs in WAL mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper

from caredesk import config, settings


def test_bad_values_fail_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CAREDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CAREDESK_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="CAREDESK_DEBUG"):
        config.load()
    monkeypatch.setenv("CAREDESK_DEBUG", "false")
    monkeypatch.setenv("CAREDESK_MAX_MESSAGE_CHARS", "lots")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        config.load()


def test_secret_key_is_generated_once_and_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CAREDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CAREDESK_SECRET_KEY", raising=False)
    first, second = config.load(), config.load()
    assert first.secret_key == second.secret_key and len(first.secret_key) > 40


@pytest.mark.django_db
def test_sqlite_default_uses_wal(tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL run")
    db = dict(settings.DATABASES["default"], NAME=str(tmp_path / "wal.sqlite3"))
    wrapper = DatabaseWrapper(
        {
            **db,
            "TIME_ZONE": None,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "AUTOCOMMIT": True,
            "ATOMIC_REQUESTS": False,
        },
        alias="waltest",
    )
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
    finally:
        wrapper.close()
