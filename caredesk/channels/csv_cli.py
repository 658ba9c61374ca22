"""`caredesk import conversations FILE.csv`: the import with a progress bar and a row report."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from tqdm import tqdm

from caredesk.channels.csv_import import ImportReport, conversations_import, csv_decode, csv_rows

USAGE = "usage: caredesk import conversations FILE.csv"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "conversations":
        print(USAGE, file=sys.stderr)
        return 2
    path = Path(argv[1])
    try:
        text = csv_decode(path.read_bytes())
        rows = list(csv_rows(_lines(text)))
    except OSError as exc:
        print(f"caredesk: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 1
    except ValidationError as exc:
        print(f"caredesk: {path}: {' '.join(exc.messages)}", file=sys.stderr)
        return 1
    with tqdm(total=len(rows), unit="row", desc=path.name, file=sys.stderr) as bar:
        report = conversations_import(rows, on_row=lambda: bar.update(1))
    print(report_text(report))
    return 1 if report.errors else 0


def _lines(text: str) -> io.StringIO:
    return io.StringIO(text, newline="")


def report_text(report: ImportReport) -> str:
    lines = [
        f"{report.created} rows imported, {report.skipped} already imported before, "
        f"{len(report.errors)} refused."
    ]
    lines += [f"  line {line}: {reason}" for line, reason in report.errors]
    return "\n".join(lines)
