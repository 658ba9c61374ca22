"""The JSON API (django-ninja), with its OpenAPI schema at /api/openapi.json and docs at /api/docs.

This package assembles it: each app owns its routes as a ninja `Router` in its own `api.py`
(handlers only parse, call one service or selector, and shape the answer), and `ROUTERS` below
mounts them. Here live what every route shares: authentication (`auth`: a bearer token with its
scopes, or the browser session with its CSRF token), the one JSON error shape (`errors`), and
`Idempotency-Key` on every POST (`idempotency`). Pagination and the shared schemas are in
`caredesk/apikit.py`, below the apps, so their routers can use them.

To add an app's routes: write its `api.py` with a `router`, and add it to `ROUTERS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Router

from caredesk.channels.api import errors
from caredesk.channels.api.auth import AUTH, READ_AUTH
from caredesk.channels.api.idempotency import idempotent
from caredesk.channels.webhooks.api import router as webhooks_router
from caredesk.conversations.api import empathy as empathy_api
from caredesk.conversations.api import router as conversations_router
from caredesk.customers.api import router as customers_router
from caredesk.insights.api import router as insights_router
from caredesk.people.api import router as people_router


class CaredeskAPI(NinjaAPI):
    """A NinjaAPI that builds its OpenAPI schema once per path prefix.

    ninja builds the schema afresh on every request to /api/openapi.json (about 0.3 s of CPU for
    our routes: pydantic writes every model's JSON schema again); the routes are fixed once the
    modules are imported, so the schema is too."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schemas: dict[str, Any] = self.__dict__.setdefault("_schemas", {})
        if path_prefix not in schemas:
            schemas[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix)
        return schemas[path_prefix]


api = CaredeskAPI(
    title="Caredesk API",
    version="1",
    description=(
        "Conversations, messages, customers, people, events, ratings, the fair queue and the "
        "empathy tools. Authenticate with `Authorization: Bearer <token>` (tokens have the scopes "
        "read or read+write) or the desk's session with its CSRF token. Lists answer a JSON list "
        'and, when there is more, a `Link: <…>; rel="next"` header; `limit` above its maximum is '
        "a 422. Send an `Idempotency-Key` header with a POST to make a retry safe. Every error "
        "has the shape `ErrorOut`."
    ),
    auth=AUTH,
    urls_namespace="api",
)

errors.install(api)

# (prefix, router, auth): every app's routes. Mount a new app's router here (webhooks, …).
ROUTERS: list[tuple[str, Router, Sequence[object] | None]] = [
    ("", conversations_router, None),
    ("", empathy_api.router, READ_AUTH),  # writes nothing: a read-only token may use it
    ("", customers_router, None),
    ("", people_router, None),
    ("", webhooks_router, None),
    ("", insights_router, READ_AUTH),  # reads only: a read-only token may use it
]

for prefix, router, auth in ROUTERS:
    if auth is None:
        api.add_router(prefix, router)
    else:
        api.add_router(prefix, router, auth=auth)


def urls() -> tuple[list[URLPattern | URLResolver], str, str]:
    """The API's URL patterns: each answers a wrong method in the error shape, and a POST with an
    `Idempotency-Key` once."""
    patterns, app_name, namespace = errors.json_errors(api.urls)
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = idempotent(pattern.callback)
    return patterns, app_name, namespace
