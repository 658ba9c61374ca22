"""The upload page's imports: stored first, run by the worker, watched by the page.

`csv_import_start` checks the file (UTF-8, the header, the page's row limit), stores it with a
`CsvImport` row and publishes `csv.import`; the worker's task calls `csv_import_run`, which
imports row by row (each row in its own transaction, see `csv_import.row_import`) and writes its
progress and the per-row errors to the row the page polls. Running an import again (a worker
killed half-way, a retry) starts from the top: the rows already imported are skipped.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils import timezone

from caredesk import jobs
from caredesk.channels.csv_import import conversations_import, csv_decode, csv_rows
from caredesk.channels.csv_models import CsvImport, ImportState

if TYPE_CHECKING:
    from caredesk.people.models import User

CSV_IMPORT = "csv.import"  # a stored import waits for the worker: `csv_import=<id>`
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PAGE_ROWS = 20_000
# The page polls the counters; writing them for every row would double the import's writes.
PROGRESS_EVERY = 10


def csv_import_start(*, raw: bytes, file_name: str, user: User | None) -> CsvImport:
    """Store an uploaded file for the worker, or refuse it whole with a `ValidationError` that
    says why (too big, not UTF-8, a missing column, too many rows)."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"The file is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; "
            "use `caredesk import conversations FILE.csv` for large files."
        )
    text = csv_decode(raw)
    total = sum(1 for _ in csv_rows(io.StringIO(text, newline="")))
    if total > MAX_PAGE_ROWS:
        raise ValidationError(
            f"The file has {total:,} rows; the page imports up to {MAX_PAGE_ROWS:,}. "
            "Use `caredesk import conversations FILE.csv` for large files."
        )
    record = CsvImport(
        file_name=file_name[:255],
        text=text,
        created_by=user,
        created_at=timezone.now(),
        rows_total=total,
    )
    record.full_clean()
    record.save()
    jobs.publish(CSV_IMPORT, csv_import=record.pk)
    return record


def csv_import_run(*, csv_import_id: int) -> CsvImport:
    """Import a stored file, keeping its row's counters and errors current for the page."""
    record = CsvImport.objects.get(pk=csv_import_id)
    if record.state == ImportState.DONE:
        return record
    record.state = ImportState.RUNNING
    record.rows_done = record.rows_created = record.rows_skipped = record.rows_failed = 0
    record.errors = []
    record.save(update_fields=_COUNTERS)
    done = 0

    def on_row() -> None:
        nonlocal done
        done += 1
        if done % PROGRESS_EVERY == 0:
            CsvImport.objects.filter(pk=record.pk).update(rows_done=done)

    try:
        report = conversations_import(csv_rows(io.StringIO(record.text, newline="")), on_row=on_row)
    except Exception as exc:
        record.state = ImportState.FAILED
        record.failure = f"The import stopped after {done} rows: {exc}"[:2000]
        record.rows_done = done
        record.finished_at = timezone.now()
        record.save(update_fields=[*_COUNTERS, "failure", "finished_at"])
        raise
    record.state = ImportState.DONE
    record.rows_done = report.rows
    record.rows_created, record.rows_skipped = report.created, report.skipped
    record.rows_failed = len(report.errors)
    record.errors = [[line, reason] for line, reason in report.errors]
    record.finished_at = timezone.now()
    record.save(update_fields=[*_COUNTERS, "finished_at"])
    return record


_COUNTERS = [
    "state",
    "rows_done",
    "rows_created",
    "rows_skipped",
    "rows_failed",
    "errors",
]
