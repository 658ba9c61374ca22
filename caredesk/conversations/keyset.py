"""Keyset pages: a page of a view in its order, after a cursor, never by OFFSET.

What a page costs must not grow with the view: the database walks an index in the page's order
and stops after one page. Where one index cannot give the whole order — the fair queue, ordered
by a band computed from severity and waiting time; a view over several teams — the view is read
in `Part`s, each walked in index order for one page, and the parts' rows are merged here. A
part whose leading order keys are fixed (the queue's band) is skipped when it lies wholly before
the cursor and read from its start when it lies wholly after it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any

from django.db.models import Model, Q, QuerySet


@dataclass(frozen=True)
class Part:
    """One slice of a view: its filter, and the values its rows share for the order's leading
    keys (by name, without the "-"), in that order."""

    filter: Q
    fixed: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    start: int  # the place of the first row in the whole view, from 1
    next_cursor: str  # empty on the last page
    first: bool  # no cursor was given: the top of the view


def _value(row: Model, field_name: str) -> Any:
    value = getattr(row, field_name)
    return value.isoformat() if isinstance(value, datetime) else value


def encode(order: tuple[str, ...], row: Model, start: int) -> str:
    values = [_value(row, f.lstrip("-")) for f in order]
    raw = json.dumps([",".join(order), start, values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, order: tuple[str, ...]) -> tuple[int, list[Any]] | None:
    """The place and key values a cursor stands for; None for one we did not give out for this
    order (the view then starts at the top, never an error page)."""
    try:
        raw = base64.urlsafe_b64decode(cursor[:2000] + "=" * (-len(cursor[:2000]) % 4))
        key, start, values = json.loads(raw)
        if key != ",".join(order) or not isinstance(start, int) or len(values) != len(order):
            return None
        parsed: list[Any] = []
        for name, value in zip(order, values, strict=True):
            if name.lstrip("-").endswith("_at"):
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    return None
                parsed.append(moment)
            elif isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**62:
                parsed.append(value)
            else:
                return None
        return max(1, min(start, 10**9)), parsed
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        return None


def after(order: tuple[str, ...], values: Sequence[Any]) -> Q:
    """Rows after the given key values in `order`: (a > x) or (a = x and b > y) or …, with
    a >= x (a <= x descending) beside it so the database seeks to the cursor instead of
    walking every earlier row to test the alternatives."""
    if not order:
        return Q()
    later, same = Q(pk__in=[]), Q()
    for name, value in zip(order, values, strict=True):
        column = name.lstrip("-")
        later |= same & Q(**{f"{column}__{'lt' if name.startswith('-') else 'gt'}": value})
        same &= Q(**{column: value})
    first = order[0]
    seek = Q(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": values[0]})
    return seek & later


def ordered(rows: list[Any], order: tuple[str, ...]) -> list[Any]:
    """Rows sorted by `order` ("-" descending), as the database would (keys are never NULL)."""
    for name in reversed(order):  # stable sorts, last key first
        rows.sort(key=attrgetter(name.lstrip("-")), reverse=name.startswith("-"))
    return rows


def _compare(fixed: Sequence[Any], cursor: Sequence[Any], order: tuple[str, ...]) -> int:
    """-1, 0 or 1: a part's fixed leading values before, equal to or after the cursor's."""
    for value, mark, name in zip(fixed, cursor, order, strict=False):
        if value != mark:
            before = value > mark if name.startswith("-") else value < mark
            return -1 if before else 1
    return 0


def _part_rows(
    qs: QuerySet[Any], part: Part, order: tuple[str, ...], cursor: list[Any] | None, limit: int
) -> list[Any]:
    fixed = [part.fixed[name.lstrip("-")] for name in order[: len(part.fixed)]]
    rest = order[len(fixed) :]
    qs = qs.filter(part.filter)
    if cursor is not None:
        place = _compare(fixed, cursor, order)
        if place < 0:
            return []
        if place == 0:
            qs = qs.filter(after(rest, cursor[len(fixed) :]))
    return list(qs.order_by(*rest)[:limit])


def page(
    qs: QuerySet[Any],
    order: tuple[str, ...],
    cursor: str,
    *,
    limit: int,
    parts: Sequence[Part] = (),
) -> Page:
    """One page by keyset: what a page costs does not grow with how far the agent has paged,
    and a row written meanwhile never repeats or hides another. Prefetch on the page's rows
    afterwards (a prefetch on `qs` would run once per part)."""
    decoded = decode(cursor, order) if cursor else None
    start, values = decoded if decoded is not None else (1, None)
    if parts:
        found = [r for part in parts for r in _part_rows(qs, part, order, values, limit + 1)]
        rows = ordered(found, order)[: limit + 1]
    else:
        if values is not None:
            qs = qs.filter(after(order, values))
        rows = list(qs.order_by(*order)[: limit + 1])
    shown = rows[:limit]
    more = len(rows) > limit
    next_cursor = encode(order, shown[-1], start + len(shown)) if more else ""
    return Page(shown, start, next_cursor, first=decoded is None)
