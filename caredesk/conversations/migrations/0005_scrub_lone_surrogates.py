"""Replace lone UTF-16 surrogates already stored in events (transfer notes, severity reasons).

Before text was checked on the way in, a JSON ``"\\ud800"`` in a transfer note was kept: SQLite
stores JSON as text with the escape, so it read back as a lone surrogate and the conversation's
desk page failed to encode, with a 500 on every load. PostgreSQL's jsonb refused such a value, so
there is nothing to mend there. The only candidates are rows whose JSON has a ``\\ud`` escape.
"""

import re
from typing import Any

from django.db import migrations

SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def scrub_events(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    Event = apps.get_model("conversations", "Event")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id FROM conversations_event WHERE data LIKE '%\\ud%'")
        ids = [row[0] for row in cursor.fetchall()]
    for start in range(0, len(ids), 500):
        for event in Event.objects.filter(pk__in=ids[start : start + 500]).only("pk", "data"):
            clean = _scrub(event.data)
            if clean != event.data:
                event.data = clean
                event.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0004_merged_into_unindexed"),
    ]

    operations = [migrations.RunPython(scrub_events, migrations.RunPython.noop)]
