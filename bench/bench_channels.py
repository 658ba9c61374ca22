"""Inbound messages a second by SMTP and the API, beside raw inserts (by hand, never in CI).

    .venv/bin/python bench/bench_channels.py                    # SQLite, 8 clients, 60 s a channel
    .venv/bin/python bench/bench_channels.py --db postgres      # a throwaway PostgreSQL server
    .venv/bin/python bench/bench_channels.py --db both --duration 20 --clients 4
    .venv/bin/python bench/bench_channels.py --refine           # the background refine engine on

The desk is started as the README starts it in production: `caredesk serve` on a fresh data folder
(checks, migrations, gunicorn, one Huey consumer and the `caredesk smtpd` listener, here on free
ports). Each customer message is read by the fast emotion engine on arrival, as in production; the
background refine engine (minilm) is OFF unless `--refine`, so the figures are the channels' own
cost, not the model's (bench_emotion measures that).

Then, one channel at a time, closed-loop clients (each sends its next message when the last is
acknowledged) write as customers:
  SMTP: smtplib clients, one connection each, sending new mails and replies (In-Reply-To) to
        support@demo.caredesk.test; a mail counts when the listener answers 250, which it does
        only once the mail is committed. A new conversation comes from a new sender, so no sender
        passes the listener's flood limit.
  API:  HTTP clients, one verified customer and bearer token each, POSTing /api/conversations and
        /api/conversations/{id}/messages; a message counts on 201.
Every message carries a unique marker. After the server stops, the database is read with its
driver: an acknowledged marker missing or stored twice is reported. Then the same rows (each
channel's conversation, message and event rows) are inserted again with the driver alone
(sqlite3 / psycopg executemany into the same schema): once in one transaction, and once with a
commit per conversation (the floor for a server that acknowledges only what is committed).

Printed per database and channel: messages acknowledged and their rate, p50/p95 latency, errors,
lost and doubled, the raw insert rates and the ratio raw / channel; and the issue's target: at
least 100 inbound messages/s through the API on SQLite.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import smtplib
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from functools import partial
from pathlib import Path
from typing import Any

from benchkit import free_port, pct, stop_server, throwaway_postgres

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DESK = "support@demo.caredesk.test"
API_TARGET = 100.0  # inbound messages/s through the API on SQLite (issue 9)
REPLIES_PER_CONVERSATION = 5  # then a new conversation (by mail: from a new sender)
MARKER = re.compile(r"\[(smtp|api) \d+\]")
PASSWORD = "bench channels passphrase 7"
TABLES = ("conversations_conversation", "conversations_message", "conversations_event")
JSON_COLUMNS = {"signals", "reading", "findings", "data"}


@dataclass
class Channel:
    """What the clients of one channel saw: acknowledgements (time, latency), refusals, markers."""

    name: str
    acks: list[tuple[float, float]] = field(default_factory=list)  # (answered at, ms)
    refused: Counter[str] = field(default_factory=Counter)
    acked: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _n: int = 0

    def marker(self) -> str:
        with self.lock:
            self._n += 1
            return f"[{self.name} {self._n}]"

    def ack(self, marker: str, started: float) -> None:
        now = time.monotonic()
        with self.lock:
            self.acks.append((now, (now - started) * 1000))
            self.acked.add(marker)

    def refuse(self, reason: str) -> None:
        with self.lock:
            self.refused[reason[:80]] += 1


# --- The clients ---------------------------------------------------------------------------------


def smtp_client(port: int, ch: Channel, stop: threading.Event, k: int, tag: str) -> None:
    """One sending server: new mails from a new sender, then replies threaded by In-Reply-To."""
    smtp: smtplib.SMTP | None = None
    n = 0
    sender, subject, previous = "", "", ""
    while not stop.is_set():
        if n % REPLIES_PER_CONVERSATION == 0:
            sender = f"c{k}-{n}-{tag}@bench.caredesk.test"
            subject, previous = f"Bench order {k}-{n}", ""
        n += 1
        marker = ch.marker()
        mail = EmailMessage()
        mail["From"] = f"Bench Customer <{sender}>"
        mail["To"] = DESK
        mail["Subject"] = f"Re: {subject}" if previous else subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = f"<{uuid.uuid4().hex}@bench.caredesk.test>"
        if previous:
            mail["In-Reply-To"] = mail["References"] = previous
        mail.set_content(f"{marker} My parcel has not arrived and I am getting worried about it.")
        started = time.monotonic()
        try:
            if smtp is None:
                smtp = smtplib.SMTP("127.0.0.1", port, timeout=60)
            smtp.send_message(mail, from_addr=sender, to_addrs=[DESK])
        except smtplib.SMTPResponseException as exc:
            ch.refuse(f"{exc.smtp_code} {exc.smtp_error!r}")
            continue
        except (OSError, smtplib.SMTPException) as exc:
            ch.refuse(type(exc).__name__)
            smtp = None  # a fresh connection next time
            continue
        ch.ack(marker, started)
        previous = str(mail["Message-ID"])
    if smtp is not None:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()


def api_client(port: int, token: str, ch: Channel, stop: threading.Event) -> None:
    """One API customer: a new conversation, then replies to it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    n, pk = 0, 0
    while not stop.is_set():
        marker = ch.marker()
        if pk == 0 or n % REPLIES_PER_CONVERSATION == 0:
            path = "/api/conversations"
            payload = {"subject": f"Bench {marker}", "text": f"{marker} The invoice is wrong."}
        else:
            path = f"/api/conversations/{pk}/messages"
            payload = {"text": f"{marker} Any update? I still wait for the corrected invoice."}
        started = time.monotonic()
        try:
            conn.request("POST", path, body=json.dumps(payload).encode(), headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            ch.refuse(type(exc).__name__)
            continue
        if response.status != 201:
            ch.refuse(f"{response.status} {data[:60]!r}")
            continue
        ch.ack(marker, started)
        if path == "/api/conversations":
            pk = json.loads(data)["id"]
        n += 1


def drive(
    ch: Channel, clients: list[Callable[[threading.Event], None]], args: argparse.Namespace
) -> tuple[float, float]:
    """Run the clients through the warm-up and the measured window; answer that window."""
    stop = threading.Event()
    threads = [threading.Thread(target=c, args=(stop,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    time.sleep(args.warmup)  # each process loads its engine and templates once, untimed
    start = time.monotonic()
    time.sleep(args.duration)
    end = time.monotonic()
    stop.set()
    for t in threads:
        t.join(timeout=120)
    return start, end


# --- The server ----------------------------------------------------------------------------------


def wait_ready(web: int, smtp: int, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited during start-up; see its log")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", web, timeout=5)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                with smtplib.SMTP("127.0.0.1", smtp, timeout=5) as probe:
                    probe.ehlo()
                return
        except (OSError, smtplib.SMTPException):
            pass
        time.sleep(1)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s")


SETUP = """
from caredesk.customers.services import customer_email_verify, customer_signup
from caredesk.people.services import api_token_create
for i in range({n}):
    email = f"api{{i}}@bench.caredesk.test"
    out = customer_signup(email=email, password={password!r}, name=f"Bench Customer {{i}}")
    customer_email_verify(user=out.user)
    print("token", api_token_create(email=email, name="bench"))
"""


def customers_with_tokens(n: int, env: dict[str, str]) -> list[str]:
    """N verified customers with a portal login, made through the services; a token each."""
    done = subprocess.run(
        [PY, "-m", "caredesk.cli", "manage", "shell", "-c", SETUP.format(n=n, password=PASSWORD)],
        env=env,
        cwd=ROOT,
        text=True,
        capture_output=True,
        check=True,
    )
    tokens = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("token ")]
    if len(tokens) != n:
        raise RuntimeError(f"expected {n} tokens, got: {done.stdout!r} {done.stderr!r}")
    return tokens


def run_one(db: str, args: argparse.Namespace) -> bool:
    work = Path(tempfile.mkdtemp(prefix=f"caredesk-channels-{db}-"))
    web, smtp = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CAREDESK_REDIS_URL")}
    env.update(
        CAREDESK_DATA_DIR=str(work / "data"),
        DJANGO_SETTINGS_MODULE="caredesk.settings",
        CAREDESK_SMTPD=f"127.0.0.1:{smtp}",
        CAREDESK_DESK_ADDRESSES=DESK,
        # Mail the desk sends (none is expected here) lands in a folder, never on port 25.
        CAREDESK_DEMO_MAILBOX=str(work / "mailbox"),
        CAREDESK_EMOTION_REFINE_ENGINE="minilm" if args.refine else "",
    )
    with contextlib.ExitStack() as stack:
        if db == "postgres":
            env["DATABASE_URL"] = stack.enter_context(throwaway_postgres("caredesk-channels-pg-"))
        return serve(db, env, work, web, smtp, args)


def serve(
    db: str, env: dict[str, str], work: Path, web: int, smtp: int, args: argparse.Namespace
) -> bool:
    """`caredesk serve` with its listener on their own ports, driven channel by channel."""
    log = work / "server.log"
    print(f"\n== {db}: starting `caredesk serve 127.0.0.1:{web}`, smtpd on {smtp} (log {log})")
    server = subprocess.Popen(  # its own process group, so its children stop with it
        [PY, "-m", "caredesk.cli", "serve", f"127.0.0.1:{web}"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stopped = False
    try:
        wait_ready(web, smtp, server, timeout=600)
        tokens = customers_with_tokens(args.clients, env)
        tag = uuid.uuid4().hex[:6]
        windows: dict[str, tuple[float, float]] = {}
        mail, api = Channel("smtp"), Channel("api")
        print(f"== {db}: SMTP, {args.clients} clients, {args.warmup:.0f} s warm-up", flush=True)
        windows["smtp"] = drive(
            mail,
            [partial(smtp_client, smtp, mail, k=k, tag=tag) for k in range(args.clients)],
            args,
        )
        print(f"== {db}: API, {args.clients} clients, {args.warmup:.0f} s warm-up", flush=True)
        windows["api"] = drive(api, [partial(api_client, web, t, api) for t in tokens], args)
        stop_server(server)
        stopped = True
        with connect(db, env) as conn:
            stored = stored_markers(conn)
            raw = {
                "smtp": raw_rates(conn, db, "email"),
                "api": raw_rates(conn, db, "api"),
            }
        locked = log.read_text(errors="replace").count("database is locked")
        return report(db, args, (mail, api), windows, stored, raw, locked)
    finally:
        if not stopped:
            stop_server(server)
        shutil.rmtree(work / "data", ignore_errors=True)  # the log stays, for a look afterwards


# --- The database, through its driver ------------------------------------------------------------


class Db:
    """A driver connection and its parameter style: sqlite3 (`?`) or psycopg (`%s`)."""

    def __init__(self, db: str, env: dict[str, str]) -> None:
        self.kind = db
        if db == "postgres":
            import psycopg

            self.conn: Any = psycopg.connect(env["DATABASE_URL"])
            self.ph = "%s"
        else:
            self.conn = sqlite3.connect(
                Path(env["CAREDESK_DATA_DIR"]) / "caredesk.sqlite3", timeout=20
            )
            # The server's own settings (caredesk/settings.py), so the raw rate is comparable.
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.ph = "?"

    def __enter__(self) -> Db:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

    def select(self, sql: str, params: Iterable[Any] = ()) -> tuple[list[str], list[list[Any]]]:
        cur = self.conn.cursor()
        cur.execute(sql.replace("?", self.ph), tuple(params))
        columns = [d[0] for d in cur.description]
        rows = [list(r) for r in cur.fetchall()]
        self.conn.commit()
        return columns, rows

    def insert(self, table: str, columns: list[str], rows: list[list[Any]]) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        marks = ", ".join([self.ph] * len(columns))
        cur = self.conn.cursor()
        cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def value(self, column: str, value: Any) -> Any:
        """psycopg answers JSON columns as Python objects; they go back in as JSON."""
        if self.kind == "postgres" and column in JSON_COLUMNS and value is not None:
            from psycopg.types.json import Jsonb

            return Jsonb(value)
        return value


def connect(db: str, env: dict[str, str]) -> Db:
    return Db(db, env)


def stored_markers(conn: Db) -> Counter[str]:
    _, rows = conn.select("SELECT text FROM conversations_message WHERE direction = 'inbound'")
    found: Counter[str] = Counter()
    for (text,) in rows:
        found.update(m.group(0) for m in MARKER.finditer(text))
    return found


@dataclass
class Raw:
    messages: int
    batched_s: float
    per_conversation_s: float


def raw_rates(conn: Db, db: str, channel: str) -> Raw:
    """Insert a channel's conversation, message and event rows again, with new ids: once in one
    transaction, once with a commit per conversation. Reading them is not timed."""
    ccols, convs = conn.select(
        "SELECT * FROM conversations_conversation WHERE channel = ?", [channel]
    )
    ids = [row[ccols.index("id")] for row in convs]
    if not ids:
        return Raw(0, float("nan"), float("nan"))
    where = "conversation_id IN (SELECT id FROM conversations_conversation WHERE channel = ?)"
    mcols, msgs = conn.select(f"SELECT * FROM conversations_message WHERE {where}", [channel])
    ecols, events = conn.select(f"SELECT * FROM conversations_event WHERE {where}", [channel])

    def copies() -> list[tuple[list[list[Any]], list[list[Any]], list[list[Any]]]]:
        """Rows grouped by conversation, ids moved past every id in each table."""
        offsets = [conn.select(f"SELECT MAX(id) FROM {t}")[1][0][0] for t in TABLES]
        by_conv: dict[int, tuple[list[list[Any]], list[list[Any]], list[list[Any]]]] = {}
        for row in convs:
            moved = [conn.value(c, v) for c, v in zip(ccols, row, strict=True)]
            moved[ccols.index("id")] += offsets[0]
            by_conv[row[ccols.index("id")]] = ([moved], [], [])
        for table, (cols, rows) in enumerate(((mcols, msgs), (ecols, events)), start=1):
            for row in rows:
                moved = [conn.value(c, v) for c, v in zip(cols, row, strict=True)]
                moved[cols.index("id")] += offsets[table]
                moved[cols.index("conversation_id")] += offsets[0]
                by_conv[row[cols.index("conversation_id")]][table].append(moved)
        return list(by_conv.values())

    groups = copies()
    started = time.perf_counter()
    for table, cols in enumerate((ccols, mcols, ecols)):
        conn.insert(TABLES[table], cols, [r for g in groups for r in g[table]])
    conn.conn.commit()
    batched = time.perf_counter() - started
    groups = copies()
    started = time.perf_counter()
    for g in groups:
        for table, cols in enumerate((ccols, mcols, ecols)):
            conn.insert(TABLES[table], cols, g[table])
        conn.conn.commit()
    per_conversation = time.perf_counter() - started
    return Raw(len(msgs), batched, per_conversation)


# --- The report ----------------------------------------------------------------------------------


def report(
    db: str,
    args: argparse.Namespace,
    channels: tuple[Channel, Channel],
    windows: dict[str, tuple[float, float]],
    stored: Counter[str],
    raw: dict[str, Raw],
    locked: int,
) -> bool:
    refine = "on (minilm in the worker)" if args.refine else "off"
    load = os.getloadavg()[0]
    print(
        f"\n{db}: {args.clients} clients a channel, {args.duration:.0f} s each; every message read "
        f"by the fast emotion engine on arrival, refine engine {refine}; load average {load:.1f}"
    )
    head = ("acked", "msg/s", "p50 ms", "p95 ms", "raw 1 tx", "ratio", "raw tx/conv", "ratio")
    print(f"  {'channel':8}" + "".join(f"{h:>12}" for h in head))
    verdicts: list[tuple[str, bool]] = []
    rates: dict[str, float] = {}
    for ch in channels:
        start, end = windows[ch.name]
        inside = [ms for at, ms in ch.acks if start <= at < end]
        rate = rates[ch.name] = len(inside) / (end - start)
        r = raw[ch.name]
        batched = r.messages / r.batched_s if r.messages else float("nan")
        per_conv = r.messages / r.per_conversation_s if r.messages else float("nan")
        cells = (
            f"{len(inside)}",
            f"{rate:.1f}",
            f"{pct(inside, 0.5):.0f}",
            f"{pct(inside, 0.95):.0f}",
            f"{batched:,.0f}",
            f"{batched / rate:,.0f}x" if rate else "-",
            f"{per_conv:,.0f}",
            f"{per_conv / rate:,.1f}x" if rate else "-",
        )
        print(f"  {ch.name.upper():8}" + "".join(f"{c:>12}" for c in cells))
        lost = [m for m in ch.acked if stored[m] == 0]
        doubled = [m for m in ch.acked if stored[m] > 1]
        print(
            f"    {len(ch.acked)} acknowledged in all (warm-up included); lost {len(lost)}, "
            f"stored twice {len(doubled)}; raw rows copied for {r.messages} messages; "
            f"refused: {dict(ch.refused) or 'none'}"
        )
        verdicts.append(
            (f"{ch.name}: nothing acknowledged lost or doubled", not lost and not doubled)
        )
        verdicts.append((f"{ch.name}: every message acknowledged", not ch.refused))
    print("  (raw: the same conversation, message and event rows inserted with the driver alone;")
    print("   ratio: raw rate / channel rate)")
    print(f"  'database is locked' in the server log: {locked}")
    verdicts.append(("no 'database is locked'", locked == 0))
    if db == "sqlite":
        verdicts.append(
            (
                f"API >= {API_TARGET:.0f} messages/s on SQLite ({rates['api']:.1f})",
                rates["api"] >= API_TARGET,
            )
        )
    for text, ok in verdicts:
        print(f"  {'ok  ' if ok else 'MISS'} {text}")
    return all(ok for _, ok in verdicts)


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Inbound messages per second through SMTP and the API (see the docstring)."
    )
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--duration", type=float, default=60, help="measured seconds a channel")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--warmup", type=float, default=10, help="untimed seconds first (10)")
    parser.add_argument(
        "--refine", action="store_true", help="keep the background refine engine (minilm) on"
    )
    args = parser.parse_args()
    if args.clients < 1:
        parser.error("--clients must be 1 or more")
    dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results = [run_one(db, args) for db in dbs]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
