"""The task audit log: a line per enqueue, start, completion and error, whole under concurrency."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from huey import MemoryHuey

from caredesk.taskaudit import AuditEntry, audit_connect, audit_read, audit_write


def test_every_step_of_a_task_is_recorded_with_its_arguments(tmp_path: Path) -> None:
    huey = MemoryHuey("audit-test", immediate=True)
    log = tmp_path / "tasks.jsonl"
    audit_connect(huey, log)
    audit_connect(huey, log)  # a second connect (say, ready() run twice) records nothing twice

    @huey.task()
    def add(a: int, b: int) -> int:
        return a + b

    @huey.task()
    def fail(reason: str) -> None:
        raise RuntimeError(reason)

    add(2, 3)
    fail("no such customer")  # immediate mode logs the error; the result would raise it

    entries = audit_read(log)
    assert [(e.event, e.task.rsplit(".", 1)[-1], e.args) for e in entries] == [
        ("enqueued", "add", (2, 3)),
        ("executing", "add", (2, 3)),
        ("complete", "add", (2, 3)),
        ("enqueued", "fail", ("no such customer",)),
        ("executing", "fail", ("no such customer",)),
        ("error", "fail", ("no such customer",)),
    ]
    assert len({e.id for e in entries[:3]}) == 1
    assert entries[0].id != entries[3].id
    assert "no such customer" in entries[-1].error
    assert {e.pid for e in entries} == {os.getpid()}


def _write_many(path: str, worker: int, count: int) -> None:
    for n in range(count):
        entry = AuditEntry(
            event="complete", task="t", id=f"{worker}-{n}", args=("x" * 300,), pid=worker, at=0.0
        )
        audit_write(Path(path), entry)


def test_lines_from_concurrent_processes_never_interleave(tmp_path: Path) -> None:
    log = tmp_path / "tasks.jsonl"
    procs = [
        multiprocessing.get_context("spawn").Process(target=_write_many, args=(str(log), w, 200))
        for w in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0

    entries = audit_read(log)  # a torn line would fail to parse here
    assert sorted(e.id for e in entries) == sorted(f"{w}-{n}" for w in range(4) for n in range(200))
