"""The bulk load's window: on SQLite the loaded tables lose their triggers and secondary indexes
while it lasts, and get every one of them back after (also after an error), with the search
index holding what was written meanwhile. On PostgreSQL nothing changes."""

from __future__ import annotations

import pytest
from django.db import connection

from caredesk.conversations.models import Conversation
from caredesk.conversations.search import conversations_matching
from caredesk.conversations.tests.factories import ConversationFactory, MessageFactory
from caredesk.customers.models import Customer
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.demo.load import LOADED, bulk_load

pytestmark = pytest.mark.django_db

_SQLITE = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's load window")


def _schema() -> set[tuple[str, str, str, str]]:
    """Every index and trigger the migrations made, with its SQL (none on PostgreSQL)."""
    if connection.vendor != "sqlite":
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE type IN ('index', 'trigger') AND sql IS NOT NULL"
        )
        return set(cursor.fetchall())


@_SQLITE
def test_the_loaded_tables_have_no_triggers_or_indexes_inside() -> None:
    before = _schema()
    assert {row[2] for row in before} >= {"conversations_message", "customers_customer"}
    with bulk_load():
        assert not {row for row in _schema() if row[2] in LOADED}
        assert {row for row in _schema() if row[2] not in LOADED} == {
            row for row in before if row[2] not in LOADED
        }
    assert _schema() == before


def test_what_is_written_inside_is_found_after() -> None:
    before = _schema()
    with bulk_load():
        customer = CustomerFactory(name="Wilhelmina Quarrington")
        conversation = ConversationFactory(customer=customer, subject="Parcel to Zanzibar")
        MessageFactory(conversation=conversation, text="The courier lost my marmalade")
    assert _schema() == before
    for words in ("zanzibar", "marmalade"):
        found = conversations_matching(Conversation.objects.all(), words, include_notes=False)
        assert list(found) == [conversation]
    names = Customer.objects.filter(name__icontains="quarrington")
    assert list(names) == [customer]
    if connection.vendor == "sqlite":  # the customers' own index was rebuilt too
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid FROM customers_customer_fts "
                "WHERE customers_customer_fts MATCH 'quarrington'"
            )
            assert [row[0] for row in cursor.fetchall()] == [customer.pk]


def test_an_error_inside_still_puts_everything_back() -> None:
    before = _schema()
    with pytest.raises(RuntimeError, match="load failed"), bulk_load():
        raise RuntimeError("load failed")
    assert _schema() == before
