"""Scaled mode, proven: two web servers and two workers share PostgreSQL and Redis, and nothing
is lost or done twice.

    scripts/scaled.sh                     # starts PostgreSQL and Redis, then runs this module
    .venv/bin/python -m caredesk.tests.scaled --database-url postgres://… --redis-url redis://…

The driver migrates a fresh database, makes a lead, two agents and a few customers with API
tokens, starts two `caredesk web` processes on two ports and two `caredesk worker` processes, all
on 127.0.0.1 with the same DATABASE_URL and CAREDESK_REDIS_URL, and an SMTP server of its own
(aiosmtpd) that receives the leads' e-mails. Concurrent clients then open conversations and write
to them through both web processes, as customers and agents, some with risk signals (a public
escalation, a legal threat) so that leads are e-mailed. Once the queue has drained it checks, one
summary line each: every acknowledged message is stored exactly once; every inbound message was
read and refined; every task enqueued ran exactly once (the task audit log, `caredesk/taskaudit.py`,
records each enqueue, start, completion and error in every process); one lead e-mail per
conversation a risk made urgent, received by the SMTP server. Exit status 1 on any failure.

The checks are plain functions over the collected facts (`test_scaled.py` tests them); only `main`
starts processes. Not part of the pytest run: `scripts/test.sh` runs it as its own step.
"""

# size: a driver script run by scripts/scaled.sh, read top to bottom; its checks are tested alone.

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from caredesk.taskaudit import AuditEntry, audit_read
from caredesk.tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "scaled-Check-pass-7301"
MARK = "[scaled "
RISKS = (
    "If this is not fixed today I will post this on twitter for everyone to see.",
    "My lawyer will hear about this charge.",
)
# Every `db_periodic_task` of the desk (by function name, as Huey names its tasks): each runs once
# per schedule slot, so two completions of one are two slots, not work done twice.
# `test_scaled.py` fails when a periodic task is added without being named here.
PERIODIC_TASKS = {
    "read_unread_messages",  # conversations: the never-lost safety net for readings
    "close_resolved_conversations",  # conversations: auto-close
    "requeue_lost_deliveries",  # channels.email: lost or stuck reply deliveries
    "inbound_mail_poll_task",  # channels.email: IMAP polling
    "deliveries_send_due",  # channels.webhooks
    "idempotency_keys_expire_task",  # channels.api
    "sla_check",  # care: SLA warnings, breaches, returns
    "send_due_updates",  # care: status updates to waiting customers
    "outreach_check",  # care: at-risk customers
    "rollup_catch_up",  # insights: the rollups' sweep
    "goals_celebrate_task",  # insights
    "reviews_send_task",  # insights
}


@dataclass
class Ack:
    """A message the desk acknowledged (201): what we sent and the id it answered with."""

    marker: str
    message_id: int
    conversation_id: int
    inbound: bool


@dataclass
class Traffic:
    acks: list[Ack] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    per_port: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


# --- The checks: plain functions over what was collected ---------------------------------------


def _sample(items: Iterable[object], n: int = 5) -> str:
    items = list(items)
    more = f" (+{len(items) - n} more)" if len(items) > n else ""
    return ", ".join(str(i) for i in items[:n]) + more


def _problems(*found: tuple[str, Sequence[Any]]) -> list[str]:
    """One line per kind of fault found: how many, and a few of them."""
    return [f"{len(items)} {label}: {_sample(items)}" for label, items in found if items]


def check_stored_once(acks: Sequence[Ack], stored: dict[str, list[int]]) -> Check:
    """Each acknowledged message is in the database exactly once, under the id we were given;
    `stored` maps each marker found in the database to the ids of the messages carrying it."""
    missing = [a.marker for a in acks if not stored.get(a.marker)]
    doubled = [m for m, ids in stored.items() if len(ids) > 1]
    wrong = [a.marker for a in acks if stored.get(a.marker) and stored[a.marker] != [a.message_id]]
    unacked = sorted(set(stored) - {a.marker for a in acks})
    problems = _problems(
        ("lost", missing),
        ("stored twice", doubled),
        ("under another id", wrong),
        ("stored but never acknowledged", unacked),
    )
    ok = not problems and bool(acks)
    detail = "; ".join(problems) or f"{len(acks)} acknowledged, {len(stored)} stored, each once"
    return Check("messages stored exactly once", ok, detail)


