"""Who is calling the API: a bearer token (with its scopes) or the browser session (with CSRF)."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, django_auth

from caredesk.people.models import ApiToken, TokenScope

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class BearerToken(HttpBearer):
    """A token's `last_used_at` is written at most once a minute, so a read-only call otherwise
    writes nothing (on SQLite every write waits for the one write lock); and a busy database
    never fails the request over it: the write is skipped and logged.

    A token without the write scope is refused (403) on every method but GET, unless the routes
    write nothing (`reads_by_post`: the empathy tools take their text in a POST body).
    """

    TOUCH_EVERY_SECONDS = 60

    def __init__(self, *, reads_by_post: bool = False) -> None:
        super().__init__()
        self.reads_by_post = reads_by_post

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        digest = hashlib.sha256(token.encode()).hexdigest()
        # The caller's agent and customer rows come in the same query: every route asks which
        # one the caller is (`agent_of`, `user.customer`), and each would be a query of its own.
        row = (
            ApiToken.objects.select_related("user__agent", "user__customer")
            .filter(digest=digest)
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        writes = request.method not in SAFE_METHODS and not self.reads_by_post
        if writes and TokenScope.WRITE not in (row.scopes or []):
            raise PermissionDenied(f"The token “{row.name}” may only read; this needs write.")
        self._touch(row)
        request.user = row.user
        request.api_token = row  # type: ignore[attr-defined]  # idempotency keys are per token
        return row.user

    def _touch(self, row: ApiToken) -> None:
        now, last = timezone.now(), row.last_used_at
        if last is not None and (now - last).total_seconds() < self.TOUCH_EVERY_SECONDS:
            return
        try:
            with transaction.atomic():  # a savepoint: a failure leaves the request's work intact
                # Compare-and-set: of two requests at the same moment, one writes.
                ApiToken.objects.filter(pk=row.pk, last_used_at=last).update(last_used_at=now)
        except DatabaseError:
            logging.getLogger(__name__).warning(
                "API token %s: last use not recorded (database busy)", row.pk, exc_info=True
            )


AUTH = [BearerToken(), django_auth]
READ_AUTH = [BearerToken(reads_by_post=True), django_auth]
