"""The full-text index of the desk's search (`conversations/search.py`): conversation subjects,
message texts and customer names. FTS5 on SQLite, expression GIN indexes on PostgreSQL.

On SQLite, external-content FTS5 tables are kept in step by triggers, so every write path (the
services, the admin, the demo's bulk inserts, an import) is indexed in the same transaction. Django
rebuilds a SQLite table for many schema changes and the rebuild drops its triggers: a later
migration that alters one of these tables must run `search_index_sql()` again
(`tests/test_search.py` fails if not).

On PostgreSQL the indexes are on the same expressions `search.py` queries.
"""

# ruff: noqa: S608  # only the constant names of INDEXED are formatted into the SQL

from __future__ import annotations

from typing import Any

from django.db import migrations

# (table, column, tokenizer): names are not stemmed, words of a problem are.
INDEXED = (
    ("conversations_conversation", "subject", "porter unicode61 remove_diacritics 2"),
    ("conversations_message", "text", "porter unicode61 remove_diacritics 2"),
    ("customers_customer", "name", "unicode61 remove_diacritics 2"),
)
PG_CONFIG = {"subject": "english", "text": "english", "name": "simple"}


def search_index_sql(vendor: str) -> list[str]:
    """Idempotent statements that create (or restore) the index on `vendor`."""
    statements = []
    for table, column, tokenizer in INDEXED:
        fts = f"{table}_fts"
        if vendor == "sqlite":
            statements += [
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({column}, "
                f"content='{table}', content_rowid='id', tokenize='{tokenizer}')",
                f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "
                f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END",
                f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "
                f"INSERT INTO {fts}({fts}, rowid, {column}) "
                f"VALUES ('delete', old.id, old.{column}); END",
                f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {column} ON {table} "
                f"BEGIN INSERT INTO {fts}({fts}, rowid, {column}) "
                f"VALUES ('delete', old.id, old.{column}); "
                f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END",
                f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
            ]
        elif vendor == "postgresql":
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {table}_search ON {table} "
                f"USING gin (to_tsvector('{PG_CONFIG[column]}', {column}))"
            )
    return statements


def _drop_sql(vendor: str) -> list[str]:
    statements = []
    for table, _column, _tokenizer in INDEXED:
        if vendor == "sqlite":
            statements += [
                *(f"DROP TRIGGER IF EXISTS {table}_fts_{s}" for s in ("ai", "ad", "au")),
                f"DROP TABLE IF EXISTS {table}_fts",
            ]
        elif vendor == "postgresql":
            statements.append(f"DROP INDEX IF EXISTS {table}_search")
    return statements


def forwards(apps: Any, schema_editor: Any) -> None:
    for sql in search_index_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


def backwards(apps: Any, schema_editor: Any) -> None:
    for sql in _drop_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0010_conversation_risk_signal"),
        ("customers", "0002_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
