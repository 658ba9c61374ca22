"""`Idempotency-Key` on every POST: a retried request gets the first answer, not a second write.

The key is reserved before the route runs (a unique row per user and key), so two copies of one
request sent at once never both write: the second gets a 409 until the first has answered. A
success (2xx) is stored with a hash of the method, path and body; the same key with the same
request replays it (with `Idempotent-Replayed: true`), the same key with a different request is a
422. An error is not stored: the reservation is dropped and the client may retry with the key.
A key lives `CAREDESK_IDEMPOTENCY_KEY_HOURS` (a day by default, as Stripe's do); after that the same
key is a new request, and `idempotency_keys_expire` (a periodic task) deletes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from caredesk.channels.api.errors import error_response
from caredesk.channels.api.models import IdempotencyKey
from caredesk.people.models import ApiToken

HEADER = "Idempotency-Key"
MAX_KEY_CHARS = 255
EXPIRE_BATCH = 5_000  # rows per delete: a big backlog never holds the write lock for long


def _keep() -> timedelta:
    return timedelta(hours=settings.CAREDESK_IDEMPOTENCY_KEY_HOURS)


def idempotency_keys_expire(*, now: datetime | None = None) -> int:
    """Delete the keys older than their time to live, in short batches; how many went."""
    cutoff = (now or timezone.now()) - _keep()
    deleted = 0
    while True:
        batch = list(
            IdempotencyKey.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[
                :EXPIRE_BATCH
            ]
        )
        if not batch:
            return deleted
        deleted += IdempotencyKey.objects.filter(pk__in=batch).delete()[0]


def _caller(request: HttpRequest) -> Any:
    """The user the request will be authenticated as (the route itself checks it again)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        digest = hashlib.sha256(token.strip().encode()).hexdigest()
        row = ApiToken.objects.select_related("user").filter(digest=digest).first()
        return row.user if row is not None else None
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def _hash(request: HttpRequest) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(row.body), status=row.status or 200, content_type=row.content_type or None
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _keyed(
    view: Callable[..., HttpResponse], request: HttpRequest, *args: Any, **kwargs: Any
) -> HttpResponse:
    key = request.headers[HEADER].strip()
    if not key or len(key) > MAX_KEY_CHARS:
        return error_response(
            422,
            f"Send an {HEADER} of 1 to {MAX_KEY_CHARS} characters.",
            fields={HEADER: [f"1 to {MAX_KEY_CHARS} characters"]},
        )
    user = _caller(request)
    if user is None:
        return view(request, *args, **kwargs)  # the route answers 401
    fingerprint = _hash(request)
    now = timezone.now()
    try:
        with transaction.atomic():
            IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=now - _keep()).delete()
            row = IdempotencyKey.objects.create(
                user=user,
                key=key,
                route=request.path[:300],
                request_hash=fingerprint,
                created_at=now,
            )
    except IntegrityError:
        found = IdempotencyKey.objects.filter(user=user, key=key).first()
        if found is None:  # the first request failed and let the key go just now
            return error_response(409, "The first request with this key just ended; retry.")
        if found.request_hash != fingerprint:
            return error_response(
                422,
                f"This {HEADER} was used for a different request; use a new key for a new one.",
                fields={HEADER: ["used for a different request"]},
            )
        if found.status is None:
            return error_response(
                409, "The first request with this key is still running; retry soon."
            )
        return _replay(found)
    try:
        response = view(request, *args, **kwargs)
    except BaseException:
        row.delete()
        raise
    if 200 <= response.status_code < 300 and not response.streaming:
        row.status = response.status_code
        row.body = response.content
        row.content_type = response.get("Content-Type", "")[:100]
        row.save(update_fields=["status", "body", "content_type"])
    else:
        row.delete()
    return response


def idempotent(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an API URL's view: a POST with an `Idempotency-Key` header is answered once."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST" or HEADER not in request.headers:
            return view(request, *args, **kwargs)
        return _keyed(view, request, *args, **kwargs)

    return wrapper
