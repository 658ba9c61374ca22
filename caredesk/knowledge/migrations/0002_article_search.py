"""The full-text index of articles: FTS5 on SQLite, an expression GIN index on PostgreSQL.

On SQLite, an external-content FTS5 table is kept in step with `knowledge_article` by triggers, so
every write path (the service, the admin, a bulk insert) is indexed. Django rebuilds a SQLite table
for many schema changes and the rebuild drops its triggers: a later migration that alters
`knowledge_article` must run this migration's SQL again (`tests/test_search.py` fails if not).

On PostgreSQL the index is on the same expression `selectors.article_search` queries.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

SQLITE_FORWARDS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_article_fts USING fts5("
    "title, body, content='knowledge_article', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS knowledge_article_fts_ai AFTER INSERT ON knowledge_article "
    "BEGIN INSERT INTO knowledge_article_fts(rowid, title, body) "
    "VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS knowledge_article_fts_ad AFTER DELETE ON knowledge_article "
    "BEGIN INSERT INTO knowledge_article_fts(knowledge_article_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS knowledge_article_fts_au AFTER UPDATE ON knowledge_article "
    "BEGIN INSERT INTO knowledge_article_fts(knowledge_article_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO knowledge_article_fts(rowid, title, body) VALUES (new.id, new.title, new.body); "
    "END",
    "INSERT INTO knowledge_article_fts(knowledge_article_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS knowledge_article_fts_ai",
    "DROP TRIGGER IF EXISTS knowledge_article_fts_ad",
    "DROP TRIGGER IF EXISTS knowledge_article_fts_au",
    "DROP TABLE IF EXISTS knowledge_article_fts",
]
POSTGRES_FORWARDS = [
    "CREATE INDEX IF NOT EXISTS knowledge_article_search ON knowledge_article USING gin (("
    "setweight(to_tsvector('english', title), 'A') || "
    "setweight(to_tsvector('english', body), 'B')))",
]
POSTGRES_BACKWARDS = ["DROP INDEX IF EXISTS knowledge_article_search"]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_articles_and_resolutions")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARDS, "postgresql": POSTGRES_FORWARDS}),
            _run({"sqlite": SQLITE_BACKWARDS, "postgresql": POSTGRES_BACKWARDS}),
        ),
    ]
