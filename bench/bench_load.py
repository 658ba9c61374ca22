"""A real server under load: does it stay correct and fast? (run by hand, never in CI)

    .venv/bin/python bench/bench_load.py                        # SQLite, 20 clients, 120 s
    .venv/bin/python bench/bench_load.py --db postgres          # a throwaway PostgreSQL server
    .venv/bin/python bench/bench_load.py --db both --duration 30 --clients 10

The server is started as the README starts it: `caredesk demo` on a fresh data folder (checks,
migrations, the demo desk, gunicorn and one background worker that refines every new message).
Closed-loop clients (each sends its next request when the last is answered) then mix customers on
the portal (logged in, opening conversations and replying through the form with its CSRF token),
customers on the API (opening conversations and writing to them with a bearer token) and agents
reading the inbox and conversation pages; one more client asks for GET /login/ five times a second
as the baseline, so every route's latency is also shown as a ratio to a trivial page under the
same load. Every write carries a unique marker; at the end each conversation written to is read
back through the API, so a message acknowledged but not stored, or stored twice, is counted.

Printed: requests and their rate, 5xx, "database is locked" (in responses and in the server's
output), acknowledged against stored, p50/p95/p99 per route, and the issue's targets: no 5xx,
nothing lost, p95 under 500 ms for reads and under 1 s for writes.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchkit import free_port, pct, stop_server, throwaway_postgres

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PASSWORD = "caredesk-demo"
CUSTOMER = "customer@demo.caredesk.test"
AGENT = "agent@demo.caredesk.test"
LEAD = "lead@demo.caredesk.test"
BASELINE = "baseline GET /login/"
READS = ("portal page", "inbox", "conversation page", BASELINE)
WRITES = ("portal create", "portal reply", "api create", "api message")
READ_P95_MS, WRITE_P95_MS = 500.0, 1000.0
REPLIES_PER_CONVERSATION = 10  # then a client opens a new one: histories stay believable
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LOCKED = "database is locked"


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[int] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)
    locked_responses: int = 0
    acked: dict[str, int] = field(default_factory=dict)  # marker -> conversation
    # Latencies count from here (after the warm-up); statuses and acknowledgements always count.
    measure_from: float = float("inf")
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(
        self, route: str, status: int, ms: float, body: bytes, expected: tuple[int, ...]
    ) -> None:
        with self.lock:
            if time.monotonic() - ms / 1000 >= self.measure_from:
                self.latencies[route].append(ms)
            self.statuses[status] += 1
            if status not in expected:
                self.unexpected[f"{route} -> {status}"] += 1
            if LOCKED.encode() in body:
                self.locked_responses += 1

    def ack(self, marker: str, conversation: int) -> None:
        with self.lock:
            self.acked[marker] = conversation


class Session:
    """One browser or API client: its own connection and cookie jar, nothing shared."""

    def __init__(self, port: int, stats: Stats, token: str = "") -> None:
        self.port, self.stats, self.token = port, stats, token
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(
        self,
        route: str,
        method: str,
        path: str,
        expected: tuple[int, ...],
        body: bytes | None = None,
        ctype: str = "",
    ) -> tuple[int, dict[str, str], bytes]:
        headers = (
            {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            if self.cookies
            else {}
        )
        if ctype:
            headers["Content-Type"] = ctype
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # a fresh connection next time; this request counts as failed
            self.stats.record(route, 0, (time.perf_counter() - started) * 1000, b"", expected)
            return 0, {}, b""
        ms = (time.perf_counter() - started) * 1000
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                for key, morsel in SimpleCookie(value).items():
                    self.cookies[key] = morsel.value
        self.stats.record(route, response.status, ms, data, expected)
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def get(self, route: str, path: str) -> tuple[int, bytes]:
        status, _, data = self.send(route, "GET", path, (200,))
        return status, data

    def post_form(
        self, route: str, path: str, fields: dict[str, str], csrf: str
    ) -> tuple[int, str]:
        body = urlencode({**fields, "csrfmiddlewaretoken": csrf}).encode()
        status, headers, _ = self.send(
            route, "POST", path, (302,), body, "application/x-www-form-urlencoded"
        )
        return status, headers.get("location", "")

    def post_json(self, route: str, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
        status, _, data = self.send(
            route, "POST", path, (201,), json.dumps(payload).encode(), "application/json"
        )
        return status, json.loads(data) if status == 201 else None

    def login(self, email: str) -> None:
        status, _, page = self.send("login", "GET", "/login/", (200,))
        csrf = _csrf(page)
        status, _ = self.post_form(
            "login", "/login/", {"username": email, "password": PASSWORD}, csrf
        )
        if status != 302:
            raise RuntimeError(f"could not log in as {email}: {status}")


def _csrf(page: bytes) -> str:
    match = CSRF_FIELD.search(page.decode(errors="replace"))
    return match.group(1) if match else ""


class Markers:
    def __init__(self) -> None:
        self._n = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            self._n += 1
            return f"[load {self._n}]"


def portal_customer(s: Session, stop: threading.Event, markers: Markers) -> None:
    s.login(CUSTOMER)
    pk = 0
    n = 0
    while not stop.is_set():
        if pk == 0 or n % REPLIES_PER_CONVERSATION == 0:
            _, page = s.get("portal page", "/portal/new/")
            marker = markers.next()
            fields = {
                "subject": f"Load test {marker}",
                "text": f"{marker} My parcel has not arrived.",
            }
            status, location = s.post_form("portal create", "/portal/new/", fields, _csrf(page))
            found = re.search(r"/portal/c/(\d+)/", location)
            if status != 302 or not found:
                continue
            pk = int(found.group(1))
            s.stats.ack(marker, pk)
        n += 1
        _, page = s.get("portal page", f"/portal/c/{pk}/")
        marker = markers.next()
        text = f"{marker} Any news? I have waited for days and I am getting really frustrated."
        status, _ = s.post_form("portal reply", f"/portal/c/{pk}/", {"text": text}, _csrf(page))
        if status == 302:
            s.stats.ack(marker, pk)


def api_customer(s: Session, stop: threading.Event, markers: Markers) -> None:
    pk = 0
    n = 0
    while not stop.is_set():
        marker = markers.next()
        if pk == 0 or n % REPLIES_PER_CONVERSATION == 0:
            payload = {"subject": f"API load {marker}", "text": f"{marker} The invoice is wrong."}
            status, data = s.post_json("api create", "/api/conversations", payload)
            if status == 201:
                pk = data["id"]
                s.stats.ack(marker, pk)
        else:
            text = (
                f"{marker} Still wrong; I will post this on twitter."
                if n % 7 == 3
                else f"{marker} Any update?"
            )
            status, _ = s.post_json(
                "api message", f"/api/conversations/{pk}/messages", {"text": text}
            )
            if status == 201:
                s.stats.ack(marker, pk)
        n += 1


def agent(s: Session, stop: threading.Event, conversations: list[int]) -> None:
    s.login(AGENT)
    inboxes = ("/desk/", "/desk/mine/", "/desk/team/", "/desk/waiting/")
    while not stop.is_set():
        s.get("inbox", random.choice(inboxes))
        s.get("conversation page", f"/desk/c/{random.choice(conversations)}/")


def baseline(s: Session, stop: threading.Event) -> None:
    while not stop.is_set():
        s.get(BASELINE, "/login/")
        stop.wait(0.2)


# --- The server ---------------------------------------------------------------------------------


def caredesk(
    args: list[str], env: dict[str, str], **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "caredesk.cli", *args],
        env=env,
        cwd=ROOT,
        text=True,
        capture_output=True,
        check=True,
        **kwargs,
    )


def wait_ready(port: int, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited during start-up; see its log")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s")


def stored_markers(port: int, token: str, conversations: set[int]) -> tuple[Counter[str], int, int]:
    """Every marker stored in the conversations written to, and how many inbound messages the
    refine engine has read again by now (of how many)."""
    s = Session(port, Stats(), token)
    found: Counter[str] = Counter()
    refined = inbound = 0
    for pk in sorted(conversations):
        status, data = s.send("verify", "GET", f"/api/conversations/{pk}", (200,))[::2]
        if status != 200:
            raise RuntimeError(f"could not read conversation {pk} back: {status}")
        detail = json.loads(data)
        for m in detail["messages"]:
            found.update(re.findall(r"\[load \d+\]", m["text"]))
            if m["direction"] == "inbound":
                inbound += 1
                refined += (m.get("reading") or {}).get("engine") == "minilm"
    return found, refined, inbound


def _client(
    kind: str, s: Session, stop: threading.Event, markers: Markers, conversations: list[int]
) -> Callable[[], None]:
    """What one client thread does, by kind."""
    if kind == "portal":
        return lambda: portal_customer(s, stop, markers)
    if kind == "api":
        return lambda: api_customer(s, stop, markers)
    if kind == "agent":
        return lambda: agent(s, stop, conversations)
    return lambda: baseline(s, stop)


def run_one(db: str, args: argparse.Namespace) -> bool:
    work = Path(tempfile.mkdtemp(prefix=f"caredesk-load-{db}-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CAREDESK_REDIS_URL")}
    env.update(CAREDESK_DATA_DIR=str(work / "data"), DJANGO_SETTINGS_MODULE="caredesk.settings")
    with contextlib.ExitStack() as stack:
        if db == "postgres":
            env["DATABASE_URL"] = stack.enter_context(throwaway_postgres("caredesk-load-pg-"))
        return serve(db, env, work, args)


def serve(db: str, env: dict[str, str], work: Path, args: argparse.Namespace) -> bool:
    """`caredesk demo` on its own port, loaded, then stopped."""
    port = free_port()
    log = work / "server.log"
    print(f"\n== {db}: starting `caredesk demo 127.0.0.1:{port}` (log {log})", flush=True)
    server = subprocess.Popen(  # its own process group, so its children stop with it
        [PY, "-m", "caredesk.cli", "demo", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_ready(port, server, timeout=600)
        return load(db, port, env, log, args)
    finally:
        stop_server(server)


def load(db: str, port: int, env: dict[str, str], log: Path, args: argparse.Namespace) -> bool:
    customer_token = caredesk(["token", CUSTOMER, "load"], env).stdout.strip()
    lead_token = caredesk(["token", LEAD, "load"], env).stdout.strip()
    listing = Session(port, Stats(), lead_token)
    _, _, data = listing.send("list", "GET", "/api/conversations?limit=200", (200,))
    conversations = [c["id"] for c in json.loads(data)]
    stats, stop, markers = Stats(), threading.Event(), Markers()
    roles: list[Callable[[], None]] = []
    for k in range(args.clients):
        kind = ("portal", "api", "agent", "agent")[k % 4]
        token = customer_token if kind == "api" else ""
        roles.append(_client(kind, Session(port, stats, token), stop, markers, conversations))
    roles.append(_client("baseline", Session(port, stats), stop, markers, conversations))
    threads = [threading.Thread(target=role, daemon=True) for role in roles]
    print(f"== {db}: {args.clients} clients, {args.warmup:.0f} s warm-up", flush=True)
    for t in threads:
        t.start()
    time.sleep(args.warmup)  # every process loads its engines and templates once, untimed
    started = stats.measure_from = time.monotonic()
    load_before = os.getloadavg()[0]
    print(f"== {db}: measuring for {args.duration:.0f} s", flush=True)
    time.sleep(args.duration)
    load_after = os.getloadavg()[0]
    stop.set()
    for t in threads:
        t.join(timeout=120)
    elapsed = time.monotonic() - started
    print(f"   machine load average {load_before:.1f} at the start, {load_after:.1f} at the end")
    stored, refined, inbound = stored_markers(port, lead_token, set(stats.acked.values()))
    return report(
        db, args, stats, stored, elapsed, log.read_text(errors="replace"), (refined, inbound)
    )


def report(
    db: str,
    args: argparse.Namespace,
    stats: Stats,
    stored: Counter[str],
    elapsed: float,
    server_log: str,
    refine: tuple[int, int],
) -> bool:
    requests = sum(len(v) for k, v in stats.latencies.items() if k != "login")  # measured only
    errors_5xx = sum(n for status, n in stats.statuses.items() if status >= 500)
    failed = sum(n for status, n in stats.statuses.items() if status == 0)
    locked_log = server_log.count(LOCKED)
    lost = [m for m in stats.acked if stored[m] == 0]
    doubled = [m for m, n in stored.items() if n > 1]
    unacked = [m for m in stored if m not in stats.acked]
    rate = requests / elapsed
    print(f"\n{db}: {args.clients} clients, {elapsed:.0f} s, {requests} requests ({rate:.0f}/s)")
    print(f"  5xx: {errors_5xx}   no answer: {failed}")
    print(f"  '{LOCKED}': {stats.locked_responses} in responses, {locked_log} in the server log")
    print(f"  unexpected statuses: {dict(stats.unexpected) or 'none'}")
    kept = sum(1 for m in stored if m in stats.acked)
    print(f"  writes acknowledged: {len(stats.acked)}   stored: {kept}   lost: {len(lost)}")
    print(f"  stored twice: {len(doubled)}   stored but not acknowledged: {len(unacked)}")
    print(f"  refined by the end: {refine[0]} of {refine[1]} inbound messages written to")
    base = pct(stats.latencies[BASELINE], 0.5)
    head = ("n", "p50 ms", "p95 ms", "p99 ms", "p50/base", "p95/base")
    print(f"  {'route':22}" + "".join(f"{h:>9}" for h in head))
    for route in (*READS, *WRITES):
        values = stats.latencies.get(route, [])
        if values:
            p50, p95, p99 = pct(values, 0.5), pct(values, 0.95), pct(values, 0.99)
            cells = (
                f"{len(values)}",
                *(f"{v:.1f}" for v in (p50, p95, p99, p50 / base, p95 / base)),
            )
            print(f"  {route:22}" + "".join(f"{c:>9}" for c in cells))
    worst_read = max((pct(stats.latencies[r], 0.95), r) for r in READS if stats.latencies.get(r))
    worst_write = max((pct(stats.latencies[r], 0.95), r) for r in WRITES if stats.latencies.get(r))
    verdicts = [
        ("no 5xx", errors_5xx == 0 and failed == 0),
        (f"no '{LOCKED}'", stats.locked_responses == 0 and locked_log == 0),
        ("nothing lost or doubled", not lost and not doubled),
        (
            f"reads p95 < {READ_P95_MS:.0f} ms (worst: {worst_read[1]} {worst_read[0]:.0f} ms)",
            worst_read[0] < READ_P95_MS,
        ),
        (
            f"writes p95 < {WRITE_P95_MS:.0f} ms (worst: {worst_write[1]} {worst_write[0]:.0f} ms)",
            worst_write[0] < WRITE_P95_MS,
        ),
    ]
    for text, ok in verdicts:
        print(f"  {'ok  ' if ok else 'MISS'} {text}")
    return all(ok for _, ok in verdicts)


def main() -> int:
    parser = argparse.ArgumentParser(
        description="A real server under load (see the module's docstring)."
    )
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--duration", type=float, default=120, help="seconds of load (default 120)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--warmup", type=float, default=15, help="untimed seconds first (15)")
    args = parser.parse_args()
    dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results = [run_one(db, args) for db in dbs]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
