"""The SQLite search index becomes one FTS5 row per message (and one per subject), its rowid
carrying the conversation (`conversations/search_index.py`): a new message adds one row in its
transaction instead of rewriting its conversation's whole document (0011's shape, dropped here).
PostgreSQL keeps its expression GIN indexes (created again if missing; nothing changes there)."""

from __future__ import annotations

import importlib
from typing import Any

from django.db import migrations

from caredesk.conversations.search_index import search_index_drop_sql, search_index_sql


def forwards(apps: Any, schema_editor: Any) -> None:
    for sql in search_index_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


def backwards(apps: Any, schema_editor: Any) -> None:
    """Back to 0011's one document per conversation."""
    vendor = schema_editor.connection.vendor
    if vendor != "sqlite":
        return
    for sql in search_index_drop_sql(vendor):
        schema_editor.execute(sql, params=None)
    earlier = importlib.import_module("caredesk.conversations.migrations.0011_search_index")
    earlier.forwards(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("conversations", "0016_message_delivery_claimed_at")]

    operations = [migrations.RunPython(forwards, backwards)]
