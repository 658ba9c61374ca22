"""A record of every background task's life, to prove that each ran exactly once.

With several web processes enqueuing and several workers consuming (Huey on Redis), a lost or
doubled task shows in no single process. When `CAREDESK_TASK_AUDIT_LOG` names a file, every
process that loads Django appends one JSON line to it per enqueue, start, completion and error of a
task (Huey's signals), with the task's name, id and arguments and the process id. Each line is one
``write`` to a file opened with ``O_APPEND``, so lines from many processes never interleave. The
scaled-mode check (`caredesk/tests/scaled.py`) reads it back; nothing else does, so it is off by
default and costs nothing then.
"""

from __future__ import annotations

import json
import os
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huey import signals as huey_signals

# The signals worth a line: enough to tell lost (enqueued, never completed) from doubled
# (started or completed twice) and from failed.
AUDITED = (
    huey_signals.SIGNAL_ENQUEUED,
    huey_signals.SIGNAL_EXECUTING,
    huey_signals.SIGNAL_COMPLETE,
    huey_signals.SIGNAL_ERROR,
)

_connected: weakref.WeakSet[Any] = weakref.WeakSet()


@dataclass(frozen=True)
class AuditEntry:
    event: str
    task: str
    id: str
    args: tuple[Any, ...]
    pid: int
    at: float
    error: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """What the task does (name and arguments), whatever id the enqueue gave it."""
        return self.task, json.dumps(self.args)


def audit_write(path: Path, entry: AuditEntry) -> None:
    """Append one line in one system call, so concurrent writers never split each other's."""
    line = json.dumps(
        {
            "event": entry.event,
            "task": entry.task,
            "id": entry.id,
            "args": list(entry.args),
            "pid": entry.pid,
            "at": entry.at,
            "error": entry.error,
        },
        default=str,
    )
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def audit_read(path: Path) -> list[AuditEntry]:
    """Every line written so far, in the order they landed."""
    if not path.exists():
        return []
    return list(_parse(path.read_text().splitlines()))


def _parse(lines: list[str]) -> Iterator[AuditEntry]:
    for line in lines:
        if not line.strip():
            continue
        raw = json.loads(line)
        yield AuditEntry(
            event=raw["event"],
            task=raw["task"],
            id=raw["id"],
            args=tuple(raw["args"]),
            pid=raw["pid"],
            at=raw["at"],
            error=raw.get("error", ""),
        )


def audit_connect(huey: Any, path: Path) -> None:
    """Record the life of every task of this Huey instance in `path` (once per instance)."""
    if huey in _connected:
        return
    _connected.add(huey)

    def record(signal: str, task: Any, exc: BaseException | None = None) -> None:
        audit_write(
            path,
            AuditEntry(
                event=signal,
                task=task.name,
                id=task.id,
                # Jobs are enqueued with keyword arguments (`caredesk.jobs`): their values count.
                args=(*(task.args or ()), *(v for _, v in sorted((task.kwargs or {}).items()))),
                pid=os.getpid(),
                at=time.time(),
                error=repr(exc) if exc is not None else "",
            ),
        )

    huey.signal(*AUDITED)(record)
