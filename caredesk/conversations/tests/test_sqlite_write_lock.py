"""SQLite as the desk opens it: WAL, a busy timeout, and transactions that take the write lock at
BEGIN (so two writers queue instead of one failing mid-transaction with "database is locked")."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper

from caredesk import settings


@pytest.fixture
def desk_db(tmp_path: Path) -> Iterator[DatabaseWrapper]:
    """A file database opened with the desk's own settings (the test database is in memory)."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL run")
    wrapper = DatabaseWrapper(
        {
            **settings.DATABASES["default"],
            "NAME": str(tmp_path / "desk.sqlite3"),
            "TIME_ZONE": None,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "AUTOCOMMIT": True,
            "ATOMIC_REQUESTS": False,
        },
        alias="desk",
    )
    yield wrapper
    wrapper.close()


@pytest.mark.django_db
def test_wal_with_a_busy_timeout(desk_db: DatabaseWrapper) -> None:
    with desk_db.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5_000  # milliseconds a writer waits for the lock


@pytest.mark.django_db
def test_a_transaction_takes_the_write_lock_when_it_begins(desk_db: DatabaseWrapper) -> None:
    with desk_db.cursor() as cursor:
        cursor.execute("CREATE TABLE t (x INTEGER)")
    # What `transaction.atomic()` does on SQLite: BEGIN in the configured mode.
    desk_db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    other = sqlite3.connect(desk_db.settings_dict["NAME"], timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")  # IMMEDIATE holds it; a DEFERRED BEGIN would not
        other.execute("SELECT count(*) FROM t").fetchone()  # WAL: readers still read
    finally:
        other.close()
        desk_db.rollback()
        desk_db.set_autocommit(True)