def check_tasks_once(entries: Sequence[AuditEntry]) -> Check:
    """Every task enqueued started and completed exactly once, and none failed."""
    by_event: dict[str, Counter[str]] = {}
    for e in entries:
        by_event.setdefault(e.event, Counter())[e.id] += 1
    enqueued = set(by_event.get("enqueued", {}))
    started = by_event.get("executing", Counter())
    completed = by_event.get("complete", Counter())
    errors = [e for e in entries if e.event == "error"]
    lost = sorted(enqueued - set(completed))
    twice = sorted(
        {i for i, n in started.items() if n > 1} | {i for i, n in completed.items() if n > 1}
    )
    # Two enqueues of the same work (same task, same arguments) are a double even with two ids;
    # periodic tasks legitimately repeat, and are checked per schedule slot instead.
    done_work = Counter(
        e.key for e in entries if e.event == "complete" and e.task not in PERIODIC_TASKS
    )
    same_work = sorted(f"{name}{args}" for (name, args), n in done_work.items() if n > 1)
    problems = _problems(
        ("never completed", lost),
        ("ran twice", twice),
        ("done twice under two ids", same_work),
        ("errors", [f"{e.task}{e.args} {e.error}" for e in errors]),
    )
    counts = Counter(e.task for e in entries if e.event == "complete")
    ok = not problems and bool(enqueued)
    detail = "; ".join(problems) or (
        f"{len(enqueued)} enqueued, each completed once ("
        + ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
        + ")"
    )
    return Check("background tasks ran exactly once", ok, detail)


def check_periodic_once(entries: Sequence[AuditEntry]) -> Check:
    """A periodic task is enqueued once per schedule slot, not once per worker."""
    slots = Counter(
        (e.task, int(e.at // 60))
        for e in entries
        if e.event == "enqueued" and e.task in PERIODIC_TASKS
    )
    doubled = sorted(f"{task} at minute {minute}" for (task, minute), n in slots.items() if n > 1)
    if doubled:
        return Check(
            "periodic tasks once per slot",
            False,
            f"enqueued by several workers: {_sample(doubled)}",
        )
    return Check("periodic tasks once per slot", True, f"{len(slots)} periodic runs, none doubled")


def check_shared_schedule(huey: Any) -> Check:
    """Two consumers looking at the same minute: only the first enqueues its periodic tasks
    (caredesk.taskqueue), so any number of workers can run the scheduler."""
    import caredesk.conversations.tasks  # noqa: F401 - registers the periodic tasks, as a consumer does

    slot = datetime(2100, 1, 1, 0, 0) + timedelta(minutes=5 * random.randrange(1, 100_000))
    first = [t.name for t in huey.read_periodic(slot)]
    second = [t.name for t in huey.read_periodic(slot)]
    ok = bool(first) and not second
    detail = f"first consumer enqueues {len(first)} periodic tasks, second {len(second)}"
    return Check("one consumer enqueues each periodic slot", ok, detail)


def check_each_once(
    name: str, task: str, expected: Iterable[int], entries: Sequence[AuditEntry]
) -> Check:
    """The task ran (completed) exactly once for each expected id, and for nothing else."""
    want = set(expected)
    done = Counter(int(e.args[0]) for e in entries if e.event == "complete" and e.task == task)
    missing = sorted(want - set(done))
    extra = sorted(set(done) - want)
    twice = sorted(i for i, n in done.items() if n > 1)
    problems = _problems(("without one", missing), ("more than once", twice), ("unexpected", extra))
    detail = "; ".join(problems) or f"{len(want)} of {len(want)}, each once"
    return Check(name, not problems, detail)


def check_lead_emails(
    urgent: Sequence[int],
    subjects: Sequence[str],
    recipients: Sequence[list[str]],
    leads: list[str],
) -> Check:
    """One e-mail to the leads per conversation a risk made urgent, as the SMTP server got it."""
    got = Counter(_conversation_of(s) for s in subjects)
    missing = sorted(set(urgent) - set(got))
    twice = sorted(pk for pk, n in got.items() if n > 1)
    extra = sorted(set(got) - set(urgent))
    misaddressed = [r for r in recipients if sorted(r) != sorted(leads)]
    problems = ([] if urgent else ["no conversation became urgent, so nothing was tested"]) + (
        _problems(
            ("urgent conversations without an e-mail", missing),
            ("e-mailed more than once", twice),
            ("e-mails for conversations not urgent", extra),
            ("not addressed to the leads", misaddressed),
        )
    )
    detail = (
        "; ".join(problems)
        or f"{len(urgent)} urgent conversations, {len(subjects)} e-mails, one each"
    )
    return Check("lead e-mails exactly once", not problems, detail)


def _conversation_of(subject: str) -> int:
    """The conversation number in "[Caredesk] Urgent: #123 Subject" (0 if there is none)."""
    _, _, rest = subject.partition("#")
    number = rest.split(" ", 1)[0]
    return int(number) if number.isdigit() else 0


def check_logs(logs: dict[str, str]) -> Check:
    """No server or worker printed a traceback or met a locked database."""
    bad = {
        name: text.count("Traceback") + text.count("database is locked")
        for name, text in logs.items()
    }
    bad = {k: v for k, v in bad.items() if v}
    detail = _sample(f"{k}: {v}" for k, v in bad.items()) if bad else f"{len(logs)} logs clean"
    return Check("server and worker logs", not bad, detail)


# --- Running it ---------------------------------------------------------------------------------


def request(
    port: int, method: str, path: str, token: str, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        conn.request(
            method, path, body=json.dumps(body) if body is not None else None, headers=headers
        )
        response = conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw[:300].decode(errors="replace")
    finally:
        conn.close()


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it is given."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.messages: list[tuple[list[str], str]] = []
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes

        subject = str(message_from_bytes(envelope.content).get("Subject", ""))
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), subject))
        return "250 Message accepted for delivery"


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "caredesk.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: gunicorn's workers stop with it
    )


