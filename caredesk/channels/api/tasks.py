"""The API's background work: old `Idempotency-Key` rows go, so the table stays small."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from caredesk.channels.api.idempotency import idempotency_keys_expire


@db_periodic_task(crontab(minute="23"))
def idempotency_keys_expire_task() -> int:
    return idempotency_keys_expire()
