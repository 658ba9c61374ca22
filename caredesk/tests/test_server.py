"""The desk run for real: gunicorn, the Huey consumer and their supervisor, as separate processes.

Each test starts `caredesk web` or `caredesk serve` on a free port of 127.0.0.1 with its own data
folder and watches the processes through /proc. They run on SQLite only: the server code is the same
for both databases, and starting real servers is too slow to repeat for PostgreSQL.
"""

from __future__ import annotations

import fcntl
import http.client
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from caredesk.server import CONSUMER_LOCK, EXIT_CONSUMER_LOCKED, THREAD_VARS
from caredesk.tests.ports import free_port

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="real-server tests run in the SQLite pass only"
)
ROOT = Path(__file__).resolve().parent.parent.parent
CLI = [sys.executable, "-m", "caredesk.cli"]
WAIT_S = 90.0  # the most any step may take on a slow, busy machine before the test gives up


# --- Processes, seen through /proc --------------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    argv: tuple[str, ...]
    env: dict[str, str]


def _read_proc(pid: int) -> Proc | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state in ("Z", "X"):  # exited, not yet reaped: not running
            return None
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        raw_env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    env = dict(e.decode(errors="replace").partition("=")[::2] for e in raw_env if b"=" in e)
    return Proc(pid, int(ppid), tuple(a.decode(errors="replace") for a in argv if a), env)


def desk_processes(data_dir: Path) -> list[Proc]:
    """Every running process of the desk that works on `data_dir` (other desks run beside us)."""
    running = (_read_proc(int(e.name)) for e in Path("/proc").iterdir() if e.name.isdigit())
    return [
        p
        for p in running
        if p and p.env.get("CAREDESK_DATA_DIR") == str(data_dir) and "caredesk.cli" in p.argv
    ]


def is_consumer(proc: Proc) -> bool:
    return proc.argv[proc.argv.index("caredesk.cli") + 1 :][:1] == ("worker",)


def consumers(data_dir: Path) -> list[Proc]:
    return [p for p in desk_processes(data_dir) if is_consumer(p)]


def children_of(pid: int, data_dir: Path) -> set[int]:
    return {p.pid for p in desk_processes(data_dir) if p.ppid == pid}


