"""The full-text index of the desk's search (`conversations/search.py`): conversations (subject,
messages, internal notes) and customer names. FTS5 on SQLite, expression GIN indexes on PostgreSQL.

On SQLite the contentless FTS5 table `conversations_search_fts` holds one row per message and one
per conversation (its subject). A row's rowid carries its conversation: conversation id × 2³² +
message id (0 for the subject row). So a match gives conversation ids straight from the index
(`rowid >> 32`), without reading a message row, and the index walks newest conversations first
(`ORDER BY rowid DESC`, rowid ranges), which lets the search page stop after the newest 20. A new
message costs one index row in its own transaction: no other message's text is read or rewritten
(the earlier shape, one document per conversation, rewrote the whole conversation on every
message). The limits that follow (conversation ids below 2³¹, message ids below 2³²) are checked
by the triggers, which refuse a row beyond them rather than index it wrongly.

Triggers keep the index in step on every write path (services, admin, imports) in the same
transaction; a contentless table must be told a row's old words to take it out, which the
triggers have in `old.*`. Customer names are an external-content FTS5 table. Django rebuilds a
SQLite table for many schema changes and the rebuild drops its triggers: a later migration that
alters one of these tables must run `search_index_sql()` again (`tests/test_search.py` fails if
not). A bulk load that drops the triggers calls `search_index_rebuild()` afterwards.

On PostgreSQL the indexes are on the same expressions `search.py` queries.
"""

# ruff: noqa: S608  # only this module's constant names are formatted into the SQL

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections, transaction

SEARCH_TABLE = "conversations_search_fts"
SHIFT = 32  # rowid = conversation id << SHIFT | message id
_SPAN = 1 << SHIFT
_MAX_CONVERSATION = 1 << 31  # keeps the rowid a positive 64-bit integer
TOKENIZER = "porter unicode61 remove_diacritics 2"  # words of a problem are stemmed
# (table, column, tokenizer) of the external-content tables: names are not stemmed.
INDEXED = (("customers_customer", "name", "unicode61 remove_diacritics 2"),)
PG_INDEXED = (
    ("conversations_conversation", "subject", "english"),
    ("conversations_message", "text", "english"),
    ("customers_customer", "name", "simple"),
)
# Earlier shapes of this index, dropped when it is (re)built: their tables, then their triggers.
_OLD_SQLITE_TABLES = (
    "conversations_conversation_fts",
    "conversations_message_fts",
    "conversations_search",
)
_OLD_TRIGGERS = (
    *(f"{t}_{s}" for t in _OLD_SQLITE_TABLES[:2] for s in ("ai", "ad", "au")),
    *(
        f"conversations_search_{s}"
        for s in ("c_ai", "c_bu", "c_au", "c_bd", "m_bi", "m_ai", "m_bu", "m_au", "m_bd", "m_ad")
    ),
)

_COLUMNS = "subject, messages, notes"


def _subject_row(c: str) -> str:
    """The values (rowid, subject, messages, notes) of conversation `c`'s subject row."""
    return f"{c}.id * {_SPAN}, {c}.subject, NULL, NULL"


def _message_row(m: str) -> str:
    """The values of message `m`'s row: its text under messages, or under notes for a note."""
    return (
        f"{m}.conversation_id * {_SPAN} + {m}.id, NULL, "
        f"CASE WHEN {m}.direction = 'note' THEN NULL ELSE {m}.text END, "
        f"CASE WHEN {m}.direction = 'note' THEN {m}.text END"
    )


def _add(values: str) -> str:
    return f"INSERT INTO {SEARCH_TABLE}(rowid, {_COLUMNS}) VALUES ({values});"


def _remove(values: str) -> str:
    return (
        f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}, rowid, {_COLUMNS}) "
        f"VALUES ('delete', {values});"
    )


def _guard(condition: str) -> str:
    """Refuse a row whose ids do not fit the rowid, instead of indexing it under another's."""
    return (
        f"SELECT RAISE(ABORT, 'search index: id beyond its range ({SEARCH_TABLE})') "
        f"WHERE {condition};"
    )


