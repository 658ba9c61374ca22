"""`/healthz`: is this desk able to serve? For load balancers, container probes and uptime checks.

It answers without a login and writes nothing: one cheap query on the database and one count of
the pending background tasks (which reaches the Huey store, SQLite or Redis). A failing part gives
503 and its name, never the error's text, which can hold host names or paths; the log has those.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from huey.contrib.djhuey import HUEY

logger = logging.getLogger(__name__)


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"database": "ok"}


def _queue() -> dict[str, Any]:
    return {"queue": "ok", "pending_tasks": HUEY.pending_count()}


def health_report() -> tuple[bool, dict[str, Any]]:
    """Each part's state; a part that raises is reported as failed and logged."""
    report: dict[str, Any] = {}
    healthy = True
    for name, probe in (("database", _database), ("queue", _queue)):
        try:
            report.update(probe())
        except Exception as exc:  # any failure of a part is the answer, not a crash
            logger.exception("health check: %s failed", name)
            report[name] = f"failed ({type(exc).__name__})"
            healthy = False
    return healthy, {"status": "ok" if healthy else "failing", **report}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)
