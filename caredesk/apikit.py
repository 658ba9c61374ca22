"""What every app's API router shares: the one error shape, id types and cursor pagination.

It sits below every app (like `caredesk/forms.py`), so `conversations/api`, `customers/api` and
`people/api` can use it without importing `channels`, which is above them. The NinjaAPI that mounts
the routers, its authentication, exception handlers and idempotency live in `channels/api/`.

Pagination: list routes answer a JSON list in a stable order (the sort key, then the id) and, when
there is more, an RFC 8288 `Link: <…>; rel="next"` header whose URL carries an opaque `cursor`. The
`limit` is bounded in the schema: above the maximum is a 422 naming it, never a silent clamp.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, P, PathEx, QueryEx, Schema
from pydantic import ConfigDict

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "validation_failed",
    429: "too_many_requests",
    500: "server_error",
}


class ErrorDetail(Schema):
    code: str = Field(description="Stable snake_case code: " + ", ".join(ERROR_CODES.values()))
    message: str = Field(description="What went wrong, in a sentence for a person.")
    fields: dict[str, list[str]] = Field(
        description="The problems with each input field, by field name; empty when none applies."
    )


class ErrorOut(Schema):
    """Every API error, whatever its status, has this shape."""

    error: ErrorDetail


def responses(ok: dict[int, Any], *errors: int) -> dict[int, Any]:
    """A route's documented answers: its successes, then `ErrorOut` for every error it can return.

    Every route behind authentication can answer 401, and any route 500. A POST also answers 403
    to a browser session without its CSRF token, and to a read-only token.
    """
    return {**ok, **{code: ErrorOut for code in sorted({*errors, 401, 500})}}


class In(Schema):
    """An input body that refuses fields it does not know (a typo is a 422, not ignored)."""

    model_config = ConfigDict(extra="forbid")


# Ids are 64-bit (BigAutoField); a larger number is refused in the schema, not by the database.
MAX_ID = 2**63 - 1
Id = PathEx[int, P(ge=1, le=MAX_ID, description="The id.")]
MAX_LIMIT = 200
Limit = QueryEx[
    int, P(ge=1, le=MAX_LIMIT, description=f"How many to return, 1 to {MAX_LIMIT} (more is a 422).")
]
Cursor = QueryEx[
    str | None,
    P(max_length=200, description='Where to go on: the cursor from the `Link: rel="next"` header.'),
]


def user_of(request: HttpRequest) -> Any:
    """The authenticated user; every route but the schema requires authentication."""
    if not getattr(request.user, "is_authenticated", False):
        raise PermissionDenied("Log in or send a bearer token.")
    return request.user


def utc(value: datetime | None, *, field: str) -> datetime | None:
    """A time from the client in UTC (a time without a zone is taken as UTC). Databases refuse
    some offsets Python accepts (PostgreSQL: beyond ±15:59), so none reaches them."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValidationError({field: "This time is out of range."}) from exc


# --- Cursor pagination ----------------------------------------------------------------------

M = TypeVar("M", bound=Model)


def _encode(key: str, value: Any, pk: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([key, value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, key: str) -> tuple[Any, int]:
    refused = ValidationError({"cursor": "This cursor is not one we gave out; start again."})
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        found_key, value, pk = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise refused from exc
    if found_key != key:
        raise ValidationError({"cursor": "This cursor belongs to another sort order."})
    if not isinstance(pk, int) or isinstance(value, (dict, list)):
        raise refused
    if isinstance(value, str):  # a time we gave out; normalised, as `utc` does for a client's
        try:
            value = utc(datetime.fromisoformat(value), field="cursor")
        except ValueError as exc:
            raise refused from exc
    return value, pk


def keyset_page(
    qs: QuerySet[M],
    *,
    request: HttpRequest,
    response: HttpResponse,
    limit: int,
    cursor: str | None,
    key: str = "pk",
    offset: int = 0,
    feed: bool = False,
    fetch: Callable[[QuerySet[M], int, int | None], list[M]] | None = None,
) -> list[M]:
    """One page of `qs` ordered by `key` (a leading "-" for descending), then by id.

    Keyset, not offset: a row written while a client pages never shifts or repeats another.
    Sets the `Link: rel="next"` header when there is more; for a `feed`, always (an empty page
    links to itself), so a client keeps its place and asks again later for what is new.
    `fetch(qs, count, cursor_id)`: reads the first `count` rows of the ordered `qs` past the
    cursor another way than a slice (a search that reads its index a window at a time).
    """
    field, descending = key.lstrip("-"), key.startswith("-")
    op = "lt" if descending else "gt"
    ordering = [key, "-pk" if descending else "pk"] if field != "pk" else [key]
    qs = qs.order_by(*ordering)
    pk: int | None = None
    if cursor:
        value, pk = _decode(cursor, key)
        try:
            if field == "pk":
                qs = qs.filter(**{f"pk__{op}": pk})
            else:
                qs = qs.filter(
                    Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk})
                )
        except (ValidationError, ValueError, TypeError) as exc:
            raise ValidationError({"cursor": "This cursor is not one we gave out."}) from exc
    if fetch is not None:
        rows = fetch(qs, offset + limit + 1, pk)[offset:]
    else:  # `offset`: the older way to page, still served
        rows = list(qs[offset : offset + limit + 1])
    page = rows[:limit]
    if len(rows) > limit or (feed and page):
        query = request.GET.copy()
        query["cursor"] = _encode(key, getattr(page[-1], field), page[-1].pk)
        query.pop("offset", None)
        response["Link"] = (
            f'<{request.build_absolute_uri(f"{request.path}?{query.urlencode()}")}>; rel="next"'
        )
    elif feed:
        response["Link"] = f'<{request.build_absolute_uri()}>; rel="next"'
    return page
