"""The task queue's Huey class for the scaled setup (Redis), where several consumers run.

Every Huey consumer runs its own scheduler of periodic tasks, so with two `caredesk worker`
processes each periodic task (the reading sweep, auto-close) would be enqueued twice per slot.
Here the consumers share one schedule: the first to claim a minute in Redis enqueues that minute's
periodic tasks and the others skip it. Any consumer may die; the next minute goes to whichever
is left, with no leader to elect and no flag an operator could forget.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from huey import RedisHuey

# A claim only has to outlive the minute it is for (and clock skew between hosts).
CLAIM_SECONDS = 3600


class SharedScheduleRedisHuey(RedisHuey):  # type: ignore[misc]
    def read_periodic(self, timestamp: datetime | None) -> list[Any]:
        tasks: list[Any] = super().read_periodic(timestamp)
        if not tasks:
            return tasks
        slot = timestamp or self._get_timestamp()
        key = f"huey.{self.name}.periodic.{slot:%Y%m%d%H%M}"
        if self.storage.conn.set(key, os.getpid(), nx=True, ex=CLAIM_SECONDS):
            return tasks
        return []