def wait_until(what: str, condition: Callable[[], object]) -> None:
    """Poll until `condition` is true; a wait, not a timing claim: the limit only ends a hang."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


# --- A desk to run ------------------------------------------------------------------------------


def desk_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREDESK_")}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests in this process
    env.update(
        CAREDESK_DATA_DIR=str(data_dir),
        CAREDESK_WEB_WORKERS="2",
        CAREDESK_EMOTION_REFINE_ENGINE="",  # no model files needed
        CAREDESK_SMTPD=f"127.0.0.1:{free_port()}",  # `serve` starts the SMTP listener too
        PYTHONUNBUFFERED="1",
    )
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=WAIT_S
    )


def healthz(port: int) -> int | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/healthz")
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return None


@dataclass
class Desk:
    data_dir: Path
    env: dict[str, str]
    log: Path

    def start(self, command: str, port: int, *extra: str) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as log:
            process = subprocess.Popen(
                [*CLI, command, f"127.0.0.1:{port}", *extra],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(
            f"`caredesk {command}` to answer /healthz (log: {self.log})",
            lambda: process.poll() is not None or healthz(port) == 200,
        )
        assert process.poll() is None, self.log.read_text()[-3000:]
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=WAIT_S)
        wait_until("every process of the desk to end", lambda: not desk_processes(self.data_dir))


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """A migrated desk with one agent; its processes must all be gone once the tests are done."""
    data_dir = tmp_path_factory.mktemp("desk")
    env = desk_env(data_dir)
    migrated = cli(env, "manage", "migrate", "--no-input", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    made = cli(
        env,
        "manage",
        "shell",
        "-c",
        "from caredesk.people.services import agent_create; "
        "agent_create(email='agent@server.test', password='pw-server-test-1', name='Ada Agent')",
    )
    assert made.returncode == 0, made.stderr
    desk = Desk(data_dir, env, data_dir / "desk.log")
    yield desk
    wait_until("every process of the desk to end", lambda: not desk_processes(data_dir))


# --- Clients that hang up -----------------------------------------------------------------------


def _hang_up(port: int, request: bytes, read: int = 0) -> None:
    """Send `request`, read `read` bytes of the answer, then reset the connection (RST)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    # A small receive window makes the server block in the middle of writing a large answer.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(request)
    if read:
        sock.recv(read)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_clients_hanging_up_never_kill_or_stall_a_worker(desk: Desk) -> None:
    port = free_port()
    web = desk.start("web", port, "--workers", "2")
    try:
        workers = children_of(web.pid, desk.data_dir)
        assert len(workers) == 2
        host = f"Host: 127.0.0.1:{port}\r\n".encode()
        for _ in range(20):
            # A request cut off in its headers, and one cut off in its body.
            _hang_up(port, b"GET /healthz HTTP/1.1\r\n" + host)
            _hang_up(
                port,
                b"POST /api/analyze HTTP/1.1\r\n" + host + b"Content-Type: application/json\r\n"
                b"Content-Length: 5000\r\n\r\n" + b'{"text": "Still no',
            )
            # Hanging up while a large file (1.5 MB) and a large Django answer are being sent.
            _hang_up(
                port, b"GET /static/ninja/swagger-ui-bundle.js HTTP/1.1\r\n" + host + b"\r\n", 1
            )
            _hang_up(port, b"GET /api/openapi.json HTTP/1.1\r\n" + host + b"\r\n", 1)
        assert healthz(port) == 200
        assert web.poll() is None
        # The same worker processes: none died and none was replaced.
        assert children_of(web.pid, desk.data_dir) == workers
    finally:
        desk.stop(web)


# --- The supervisor -----------------------------------------------------------------------------


