"""Inserting many rows of one model at once, from plain values, with the driver's `executemany`.

`bulk_create` builds a model instance per row and prepares every value through its field, one
call chain per value: at a million conversations that was a third of the bulk path's time. A
`Table` asks each field once how its values are stored and prepares them with that: on SQLite
datetimes become the same UTC strings Django writes and JSON is serialised by the field's
encoder (once per distinct object where the caller says so, `Serialised`); on any other
database each value goes through the field's own `get_db_prep_save`. Primary keys are given by
the caller (`next_ids`), so rows can refer to each other before they are inserted.
`tests/test_rows.py` checks the prepared values against Django's own, field by field.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from django.core.management.color import no_style
from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

Prep = Callable[[Any], Any]

# Field types whose Python values SQLite stores as they are (Django only checks or casts them).
_STORED_AS_IS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "FloatField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


class Serialised(str):
    """A JSON column's value already serialised by its field's encoder (see `Table.json`)."""


def _sqlite_datetime(connection: BaseDatabaseWrapper) -> Prep:
    adapt = connection.ops.adapt_datetimefield_value

    def prep(value: datetime | None) -> str | None:
        if value is not None and value.tzinfo is UTC:
            return str(value.replace(tzinfo=None))  # what `adapt` returns, without its detours
        return adapt(value)  # type: ignore[no-any-return]

    return prep


def _json(field: models.JSONField[Any]) -> Prep:
    encoder = field.encoder

    def prep(value: Any) -> Any:
        if value is None or type(value) is Serialised:
            return value
        return json.dumps(value, cls=encoder)

    return prep


def _field_prep(field: models.Field[Any, Any], connection: BaseDatabaseWrapper) -> Prep | None:
    """How the field's values are stored; None: as they are."""
    kind = field.get_internal_type()
    if connection.vendor != "sqlite":
        if isinstance(field, models.JSONField):
            inner = field.get_db_prep_save

            def prep(value: Any) -> Any:
                if type(value) is Serialised:
                    value = json.loads(value)
                return inner(value, connection)

            return prep
        return lambda value: field.get_db_prep_save(value, connection)
    if kind == "DateTimeField":
        return _sqlite_datetime(connection)
    if isinstance(field, models.JSONField):
        return _json(field)
    if kind in _STORED_AS_IS:
        return None  # as is (choices are str and int subclasses: sqlite3 stores the plain value)
    return lambda value: field.get_db_prep_save(value, connection)


class Table:
    """Rows of one model waiting to be inserted; `insert` writes them with one statement."""

    def __init__(self, model: type[models.Model], *, using: str = "default") -> None:
        self.model = model
        self.using = using
        connection = connections[using]
        # A generated column (`Conversation.is_open`) is the database's to write.
        fields = [f for f in model._meta.concrete_fields if not f.generated]
        self.fields = fields
        self.attnames = [f.attname for f in fields]
        preps = [_field_prep(f, connection) for f in fields]
        self.preps = [(i, prep) for i, prep in enumerate(preps) if prep is not None]
        # Each field's default where it is the same for every row (a callable's is not).
        self.defaults = {f.attname: f.get_default() for f in fields if not callable(f.default)}
        self._values = operator.itemgetter(*self.attnames)
        # A foreign key set to an unsaved instance has no id yet: read it from the instance.
        self.relations = [(f.attname, f.name) for f in fields if f.is_relation]
        self.json_encoder = {
            f.attname: f.encoder for f in fields if isinstance(f, models.JSONField)
        }
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        # Names from the model's own metadata, quoted by the backend; values are parameters.
        table = quote(model._meta.db_table)
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        self.rows: list[tuple[Any, ...]] = []

    def add(self, values: Mapping[str, Any]) -> None:
        """One row from its values by attname (`conversation_id`); a missing one is the
        field's default."""
        try:
            row = list(self._values(values))
        except KeyError:
            row = [
                values[name] if name in values else field.get_default()
                for field, name in zip(self.fields, self.attnames, strict=True)
            ]
        for i, prep in self.preps:
            row[i] = prep(row[i])
        self.rows.append(tuple(row))

    def add_instance(self, obj: models.Model, **values: Any) -> None:
        """One row from an unsaved instance whose primary key is set; `values` replace its own
        (a JSON column's `Serialised` text, say)."""
        own = obj.__dict__
        cache = obj._state.fields_cache
        for attname, name in self.relations:
            target = cache.get(name)
            if target is not None and own.get(attname) is None:
                values[attname] = target.pk
        self.add({**own, **values} if values else own)

    def json(self, attname: str, value: Any) -> Serialised | None:
        """`value` serialised as the column stores it; the caller keeps it for repeats."""
        if value is None:
            return None
        return Serialised(json.dumps(value, cls=self.json_encoder[attname]))

    def insert(self) -> int:
        """Write the rows waiting (in the caller's transaction); returns how many."""
        count = len(self.rows)
        if count:
            with connections[self.using].cursor() as cursor:
                cursor.executemany(self.sql, self.rows)
        self.rows = []
        return count

    def next_id(self) -> int:
        """The first free primary key (read inside the transaction that inserts)."""
        found = self.model._default_manager.using(self.using).aggregate(top=models.Max("pk"))
        return int(found["top"] or 0) + 1


def sequences_reset(tables: Iterable[Table], *, using: str = "default") -> None:
    """After rows with given ids, databases with sequences (PostgreSQL) must skip past them."""
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), [t.model for t in tables])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