def _stop(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    """Stop each process group: SIGTERM for the web servers, SIGINT for the workers (a consumer
    finishes the task in hand on SIGINT)."""
    for p in procs:
        if p.poll() is None:
            worker = isinstance(p.args, list) and "worker" in p.args
            os.killpg(p.pid, signal.SIGINT if worker else signal.SIGTERM)
    deadline = time.monotonic() + 30
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def _wait_ready(
    ports: Sequence[int], procs: Sequence[subprocess.Popen[bytes]], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    waiting = set(ports)
    while waiting:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("a web or worker process exited during start-up; see its log")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"web servers on ports {sorted(waiting)} did not answer in {timeout:.0f} s"
            )
        for port in list(waiting):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/login/")
                if conn.getresponse().status == 200:
                    waiting.discard(port)
                conn.close()
            except OSError:
                pass
        time.sleep(0.3)


@dataclass
class People:
    lead_emails: list[str]
    agent_tokens: list[str]
    customer_tokens: list[str]
    customer_emails: list[str]


def _make_people(customers: int) -> People:
    from caredesk.customers.services import customer_email_verify, customer_signup
    from caredesk.people.models import Role
    from caredesk.people.services import agent_create, api_token_create

    lead = "lead@scaled.example"
    agent_create(email=lead, password=PASSWORD, name="Lena Lead", role=Role.LEAD)
    agents = [f"agent{n}@scaled.example" for n in (1, 2)]
    for n, email in enumerate(agents, 1):
        agent_create(email=email, password=PASSWORD, name=f"Agent Number{n}")
    emails = [f"customer{n}@scaled.example" for n in range(customers)]
    for n, email in enumerate(emails):
        signup = customer_signup(email=email, password=PASSWORD, name=f"Customer Number{n}")
        # As if each followed the link mailed to them: an agent writing to the address on their
        # behalf then reaches the same customer, whose login sees the conversation.
        customer_email_verify(user=signup.user)
    return People(
        lead_emails=[lead],
        agent_tokens=[api_token_create(email=e, name="scaled") for e in agents],
        customer_tokens=[api_token_create(email=e, name="scaled") for e in emails],
        customer_emails=emails,
    )


def _conversation_script(i: int, people: People, ports: Sequence[int], traffic: Traffic) -> None:
    """One conversation: opened by its customer (or an agent on their behalf), then customer and
    agent take turns; every other one carries a risk signal, at the start or later."""
    customer = i % len(people.customer_tokens)
    agent_token = people.agent_tokens[i % 2]
    risk = RISKS[(i // 2) % 2] if i % 2 == 0 else ""

    def send(step: int, path: str, token: str, body: dict[str, Any], inbound: bool) -> int | None:
        port = ports[(i + step) % len(ports)]
        marker = f"{MARK}{i}-{step}]"
        body["text"] = f"{marker} {body['text']}"
        try:
            status, data = request(port, "POST", path, token, body)
        except OSError as exc:
            status, data = 0, repr(exc)
        with traffic.lock:
            traffic.per_port[port] += 1
            if status != 201:
                traffic.failures.append(f"{path} on :{port} -> {status} {str(data)[:200]}")
                return None
            if "messages" in data:  # a new conversation: its first message
                ack = Ack(marker, data["messages"][0]["id"], data["id"], inbound)
            else:
                ack = Ack(marker, data["id"], int(path.split("/")[3]), inbound)
            traffic.acks.append(ack)
            return ack.conversation_id

    opening = {
        "subject": f"Order {1000 + i} went wrong",
        "text": f"My order arrived broken. {risk if i % 4 == 0 else ''}",
    }
    if i % 5 == 4:
        opening |= {"customer_email": people.customer_emails[customer]}
        pk = send(0, "/api/conversations", agent_token, opening, True)
    else:
        pk = send(0, "/api/conversations", people.customer_tokens[customer], opening, True)
    if pk is None:
        return
    path = f"/api/conversations/{pk}/messages"
    turns = [
        ("agent", "Sorry to hear that; could you send a photo of the damage?"),
        ("customer", "Here is what I see; the box was crushed."),
        ("agent", "Thank you; a replacement is on its way."),
        ("customer", f"It still has not arrived. {risk if i % 4 == 2 else ''}"),
    ]
    for step, (who, text) in enumerate(turns, 1):
        token = agent_token if who == "agent" else people.customer_tokens[customer]
        send(step, path, token, {"text": text}, who == "customer")


def _drain(audit_log: Path, timeout: float) -> float:
    """Wait until the queue is empty and every task enqueued has finished; seconds waited."""
    from huey.contrib.djhuey import HUEY

    started = time.monotonic()
    settled = 0
    while time.monotonic() - started < timeout:
        entries = audit_read(audit_log)
        enqueued = {e.id for e in entries if e.event == "enqueued"}
        finished = {e.id for e in entries if e.event in ("complete", "error")}
        idle = HUEY.pending_count() == 0 and HUEY.scheduled_count() == 0
        settled = settled + 1 if idle and enqueued <= finished else 0
        if settled >= 3:  # quiet for three looks in a row: a finished task enqueues nothing more
            return time.monotonic() - started
        time.sleep(1)
    raise RuntimeError(f"the queue did not drain in {timeout:.0f} s")


# size: one check after another over the collected facts, a list read top to bottom.
def _collect_checks(
    traffic: Traffic, people: People, audit_log: Path, sink: SmtpSink, logs: dict[str, str]
) -> list[Check]:
    from huey.contrib.djhuey import HUEY

    from caredesk.conversations.models import Direction, Event, EventKind, Message
    from caredesk.conversations.reading import refine_engine

    stored: dict[str, list[int]] = {}
    for pk, text in Message.objects.filter(text__startswith=MARK).values_list("pk", "text"):
        stored.setdefault(text.split("]", 1)[0] + "]", []).append(pk)
    inbound = list(Message.objects.filter(direction=Direction.INBOUND).values_list("pk", "reading"))
    inbound_ids = [pk for pk, _ in inbound]
    entries = audit_read(audit_log)
    unread = [pk for pk, r in inbound if not r]
    checks = [
        Check(
            "requests acknowledged",
            not traffic.failures,
            _sample(traffic.failures, 3)
            if traffic.failures
            else (
                f"{sum(traffic.per_port.values())} requests, all 201, "
                + " / ".join(f":{p} {n}" for p, n in sorted(traffic.per_port.items()))
            ),
        ),
        check_stored_once(traffic.acks, stored),
        Check(
            "every inbound message read",
            not unread,
            f"{len(unread)} unread: {_sample(unread)}" if unread else f"{len(inbound_ids)} read",
        ),
    ]
    better = refine_engine()
    if better is not None:
        unrefined = [pk for pk, r in inbound if (r or {}).get("engine") != better.name]
        checks.append(
            Check(
                "every inbound message refined",
                not unrefined,
                f"{len(unrefined)} not refined by {better.name}: {_sample(unrefined)}"
                if unrefined
                else f"{len(inbound_ids)} refined by {better.name}",
            )
        )
        checks.append(
            check_each_once(
                "one refine task per inbound message", "refine_message_task", inbound_ids, entries
            )
        )
    read_tasks = [e for e in entries if e.task == "read_message_task"]
    if read_tasks:
        read_ids = {int(e.args[0]) for e in read_tasks}
        checks.append(
            check_each_once(
                "read tasks at most once per message", "read_message_task", read_ids, entries
            )
        )
    escalated = list(
        Event.objects.filter(kind=EventKind.ESCALATED).values_list("conversation_id", flat=True)
    )
    doubled = sorted(pk for pk, n in Counter(escalated).items() if n > 1)
    checks.append(
        Check(
            "each urgent conversation escalated once",
            not doubled,
            f"escalated twice: {_sample(doubled)}"
            if doubled
            else f"{len(set(escalated))} escalated",
        )
    )
    urgent = sorted(set(escalated))
    checks.append(
        check_each_once(
            "one lead notification task per urgent conversation",
            "notify_leads_task",
            urgent,
            entries,
        )
    )
    # Customers are mailed too (replies, confirmations); the check is about the leads' alerts.
    alerts = [(r, s) for r, s in sink.messages if s.startswith("[Caredesk] Urgent:")]
    subjects, recipients = [s for _, s in alerts], [r for r, _ in alerts]
    checks.append(check_lead_emails(urgent, subjects, recipients, people.lead_emails))
    checks.append(check_tasks_once(entries))
    checks.append(check_periodic_once(entries))
    checks.append(check_shared_schedule(HUEY))
    worker_pids = {e.pid for e in entries if e.event == "complete"}
    checks.append(
        Check(
            "both workers ran tasks",
            len(worker_pids) >= 2,
            f"{len(worker_pids)} worker processes completed tasks",
        )
    )
    checks.append(check_logs(logs))
    return checks


# size: the driver's one sequence: start the processes, send traffic, drain, check, stop.
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="postgres://… of an empty database")
    parser.add_argument("--redis-url", required=True, help="redis://… of a Redis server")
    parser.add_argument(
        "--conversations", type=int, default=24, help="conversations to open (5 messages each)"
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--customers", type=int, default=6)
    parser.add_argument(
        "--web-workers", type=int, default=2, help="gunicorn workers per web process"
    )
    parser.add_argument(
        "--refine-engine", default="minilm", help="the background refine engine ('' for none)"
    )
    parser.add_argument("--drain-timeout", type=float, default=300)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="caredesk-scaled-"))
    sink = SmtpSink()
    audit_log = work / "tasks.jsonl"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="caredesk.settings",
        DATABASE_URL=args.database_url,
        CAREDESK_REDIS_URL=args.redis_url,
        CAREDESK_DATA_DIR=str(work / "data"),
        CAREDESK_EMAIL_HOST="127.0.0.1",
        CAREDESK_EMAIL_PORT=str(sink.port),
        CAREDESK_TASK_AUDIT_LOG=str(audit_log),
        CAREDESK_EMOTION_REFINE_ENGINE=args.refine_engine,
        CAREDESK_HUEY_IMMEDIATE="false",
        CAREDESK_DEBUG="false",
    )
    import django
    from django.core.management import call_command

    django.setup()
    print(f"scaled mode: workdir {work}", flush=True)
    call_command("migrate", verbosity=0)
    people = _make_people(args.customers)
    ports = [free_port(), free_port()]
    env = dict(os.environ)
    procs: list[subprocess.Popen[bytes]] = []
    logs: dict[str, Path] = {}
    sink.controller.start()
    try:
        for n, port in enumerate(ports, 1):
            logs[f"web-{n}"] = work / f"web-{n}.log"
            procs.append(
                _spawn(
                    ["web", f"127.0.0.1:{port}", "--workers", str(args.web_workers)],
                    env,
                    logs[f"web-{n}"],
                )
            )
        for n in (1, 2):
            logs[f"worker-{n}"] = work / f"worker-{n}.log"
            procs.append(_spawn(["worker"], env, logs[f"worker-{n}"]))
        _wait_ready(ports, procs, timeout=90)
        print(
            f"web on :{ports[0]} and :{ports[1]}, 2 workers, SMTP on :{sink.port}; sending traffic",
            flush=True,
        )

        traffic = Traffic()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            for future in [
                pool.submit(_conversation_script, i, people, ports, traffic)
                for i in range(args.conversations)
            ]:
                future.result()
        print(
            f"traffic sent in {time.monotonic() - started:.1f} s; waiting for the queue to drain",
            flush=True,
        )
        print(f"queue drained in {_drain(audit_log, args.drain_timeout):.1f} s", flush=True)
        texts = {name: path.read_text(errors="replace") for name, path in logs.items()}
        checks = _collect_checks(traffic, people, audit_log, sink, texts)
    except Exception:
        _stop(procs)
        for name, path in logs.items():
            print(
                f"--- {name} (last lines)\n"
                + "\n".join(path.read_text(errors="replace").splitlines()[-25:])
            )
        raise
    finally:
        _stop(procs)
        sink.controller.stop()
    for check in checks:
        print(check.line())
    failed = [c for c in checks if not c.ok]
    if failed:
        print(f"scaled mode: {len(failed)} of {len(checks)} checks FAILED (logs in {work})")
        return 1
    print(f"scaled mode: all {len(checks)} checks passed")
    shutil.rmtree(work, ignore_errors=True)  # kept only when something failed
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
