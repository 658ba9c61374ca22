"""`rows.Table` stores every value exactly as Django's own save would (it skips only the detour).

Rows made through the services and factories are prepared both ways, field by field; then
copies inserted by `Table` read back equal to the originals.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from django.db import connection, models

from caredesk.conversations.models import Conversation, Event, EventKind, Message, Rating
from caredesk.conversations.tests.factories import (
    EventFactory,
    MessageFactory,
    RatingFactory,
    make_conversation,
)
from caredesk.rows import Serialised, Table, sequences_reset

pytestmark = pytest.mark.django_db

ROUND = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)  # no microseconds: str() drops them
ODD = datetime(2025, 6, 2, 11, 30, 0, 250, tzinfo=timezone(timedelta(hours=2)))  # not UTC


def _rows() -> list[models.Model]:
    conversation = make_conversation(at=ROUND)
    message = MessageFactory.create(conversation=conversation, at=ODD)
    return [
        conversation,
        message,
        EventFactory.create(
            conversation=conversation,
            kind=EventKind.CUSTOMER_REPLIED,
            created_at=ROUND + timedelta(microseconds=7),
            data={"message": message.pk, "note": "é ✓", "nested": [1, None, {"a": 1.5}]},
        ),
        EventFactory.create(conversation=conversation, created_at=ODD, data={}),
        RatingFactory.create(conversation=conversation, created_at=ROUND),
    ]


def _plain(value: Any) -> Any:
    """psycopg's Jsonb wrapper has no equality of its own; compare what it wraps."""
    return value.obj if type(value).__name__ == "Jsonb" else value


def _django(obj: models.Model) -> tuple[Any, ...]:
    return tuple(
        _plain(f.get_db_prep_save(getattr(obj, f.attname), connection))
        for f in type(obj)._meta.concrete_fields
        if not f.generated
    )


def _prepared(table: Table) -> list[tuple[Any, ...]]:
    return [tuple(_plain(v) for v in row) for row in table.rows]


def test_values_are_prepared_as_django_prepares_them() -> None:
    for obj in _rows():
        table = Table(type(obj))
        table.add_instance(obj)
        assert _prepared(table) == [_django(obj)], type(obj).__name__


def test_a_serialised_json_value_is_stored_as_given() -> None:
    message = MessageFactory.create()
    table = Table(Message)
    stored = table.json("reading", message.reading)
    assert isinstance(stored, Serialised)
    table.add_instance(message, reading=stored)
    assert _prepared(table) == [_django(message)]


def test_inserted_copies_read_back_equal() -> None:
    originals = _rows()
    for model in (Conversation, Message, Event, Rating):
        table = Table(model)
        first = table.next_id()
        mine = [o for o in originals if type(o) is model]
        for pk, obj in enumerate(mine, start=first):
            copy = model.objects.get(pk=obj.pk)
            copy.pk = pk
            if model is Rating:  # one rating per conversation: the copy rates another
                copy.conversation = make_conversation(at=ROUND)
            table.add_instance(copy)
        assert table.insert() == len(mine)
        sequences_reset([table])  # as the bulk path does: PostgreSQL's next id skips the copies
        assert table.rows == []
        for pk, obj in enumerate(mine, start=first):
            back, saved = model.objects.get(pk=pk), model.objects.get(pk=obj.pk)
            for f in model._meta.concrete_fields:
                if f.primary_key or (model is Rating and f.name == "conversation"):
                    continue
                assert getattr(back, f.attname) == getattr(saved, f.attname), (model, f.name)
