"""The full-text index of the desk's search (`conversations/search.py`): conversations (subject,
messages, internal notes), customer names. FTS5 on SQLite, expression GIN indexes on PostgreSQL.

Superseded on SQLite by 0017 (`conversations/search_index.py`, a row per message); kept as it was,
for databases migrating through it and for 0017's way back.

On SQLite a conversation is one document of the contentless FTS5 table `conversations_search`
(its rowid is the conversation's id; columns: subject, the messages, the internal notes), so a
match gives conversation ids straight from the index: no lookup through the message table, whose
cost grew with the number of matching messages. Triggers keep it in step on every write path
(services, admin, the demo's bulk inserts, an import) in the same transaction: a BEFORE trigger
takes the conversation's old document out (a contentless table must be told the old values), an
AFTER trigger puts the new one in; both build it with the one `_DOCUMENT` statement. Customer names
are an external-content FTS5 table. Django rebuilds a SQLite table for many schema changes and the
rebuild drops its triggers: a later migration that alters one of these tables must run
`search_index_sql()` again (`tests/test_search.py` fails if not).

On PostgreSQL the indexes are on the same expressions `search.py` queries.
"""

# ruff: noqa: S608  # only this module's constant names are formatted into the SQL

from __future__ import annotations

from typing import Any

from django.db import migrations

SEARCH_TABLE = "conversations_search"
TOKENIZER = "porter unicode61 remove_diacritics 2"  # words of a problem are stemmed
# (table, column, tokenizer) of the external-content tables: names are not stemmed.
INDEXED = (("customers_customer", "name", "unicode61 remove_diacritics 2"),)
PG_INDEXED = (
    ("conversations_conversation", "subject", "english"),
    ("conversations_message", "text", "english"),
    ("customers_customer", "name", "simple"),
)
# Earlier shapes of this index, dropped when it is (re)built.
_OLD_SQLITE_TABLES = ("conversations_conversation_fts", "conversations_message_fts")


def _texts(condition: str) -> str:
    """The conversation's messages (or notes) as one text, always in the order they were stored:
    taking a document out of a contentless index needs the very words it went in with."""
    return (
        "coalesce((SELECT group_concat(t, ' ') FROM (SELECT m.text AS t FROM "
        "conversations_message m WHERE m.conversation_id = c.id AND m.direction "
        f"{condition} 'note' ORDER BY m.id)), '')"
    )


# The document of each conversation whose id is in {ids}: its subject, messages and notes.
_DOCUMENT = (
    f"SELECT c.id, c.subject, {_texts('<>')}, {_texts('=')} "
    "FROM conversations_conversation c WHERE c.id IN ({ids})"
)
_COLUMNS = "subject, messages, notes"


def _remove(ids: str) -> str:
    """Take these conversations' documents, as they stand before the change, out of the index."""
    return (
        f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}, rowid, {_COLUMNS}) "
        f"SELECT 'delete', * FROM ({_DOCUMENT.format(ids=ids)});"
    )


def _add(ids: str) -> str:
    return f"INSERT INTO {SEARCH_TABLE}(rowid, {_COLUMNS}) {_DOCUMENT.format(ids=ids)};"


def _trigger(name: str, when: str, body: str, condition: str = "") -> str:
    guard = f" WHEN {condition}" if condition else ""
    return f"CREATE TRIGGER IF NOT EXISTS {SEARCH_TABLE}_{name} {when}{guard} BEGIN {body} END"


_MESSAGE_CHANGED = (
    "old.text IS NOT new.text OR old.direction IS NOT new.direction "
    "OR old.conversation_id IS NOT new.conversation_id"
)
_BOTH = "old.conversation_id, new.conversation_id"
_SEARCH_TRIGGERS = (
    ("c_ai", "AFTER INSERT ON conversations_conversation FOR EACH ROW", _add("new.id"), ""),
    (
        "c_bu",
        "BEFORE UPDATE OF subject ON conversations_conversation FOR EACH ROW",
        _remove("old.id"),
        "old.subject IS NOT new.subject",
    ),
    (
        "c_au",
        "AFTER UPDATE OF subject ON conversations_conversation FOR EACH ROW",
        _add("new.id"),
        "old.subject IS NOT new.subject",
    ),
    ("c_bd", "BEFORE DELETE ON conversations_conversation FOR EACH ROW", _remove("old.id"), ""),
    (
        "m_bi",
        "BEFORE INSERT ON conversations_message FOR EACH ROW",
        _remove("new.conversation_id"),
        "",
    ),
    ("m_ai", "AFTER INSERT ON conversations_message FOR EACH ROW", _add("new.conversation_id"), ""),
    (
        "m_bu",
        "BEFORE UPDATE OF text, direction, conversation_id ON conversations_message FOR EACH ROW",
        _remove(_BOTH),
        _MESSAGE_CHANGED,
    ),
    (
        "m_au",
        "AFTER UPDATE OF text, direction, conversation_id ON conversations_message FOR EACH ROW",
        _add(_BOTH),
        _MESSAGE_CHANGED,
    ),
    (
        "m_bd",
        "BEFORE DELETE ON conversations_message FOR EACH ROW",
        _remove("old.conversation_id"),
        "",
    ),
    ("m_ad", "AFTER DELETE ON conversations_message FOR EACH ROW", _add("old.conversation_id"), ""),
)
SEARCH_TRIGGERS = tuple(f"{SEARCH_TABLE}_{name}" for name, *_ in _SEARCH_TRIGGERS)


def _sqlite_sql() -> list[str]:
    statements = [
        f"DROP TRIGGER IF EXISTS {old}_{s}"
        for old in _OLD_SQLITE_TABLES
        for s in ("ai", "ad", "au")
    ]
    statements += [
        *(f"DROP TABLE IF EXISTS {old}" for old in _OLD_SQLITE_TABLES),
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_TABLE} USING fts5({_COLUMNS}, "
        f"content='', tokenize='{TOKENIZER}')",
        *(_trigger(name, when, body, cond) for name, when, body, cond in _SEARCH_TRIGGERS),
        # Rebuilt whole, so running this again after a table rebuild leaves it exact.
        f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}) VALUES ('delete-all')",
        f"INSERT INTO {SEARCH_TABLE}(rowid, {_COLUMNS}) "
        + _DOCUMENT.replace(" WHERE c.id IN ({ids})", ""),
    ]
    for table, column, tokenizer in INDEXED:
        fts = f"{table}_fts"
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
    return statements


def search_index_sql(vendor: str) -> list[str]:
    """Idempotent statements that create (or restore and rebuild) the index on `vendor`."""
    if vendor == "sqlite":
        return _sqlite_sql()
    if vendor == "postgresql":
        return [
            f"CREATE INDEX IF NOT EXISTS {table}_search ON {table} "
            f"USING gin (to_tsvector('{config}', {column}))"
            for table, column, config in PG_INDEXED
        ]
    return []


def _drop_sql(vendor: str) -> list[str]:
    statements = []
    if vendor == "sqlite":
        statements += [f"DROP TRIGGER IF EXISTS {name}" for name in SEARCH_TRIGGERS]
        statements.append(f"DROP TABLE IF EXISTS {SEARCH_TABLE}")
        for table, _column, _tokenizer in INDEXED:
            statements += [
                *(f"DROP TRIGGER IF EXISTS {table}_fts_{s}" for s in ("ai", "ad", "au")),
                f"DROP TABLE IF EXISTS {table}_fts",
            ]
    elif vendor == "postgresql":
        statements += [f"DROP INDEX IF EXISTS {table}_search" for table, _c, _x in PG_INDEXED]
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
