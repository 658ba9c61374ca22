"""The upload page's import, run by the worker (a thin task: load by id, call one service)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from caredesk import jobs
from caredesk.channels import csv_jobs


@db_task(retries=2, retry_delay=30)
def csv_import_task(csv_import: int) -> int:
    return csv_jobs.csv_import_run(csv_import_id=csv_import).rows_done


def jobs_subscribe() -> None:
    """Start a stored import once its row is committed; called from `AppConfig.ready`."""
    jobs.subscribe(csv_jobs.CSV_IMPORT, csv_import_task)
