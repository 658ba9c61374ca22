"""Finding the silent unhappy in the background: a thin periodic task over one service."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from caredesk.care import outreach_services


@db_periodic_task(crontab(minute="*/15"))
def outreach_check() -> None:
    """Every quarter hour: run the at-risk rules and open or extend outreach tasks. It keeps
    nothing in memory; running it twice, or again after a crash, records each finding once."""
    outreach_services.outreach_sweep()