_CONVERSATION_GUARD = _guard(f"new.id >= {_MAX_CONVERSATION}")
_MESSAGE_GUARD = _guard(f"new.id >= {_SPAN} OR new.conversation_id >= {_MAX_CONVERSATION}")
_MESSAGE_CHANGED = (
    "old.text IS NOT new.text OR old.direction IS NOT new.direction "
    "OR old.conversation_id IS NOT new.conversation_id OR old.id IS NOT new.id"
)
# (name, when, body, condition): one row in or out per written row, never more.
_SEARCH_TRIGGERS = (
    (
        "c_ai",
        "AFTER INSERT ON conversations_conversation",
        _CONVERSATION_GUARD + _add(_subject_row("new")),
        "",
    ),
    (
        "c_au",
        "AFTER UPDATE OF id, subject ON conversations_conversation",
        _CONVERSATION_GUARD + _remove(_subject_row("old")) + _add(_subject_row("new")),
        "old.subject IS NOT new.subject OR old.id IS NOT new.id",
    ),
    ("c_ad", "AFTER DELETE ON conversations_conversation", _remove(_subject_row("old")), ""),
    (
        "m_ai",
        "AFTER INSERT ON conversations_message",
        _MESSAGE_GUARD + _add(_message_row("new")),
        "",
    ),
    (
        "m_au",
        "AFTER UPDATE OF id, text, direction, conversation_id ON conversations_message",
        _MESSAGE_GUARD + _remove(_message_row("old")) + _add(_message_row("new")),
        _MESSAGE_CHANGED,
    ),
    ("m_ad", "AFTER DELETE ON conversations_message", _remove(_message_row("old")), ""),
)
SEARCH_TRIGGERS = tuple(f"{SEARCH_TABLE}_{name}" for name, *_ in _SEARCH_TRIGGERS)


def _trigger(name: str, when: str, body: str, condition: str) -> str:
    guard = f" WHEN {condition}" if condition else ""
    return (
        f"CREATE TRIGGER IF NOT EXISTS {SEARCH_TABLE}_{name} {when} FOR EACH ROW{guard} "
        f"BEGIN {body} END"
    )


def _conversation_sql() -> list[str]:
    return [
        *(f"DROP TRIGGER IF EXISTS {name}" for name in _OLD_TRIGGERS),
        *(f"DROP TABLE IF EXISTS {old}" for old in _OLD_SQLITE_TABLES),
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_TABLE} USING fts5({_COLUMNS}, "
        f"content='', tokenize='{TOKENIZER}')",
        *(_trigger(*trigger) for trigger in _SEARCH_TRIGGERS),
        # Rebuilt whole, so running this again after a table rebuild leaves it exact. Each
        # INSERT…SELECT goes in rowid order: FTS5 appends such rows without flushing its buffer.
        f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}) VALUES ('delete-all')",
        f"INSERT INTO {SEARCH_TABLE}(rowid, {_COLUMNS}) SELECT {_subject_row('c')} "
        "FROM conversations_conversation c ORDER BY c.id",
        f"INSERT INTO {SEARCH_TABLE}(rowid, {_COLUMNS}) SELECT {_message_row('m')} "
        "FROM conversations_message m ORDER BY m.conversation_id, m.id",
    ]


def _customer_sql() -> list[str]:
    statements = []
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
        return _conversation_sql() + _customer_sql()
    if vendor == "postgresql":
        return [
            f"CREATE INDEX IF NOT EXISTS {table}_search ON {table} "
            f"USING gin (to_tsvector('{config}', {column}))"
            for table, column, config in PG_INDEXED
        ]
    return []


def search_index_drop_sql(vendor: str) -> list[str]:
    """Statements that take the index (tables, triggers or indexes) away."""
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


def search_index_rebuild(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Rebuild the desk's search indexes (conversations and customers) from the tables, and put
    back any trigger that is missing: for a bulk load that drops the triggers while it writes.
    One INSERT…SELECT per index, in one transaction. A no-op on PostgreSQL, whose GIN indexes
    follow the tables by themselves (`search_index_sql("postgresql")` creates them if dropped)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for sql in search_index_sql("sqlite"):
            cursor.execute(sql)