@dataclass
class Poster:
    """Clients posting new conversations through the API, keeping what was acknowledged."""

    port: int
    token: str
    acked: list[str]
    failed: int = 0

    def __post_init__(self) -> None:
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def post(self, text: str) -> None:
        body = json.dumps({"subject": "Power cut", "text": text, "customer_email": "c@server.test"})
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            conn.request(
                "POST",
                "/api/conversations",
                body,
                {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            )
            status = conn.getresponse().status
            conn.close()
        except OSError:
            status = 0
        with self.lock:
            if status == 201:
                self.acked.append(text)
            else:
                self.failed += 1
        if status != 201:
            time.sleep(0.05)

    def run(self, name: str) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            self.post(f"Message {name}-{n}: the lights are still out.")

    def count(self) -> int:
        with self.lock:
            return len(self.acked)


def stored_texts(desk: Desk) -> Counter[str]:
    script = (
        "import json; from caredesk.conversations.models import Message; "
        "print(json.dumps(list(Message.objects.values_list('text', flat=True))))"
    )
    out = cli(desk.env, "manage", "shell", "-c", script)
    assert out.returncode == 0, out.stderr
    return Counter(json.loads(out.stdout.strip().splitlines()[-1]))


def test_kill_9_of_the_supervisor_loses_no_acknowledged_message_and_leaves_no_orphan(
    desk: Desk,
) -> None:
    token = cli(desk.env, "token", "agent@server.test", "server test").stdout.strip()
    assert token
    port = free_port()
    serve = desk.start("serve", port)
    before = desk_processes(desk.data_dir)
    assert len([p for p in before if is_consumer(p)]) == 1
    poster = Poster(port, token, acked=[])
    threads = [threading.Thread(target=poster.run, args=(str(i),)) for i in range(4)]
    for t in threads:
        t.start()
    try:
        wait_until("20 acknowledged messages", lambda: poster.count() >= 20)
        serve.send_signal(signal.SIGKILL)
        serve.wait()
        # No orphan: every child of the killed supervisor goes, the consumer and gunicorn alike.
        gone = {p.pid for p in before}
        wait_until(
            "the killed supervisor's children to end",
            lambda: not gone & {p.pid for p in desk_processes(desk.data_dir)},
        )
        acked_before_restart = poster.count()
        serve = desk.start("serve", port)
        wait_until(
            "10 more acknowledged messages", lambda: poster.count() >= acked_before_restart + 10
        )
    finally:
        poster.stop.set()
        for t in threads:
            t.join()
    try:
        running = consumers(desk.data_dir)
        assert [p.ppid for p in running] == [serve.pid]
    finally:
        desk.stop(serve)
    stored = stored_texts(desk)
    assert poster.acked and len(set(poster.acked)) == len(poster.acked)
    assert {text: stored[text] for text in poster.acked} == dict.fromkeys(poster.acked, 1)
    assert max(stored.values()) == 1  # nothing unacknowledged was stored twice either


def test_supervisor_restarts_a_consumer_that_dies_and_a_second_consumer_is_refused(
    desk: Desk,
) -> None:
    port = free_port()
    serve = desk.start("serve", port)
    try:
        [first] = consumers(desk.data_dir)
        # The children run with the numerical libraries' thread counts set.
        assert all(first.env.get(name) == "1" for name in THREAD_VARS)
        # ... and at a lower CPU priority than the web server, which serves people first.
        assert os.getpriority(os.PRIO_PROCESS, first.pid) == min(
            19, os.getpriority(os.PRIO_PROCESS, serve.pid) + 10
        )
        os.kill(first.pid, signal.SIGKILL)
        wait_until(
            "a new consumer",
            lambda: [p.pid for p in consumers(desk.data_dir)] not in ([], [first.pid]),
        )
        [second] = consumers(desk.data_dir)
        assert second.ppid == serve.pid
        # The lock is taken before Django starts, so the refusal is immediate and says why.
        refused = cli(desk.env, "worker")
        assert refused.returncode == EXIT_CONSUMER_LOCKED
        assert f"another Huey consumer (pid {second.pid})" in refused.stderr
        assert [p.pid for p in consumers(desk.data_dir)] == [second.pid]
        assert healthz(port) == 200
    finally:
        desk.stop(serve)


def test_supervisor_gives_up_on_a_child_that_keeps_dying_and_says_which(desk: Desk) -> None:
    # Hold the consumer lock ourselves: every consumer the supervisor starts exits at once.
    fd = os.open(desk.data_dir / CONSUMER_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        port = free_port()
        out = subprocess.run(
            [*CLI, "serve", f"127.0.0.1:{port}"],
            env=desk.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=WAIT_S,
        )
    finally:
        os.close(fd)
    assert out.returncode == 1
    last_line = out.stderr.strip().splitlines()[-1]
    assert last_line.startswith("caredesk: the Huey consumer stopped 5 times within 60 s")
    assert "another consumer holds the queue's lock" in last_line
    assert "restarting it in 0.5 s" in out.stderr
    wait_until("the web server to end too", lambda: not desk_processes(desk.data_dir))


def test_serve_refuses_to_start_when_a_system_check_fails(tmp_path: Path) -> None:
    env = desk_env(tmp_path)
    env["CAREDESK_SECRET_KEY"] = secrets.token_urlsafe(60)
    # Settings that fail one of Django's own checks (staticfiles.E002).
    (tmp_path / "broken_settings.py").write_text(
        "from caredesk.settings import *  # noqa: F403\n"
        "STATICFILES_DIRS = [*STATICFILES_DIRS, STATIC_ROOT]  # noqa: F405\n"
    )
    env["PYTHONPATH"] = str(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "broken_settings"
    out = subprocess.run(
        [*CLI, "serve", f"127.0.0.1:{free_port()}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert out.returncode == 1
    assert "refusing to start, a system check failed" in out.stderr
    assert "staticfiles.E002" in out.stderr
    assert not (tmp_path / "caredesk.sqlite3").exists()  # refused before migrating
