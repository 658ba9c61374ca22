"""The scaled-mode check's verdicts: each must fail on the loss or double it exists to catch.

The check itself (two web servers and two workers on PostgreSQL and Redis) runs from
scripts/scaled.sh; here its judging functions meet audit logs with known faults.
"""

from __future__ import annotations

import ast
from pathlib import Path

from caredesk.taskaudit import AuditEntry
from caredesk.tests.scaled import (
    PERIODIC_TASKS,
    Ack,
    check_each_once,
    check_lead_emails,
    check_periodic_once,
    check_stored_once,
    check_tasks_once,
)


def entry(
    event: str, task: str, id: str, *args: object, pid: int = 1, at: float = 0.0
) -> AuditEntry:
    return AuditEntry(event=event, task=task, id=id, args=args, pid=pid, at=at)


def ran(task: str, id: str, *args: object, pid: int = 1) -> list[AuditEntry]:
    return [entry(e, task, id, *args, pid=pid) for e in ("enqueued", "executing", "complete")]


def test_tasks_each_completed_once_pass() -> None:
    check = check_tasks_once(
        [*ran("refine_message_task", "a", 1), *ran("refine_message_task", "b", 2)]
    )
    assert check.ok, check.detail
    assert "2 enqueued" in check.detail


def test_a_task_never_completed_is_lost() -> None:
    check = check_tasks_once(
        [*ran("refine_message_task", "a", 1), entry("enqueued", "notify_leads_task", "b", 7)]
    )
    assert not check.ok
    assert "1 never completed: b" in check.detail


def test_a_task_run_by_two_workers_is_caught() -> None:
    entries = [
        *ran("refine_message_task", "a", 1, pid=1),
        entry("executing", "refine_message_task", "a", 1, pid=2),
    ]
    entries.append(entry("complete", "refine_message_task", "a", 1, pid=2))
    check = check_tasks_once(entries)
    assert not check.ok
    assert "ran twice: a" in check.detail


def test_the_same_work_enqueued_twice_is_caught_even_under_two_ids() -> None:
    check = check_tasks_once([*ran("notify_leads_task", "a", 7), *ran("notify_leads_task", "b", 7)])
    assert not check.ok
    assert "done twice under two ids" in check.detail


def test_errors_fail_and_an_empty_log_proves_nothing() -> None:
    failed = check_tasks_once(
        [*ran("refine_message_task", "a", 1), entry("error", "refine_message_task", "a", 1)]
    )
    assert not failed.ok
    assert "1 errors" in failed.detail
    assert not check_tasks_once([]).ok


def test_each_expected_id_once_and_nothing_else() -> None:
    entries = [*ran("refine_message_task", "a", 1), *ran("refine_message_task", "b", 2)]
    assert check_each_once("refines", "refine_message_task", [1, 2], entries).ok
    missing = check_each_once("refines", "refine_message_task", [1, 2, 3], entries)
    assert not missing.ok
    assert "1 without one: 3" in missing.detail
    extra = check_each_once("refines", "refine_message_task", [1], entries)
    assert not extra.ok
    assert "unexpected: 2" in extra.detail


def test_periodic_tasks_twice_in_one_slot_are_caught() -> None:
    one_each = [
        entry("enqueued", "read_unread_messages", "a", at=60.0),
        entry("enqueued", "read_unread_messages", "b", at=360.0),
    ]
    assert check_periodic_once(one_each).ok
    doubled = [*one_each, entry("enqueued", "read_unread_messages", "c", pid=2, at=61.0)]
    assert not check_periodic_once(doubled).ok


def test_messages_lost_doubled_or_unacknowledged_are_caught() -> None:
    acks = [Ack("[scaled 0-0]", 10, 1, True), Ack("[scaled 0-1]", 11, 1, False)]
    assert check_stored_once(acks, {"[scaled 0-0]": [10], "[scaled 0-1]": [11]}).ok
    lost = check_stored_once(acks, {"[scaled 0-0]": [10]})
    assert not lost.ok
    assert "1 lost" in lost.detail
    doubled = check_stored_once(acks, {"[scaled 0-0]": [10], "[scaled 0-1]": [11, 12]})
    assert not doubled.ok
    assert "stored twice" in doubled.detail
    unacked = check_stored_once(
        acks, {"[scaled 0-0]": [10], "[scaled 0-1]": [11], "[scaled 0-2]": [12]}
    )
    assert not unacked.ok
    assert "never acknowledged" in unacked.detail


def test_lead_emails_once_per_urgent_conversation_to_the_leads() -> None:
    leads = ["lead@x.example"]
    subjects = ["[Caredesk] Urgent: #3 Order", "[Caredesk] Urgent: #5 Order"]
    assert check_lead_emails([3, 5], subjects, [leads, leads], leads).ok
    twice = check_lead_emails([3, 5], [*subjects, subjects[0]], [leads] * 3, leads)
    assert not twice.ok
    assert "e-mailed more than once: 3" in twice.detail
    missing = check_lead_emails([3, 5, 8], subjects, [leads, leads], leads)
    assert not missing.ok
    assert "without an e-mail: 8" in missing.detail
    assert not check_lead_emails([3, 5], subjects, [leads, ["agent@x.example"]], leads).ok
    assert not check_lead_emails([], [], [], leads).ok  # nothing urgent: nothing was tested


def _periodic_task_names() -> set[str]:
    """The functions decorated with `db_periodic_task` anywhere in the desk, read from source
    (so a module no consumer happens to import is not missed)."""
    root = Path(__file__).resolve().parents[1]
    names = set()
    for path in root.rglob("*.py"):
        text = path.read_text()
        if "periodic_task(" not in text:
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call)
                and getattr(d.func, "id", getattr(d.func, "attr", "")).endswith("periodic_task")
                for d in node.decorator_list
            ):
                names.add(node.name)
    return names


def test_every_periodic_task_is_known_to_the_check() -> None:
    """A periodic task missing from PERIODIC_TASKS would be reported as "done twice" by a long
    scaled run (each slot completes it again with the same, empty, arguments)."""
    found = _periodic_task_names()
    assert "sla_check" in found  # the walk itself finds them
    assert found == PERIODIC_TASKS, (
        f"not in PERIODIC_TASKS: {sorted(found - PERIODIC_TASKS)}; "
        f"no longer periodic: {sorted(PERIODIC_TASKS - found)}"
    )


def test_a_periodic_task_completing_in_two_slots_is_not_done_twice() -> None:
    entries = [*ran("sla_check", "a"), *ran("sla_check", "b"), *ran("send_due_updates", "c")]
    entries += [*ran("send_due_updates", "d"), *ran("requeue_lost_deliveries", "e")]
    entries += [*ran("requeue_lost_deliveries", "f")]
    assert check_tasks_once(entries).ok
    assert not check_tasks_once(
        [*ran("notify_leads_task", "a", 3), *ran("notify_leads_task", "b", 3)]
    ).ok
