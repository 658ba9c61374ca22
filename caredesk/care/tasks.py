"""Background work for SLA timers: a thin periodic task that calls one service."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from caredesk.care import services


@db_periodic_task(crontab(minute="*"))
def sla_check() -> None:
    """Every minute: warn, breach and return what is due, then send the notices. It keeps
    nothing in memory; running it twice, or again after a crash, does nothing twice."""
    services.sla_sweep()
