"""`Conversation.is_open`, derived by the database from `status`, and the inbox indexes on it.

Django adds a stored generated column on SQLite by rebuilding the table, which drops the search
triggers and would rebuild the search index of every message (minutes on a large desk). SQLite
can add a VIRTUAL generated column in place, and an index on it is as good for the inbox, so the
column is added by hand: virtual on SQLite, stored on PostgreSQL (which has no virtual ones). The
model says `db_persist=True`; a later rebuild of the table on SQLite makes it stored, the same
values either way.
"""

from typing import Any

from django.db import migrations, models

NOT_DONE = ("new", "open", "waiting_on_us", "waiting_on_customer")  # as of this migration


def is_open_add(apps: Any, schema_editor: Any) -> None:
    quote = schema_editor.quote_name
    kind = "VIRTUAL" if schema_editor.connection.vendor == "sqlite" else "STORED"
    statuses = ", ".join(f"'{s}'" for s in NOT_DONE)
    schema_editor.execute(
        f"ALTER TABLE {quote('conversations_conversation')} ADD COLUMN {quote('is_open')} "
        f"boolean GENERATED ALWAYS AS ({quote('status')} IN ({statuses})) {kind}"
    )


def is_open_remove(apps: Any, schema_editor: Any) -> None:
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"ALTER TABLE {quote('conversations_conversation')} DROP COLUMN {quote('is_open')}"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0018_conversation_reading_confidence"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="conversation", name="conv_owner"),
        migrations.RemoveIndex(model_name="conversation", name="conv_team"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="conversation",
                    name="is_open",
                    field=models.GeneratedField(
                        db_persist=True,
                        expression=models.Q(("status__in", NOT_DONE)),
                        output_field=models.BooleanField(),
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(is_open_add, is_open_remove)],
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                condition=models.Q(("is_open", True)),
                fields=["owner", "last_message_at"],
                name="conv_owner_open",
            ),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                condition=models.Q(("is_open", True)),
                fields=["team", "last_message_at"],
                name="conv_team_open",
            ),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                condition=models.Q(("is_open", True), ("owner__isnull", True)),
                fields=["severity", "queued_at"],
                name="conv_queue_open",
            ),
        ),
    ]
