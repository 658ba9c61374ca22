"""The database made ready for one large load, and put back after it.

On SQLite most of a bulk insert's time went to work done row by row for rows nobody reads yet:
the search triggers (an FTS row per message, a customer's name), the secondary indexes of the
tables being filled, and a sync to disk at every commit. For the load the tables' triggers and
secondary indexes are dropped (their SQL kept as `sqlite_master` holds it), the connection stops
waiting for the disk, and afterwards each index is built once, each trigger created again from
its own SQL and the search index rebuilt from the tables (`search_index_rebuild`, one
INSERT…SELECT per index). Nothing here knows what the triggers or indexes are: whatever the
migrations made is what comes back. On PostgreSQL nothing changes.

The load is for a desk being made (`demo_seed --fast`): other writers meanwhile would not be
indexed until the rebuild, and a crash mid-load leaves the tables without their indexes until a
`demo_seed --fast --reset` (which runs this again) or `search_index_rebuild()`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorWrapper

from caredesk.conversations.search_index import search_index_rebuild

# The tables the bulk path fills: people and customers first, then the conversations' rows.
LOADED = (
    "people_user",
    "customers_customer",
    "customers_identity",
    "conversations_conversation",
    "conversations_message",
    "conversations_event",
    "conversations_rating",
)
# For the load's connection only: no sync at each commit (the load is made again after a crash),
# a larger page cache, temporary b-trees (index builds) in memory.
_LOAD_PRAGMAS = {"synchronous": "OFF", "cache_size": "-262144", "temp_store": "MEMORY"}


@contextmanager
def bulk_load(*, tables: Sequence[str] = LOADED, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Inside: `tables` without triggers or secondary indexes, the connection tuned for one
    writer. After (also after an error): indexes and triggers back, the search index rebuilt."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name"
        )
        kept = [(kind, name, sql) for kind, name, table, sql in cursor if table in tables]
        # SQLite changes these only outside a transaction (a test runs in one).
        pragmas = {} if connection.in_atomic_block else _LOAD_PRAGMAS
        before = {name: _pragma(cursor, name) for name in pragmas}
        for name, value in pragmas.items():
            cursor.execute(f"PRAGMA {name} = {value}")
        for kind, name, _sql in kept:
            cursor.execute(f"DROP {kind.upper()} IF EXISTS {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            # Indexes first (a trigger may rely on one), then the triggers, as they were.
            for _kind, _name, sql in sorted(kept, key=lambda row: row[0] != "index"):
                cursor.execute(sql)
            for name, value in before.items():
                cursor.execute(f"PRAGMA {name} = {value}")
        search_index_rebuild(using=using)


def _pragma(cursor: CursorWrapper, name: str) -> str:
    cursor.execute(f"PRAGMA {name}")
    return str(cursor.fetchone()[0])
