"""Background work with real parts: Debian's `redis-server`, a separate `caredesk worker` (one
Huey consumer) and a real SMTP server (aiosmtpd) on 127.0.0.1.

1. A task the web process enqueues (resolving a conversation: its closing message) is done by
   the worker, and its mail reaches the SMTP server.
2. The worker is SIGKILLed in the middle of a batch of due status updates; after a restart every
   due update is recorded and mailed exactly once.

The "web process" is a separate Django process (`caredesk manage shell`) sharing the SQLite
database and the Redis queue with the worker, as `caredesk web` would.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from caredesk.tests.ports import free_port
from caredesk.tests.scaled import SmtpSink

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs Debian's redis-server"),
    # Its processes share a SQLite desk of their own, so the PostgreSQL pass would repeat it.
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs in the SQLite pass only"),
]

ROOT = Path(__file__).resolve().parents[3]
# A generous bound on waiting for the worker: a deadline for a hang, never a speed check.
PATIENCE = 300.0
UPDATES = 60


class Desk:
    """A fresh data folder, Redis and an SMTP sink; runs the web side and workers."""

    def __init__(self, tmp: Path, redis_port: int, sink: SmtpSink) -> None:
        self.tmp = tmp
        self.db = tmp / "data" / "caredesk.sqlite3"
        self.sink = sink
        self.env = {
            **os.environ,
            "CAREDESK_DATA_DIR": str(tmp / "data"),
            "CAREDESK_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "CAREDESK_HUEY_IMMEDIATE": "false",
            "CAREDESK_EMAIL_HOST": "127.0.0.1",
            "CAREDESK_EMAIL_PORT": str(sink.port),
            "CAREDESK_EMOTION_REFINE_ENGINE": "",
            "CAREDESK_DEBUG": "true",
        }
        self.env.pop("DATABASE_URL", None)
        self.env.pop("CAREDESK_DEMO_MAILBOX", None)
        self.workers: list[subprocess.Popen[bytes]] = []

    def web(self, code: str) -> str:
        """Run Python in a separate Django process (the web side); returns what it printed."""
        done = subprocess.run(
            [sys.executable, "-m", "caredesk.cli", "manage", "shell", "--no-imports", "-c", code],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=PATIENCE,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip()

    def worker(self) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"worker-{len(self.workers)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "caredesk.cli", "worker"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(proc)
        return proc

    def count(self, sql: str, *args: object) -> int:
        with sqlite3.connect(self.db, timeout=30) as conn:
            return int(conn.execute(sql, args).fetchone()[0])

    def stop(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def wait_for(what: str, check: Callable[[], bool], proc: subprocess.Popen[bytes] | None) -> None:
    deadline = time.monotonic() + PATIENCE
    while not check():
        assert proc is None or proc.poll() is None, f"the worker died while waiting for {what}"
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    redis_dir, port = tmp_path / "redis", free_port()
    subprocess.run(
        [str(ROOT / "scripts" / "redis.sh"), "start", str(redis_dir), str(port)], check=True
    )
    sink = SmtpSink()
    sink.controller.start()
    d = Desk(tmp_path, port, sink)
    try:
        d.web(
            "from django.core.management import call_command; call_command('migrate', verbosity=0)"
        )
        yield d
    finally:
        d.stop()
        sink.controller.stop()
        subprocess.run([str(ROOT / "scripts" / "redis.sh"), "stop", str(redis_dir)], check=False)


SEED = """
from django.utils import timezone
from datetime import timedelta
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.tests.factories import AgentFactory, TeamFactory
team = TeamFactory(name="Billing", update_interval_hours=1)
agent = AgentFactory(teams=[team])
"""


def test_a_task_the_web_process_enqueues_is_done_by_the_worker(desk: Desk) -> None:
    worker = desk.worker()
    # The web side resolves a conversation; after the commit it only enqueues (Redis).
    pk = desk.web(
        SEED
        + """
from caredesk.conversations import services
c = make_conversation(customer=CustomerFactory(), team=team, subject="Printer jam")
services.conversation_resolve(conversation=c, agent=agent)
print(c.pk)
"""
    )
    wait_for(
        "the closing message",
        lambda: (
            desk.count(
                "select count(*) from conversations_event where kind='closing_sent' "
                "and conversation_id=?",
                int(pk),
            )
            == 1
        ),
        worker,
    )
    wait_for(
        "its mail",
        lambda: any(f"[#{pk}]" in s and s.startswith("Re:") for _, s in desk.sink.messages),
        worker,
    )
    assert desk.count("select count(*) from conversations_event where kind='closing_sent'") == 1


def test_a_worker_killed_mid_batch_sends_each_due_update_exactly_once(desk: Desk) -> None:
    ids = desk.web(
        SEED
        + f"""
at = timezone.now() - timedelta(hours=2)
customer = CustomerFactory()  # one customer, many problems: a login each would be slow to hash
ids = [make_conversation(customer=customer, team=team, subject=f"Order {{n}}", at=at).pk
       for n in range({UPDATES})]
print(",".join(map(str, ids)))
"""
    )
    convs = [int(i) for i in ids.split(",")]
    sent_sql = "select count(*) from conversations_event where kind='update_sent'"
    first = desk.worker()
    desk.web("from caredesk.care.loop_tasks import send_due_updates; send_due_updates()")
    wait_for("the batch to start", lambda: desk.count(sent_sql) >= 3, first)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    at_kill = desk.count(sent_sql)
    assert 0 < at_kill < UPDATES, "the worker was not killed in the middle of the batch"

    second = desk.worker()
    desk.web("from caredesk.care.loop_tasks import send_due_updates; send_due_updates()")
    wait_for("every update", lambda: desk.count(sent_sql) == UPDATES, second)
    # The safety net the worker runs every five minutes, now: an enqueue lost in the kill.
    desk.web(
        "from datetime import timedelta; from caredesk.channels.email import outbound; "
        "outbound.lost_deliveries_requeue(older_than=timedelta(0))"
    )
    desk.web("from caredesk.care.loop_tasks import send_due_updates; send_due_updates()")

    def mailed() -> Counter[int]:
        return Counter(
            c
            for c in convs
            for _, s in list(desk.sink.messages)
            if s.endswith(f"[#{c}]") and s.startswith("Re:")
        )

    wait_for("every update's mail", lambda: len(mailed()) == UPDATES, second)
    wait_for(
        "the queue to drain",
        lambda: (
            desk.count("select count(*) from conversations_message where delivery_status='queued'")
            == 0
        ),
        second,
    )
    per_conversation = Counter(
        row[0]
        for row in sqlite3.connect(desk.db).execute(
            "select conversation_id from conversations_event where kind='update_sent'"
        )
    )
    assert sorted(per_conversation) == sorted(convs)
    assert set(per_conversation.values()) == {1}
    assert set(mailed().values()) == {1}
