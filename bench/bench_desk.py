"""How fast the desk's busiest pages are on a large desk (run by hand, never in CI).

    .venv/bin/python bench/bench_desk.py                  # 100,000 conversations, fresh SQLite
    .venv/bin/python bench/bench_desk.py --size 20000     # smaller
    .venv/bin/python bench/bench_desk.py --reuse /tmp/caredesk-bench-XXXX   # skip generation
    .venv/bin/python bench/bench_desk.py --reuse /tmp/caredesk-bench-XXXX --only search  # pages

A fresh SQLite database in a temporary folder is filled with `demo_seed(fast=True)`; then the
demo agent and the lead open the queue, their own inbox and several conversations (the longest
histories among them) through Django's test client. Medians and 95th percentiles are printed in
milliseconds and as ratios to a trivial request measured in the same process (GET /login/), so
figures from different machines can be compared; the queries per page come from
CaptureQueriesContext, and `--explain` prints SQLite's plan for each page's slowest queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _setup(data_dir: Path) -> None:
    """Point Caredesk at the benchmark's data folder before Django reads its settings."""
    os.environ["CAREDESK_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "caredesk.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _generate(size: int, seed: int) -> float:
    from django.core.management import call_command

    from caredesk.demo.generator import demo_seed

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    summary = demo_seed(size=size, seed=seed, fast=True)
    seconds = time.perf_counter() - started
    print(summary)
    return seconds


def _timings(fn: Callable[[], Any], reps: int) -> list[float]:
    fn()  # warm caches (templates, the engine, SQLite pages) once, untimed
    out = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _pick_conversations() -> list[tuple[str, int]]:
    """A typical conversation and the ones with the longest histories, for the detail page."""
    from django.db.models import Count

    from caredesk.conversations.models import Conversation, EventKind

    qs = Conversation.objects.filter(merged_into__isnull=True)
    picks: list[tuple[str, int]] = []
    longest = qs.annotate(n=Count("events")).order_by("-n").values_list("pk", "n")[:2]
    picks += [(f"conversation, longest ({n} events)", pk) for pk, n in longest]
    transferred = (
        qs.filter(events__kind=EventKind.TRANSFERRED)
        .order_by("-created_at")
        .values_list("pk", flat=True)
        .first()
    )
    if transferred:
        picks.append(("conversation, transferred", transferred))
    busy_customer = (
        Conversation.objects.values("customer")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("customer", flat=True)
        .first()
    )
    frequent = (
        qs.filter(customer=busy_customer)
        .order_by("-created_at")
        .values_list("pk", flat=True)
        .first()
    )
    if frequent:
        picks.append(("conversation, most frequent customer", frequent))
    typical = qs.order_by("-created_at").values_list("pk", flat=True)[qs.count() // 2]
    picks.append(("conversation, typical", typical))
    return picks


def _explain(queries: list[dict[str, str]], top: int) -> None:
    from django.db import connection

    timed = [q for q in queries if float(q.get("time") or 0) >= 0.001]  # Django keeps ms only
    slowest = sorted(timed, key=lambda q: float(q["time"]), reverse=True)[:top]
    for q in slowest:
        sql = q["sql"]
        print(f"      {float(q['time']) * 1000:7.1f} ms  {sql[:300]}")
        if sql.lstrip().upper().startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                for row in cursor.fetchall():
                    print(f"                 plan: {row[-1]}")


def _bench(reps: int, explain: int, only: str = "") -> None:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from caredesk.demo.generator import AGENT_EMAIL, DEMO_PASSWORD, LEAD_EMAIL

    anonymous = Client()

    def select_one() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    login_ms = statistics.median(_timings(lambda: anonymous.get("/login/"), reps))
    select_ms = statistics.median(_timings(select_one, reps))
    print(
        f"\nBaseline: GET /login/ median {login_ms:.2f} ms; SELECT 1 median "
        f"{select_ms * 1000:.1f} µs. Ratios below are to GET /login/.\n"
    )
    print(f"{'who':5} {'page':46} {'median':>9} {'p90':>9} {'p95':>9} {'ratio':>7} {'queries':>8}")
    pages = [
        ("queue", reverse("desk:queue")),
        ("mine", reverse("desk:mine")),
        ("team", reverse("desk:team")),
        ("waiting", reverse("desk:waiting")),
    ]
    # Search (issue 12): a rare word, a common one and a prefix; and filtered, sorted views.
    search = reverse("desk:search")
    pages += [
        ("search: refund", f"{search}?q=refund"),
        ("search: order delivery", f"{search}?q=order+delivery"),
        ("search: passw (prefix)", f"{search}?q=passw"),
        ("search: account order (common, common prefix)", f"{search}?q=account+order"),
        ("search: m (one letter)", f"{search}?q=m"),
        # The API's `q` is complete (every match, a page at a time): its first page of 50.
        ("api: q=refund", "/api/conversations?q=refund"),
        ("api: q=order delivery", "/api/conversations?q=order+delivery"),
        ("queue, severity high", f"{reverse('desk:queue')}?severity=3"),
        ("team, waiting > 4h", f"{reverse('desk:team')}?waiting=4h&sort=oldest"),
        ("mine, by severity", f"{reverse('desk:mine')}?sort=severity"),
    ]
    if not only or not any(only in label for label, _url in pages):  # the picks take a while
        pages += [
            (label, reverse("desk:conversation", args=[pk])) for label, pk in _pick_conversations()
        ]
    pages = [(label, url) for label, url in pages if only in label]
    for who, email in (("agent", AGENT_EMAIL), ("lead", LEAD_EMAIL)):
        client = Client()
        # The login throttle (django-axes) needs a request, so the bench logs in through the form.
        landed = client.post("/login/", {"username": email, "password": DEMO_PASSWORD})
        assert landed.status_code == 302, (email, landed.status_code)
        for label, url in pages:
            if who == "lead" and label == "team":
                continue  # the lead is in no team; the page is empty by design
            response = client.get(url)
            if response.status_code != 200:
                print(f"{who:5} {label:46} HTTP {response.status_code} (skipped)")
                continue
            reset_queries()  # the log is a bounded deque; start empty so the count is this page's
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            queries = list(captured.captured_queries)  # a view of the log: copy it before reuse
            times = _timings(lambda c=client, u=url: c.get(u), reps)
            median = statistics.median(times)
            print(
                f"{who:5} {label:46} {median:7.1f}ms {_percentile(times, 0.9):7.1f}ms "
                f"{_percentile(times, 0.95):7.1f}ms "
                f"{median / login_ms:6.1f}x {len(queries):8d}"
            )
            if explain:
                _explain(queries, explain)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--reuse", type=Path, help="a data folder made by an earlier run")
    parser.add_argument(
        "--explain",
        type=int,
        default=0,
        metavar="N",
        help="print the N slowest queries of each page with their plans",
    )
    parser.add_argument("--only", default="", help="only the pages whose label holds this text")
    args = parser.parse_args()
    data_dir = args.reuse or Path(tempfile.mkdtemp(prefix="caredesk-bench-"))
    print(f"Data folder: {data_dir}")
    _setup(data_dir)
    if args.reuse is None:
        seconds = _generate(args.size, args.seed)
        print(
            f"Generated {args.size:,} conversations in {seconds:.0f} s "
            f"(reuse with --reuse {data_dir})"
        )
    from caredesk.conversations.models import Conversation

    print(
        f"Database: {Conversation.objects.count():,} conversations, "
        f"{(data_dir / 'caredesk.sqlite3').stat().st_size / 1e6:.0f} MB"
    )
    _bench(args.reps, args.explain, args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
