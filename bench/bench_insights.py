"""How fast the insights pages answer on a generated desk (run by hand, never in CI).

    .venv/bin/python bench/bench_insights.py                        # 20,000 conversations, SQLite
    .venv/bin/python bench/bench_insights.py --size 100000 --reps 20
    .venv/bin/python bench/bench_insights.py --postgres             # a throwaway PostgreSQL
    .venv/bin/python bench/bench_insights.py --reuse /tmp/caredesk-insights-XXXX
    .venv/bin/python bench/bench_insights.py --postgres --keep --size 1000000  # server left up
    .venv/bin/python bench/bench_insights.py --reuse DIR --database-url URL    # ...and reused

A desk is generated with the demo's bulk path (`demo_seed(fast=True)`, which ends with the
rollup rebuild); the rebuild is then timed once more on its own (`caredesk insights rebuild`'s
function). Then, through Django's test client as the demo lead: the dashboard (90 days by week,
and a year by month), `/api/metrics` (30 days, and a year by week), the review of the last
quarter, and correlations over 90 days; median and 90th percentile of `--reps` requests each.
Issue 10's target: dashboard under 250 ms median on SQLite. The issue asks for 1,000,000
conversations: the bulk path makes about that many in ~15 minutes, so pass --size 1000000 when
the machine can spare it; the default is a size that runs in a few minutes. A desk is made once:
`--reuse` a SQLite data folder, or `--keep` the PostgreSQL server (its URL is printed) and pass
it back with `--database-url`; a database that already holds the demo is never generated again.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import ROOT, free_port, pct, throwaway_postgres


def _setup(data_dir: Path, database_url: str | None) -> None:
    """Point Caredesk at the benchmark's data folder before Django reads its settings."""
    os.environ["CAREDESK_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "caredesk.settings"
    os.environ.setdefault("CAREDESK_EMOTION_REFINE_ENGINE", "")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _timings(fn: Callable[[], Any], reps: int) -> list[float]:
    fn()  # warm once, untimed
    out = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _generate(size: int, seed: int) -> None:
    from django.core.management import call_command

    from caredesk.demo.generator import demo_exists, demo_seed

    call_command("migrate", verbosity=0)
    if demo_exists():
        print("The desk is there already: not generated again")
        return
    started = time.perf_counter()
    summary = demo_seed(size=size, seed=seed, fast=True)
    seconds = time.perf_counter() - started
    print(f"Generated {summary.conversations:,} conversations in {seconds:.0f} s")


def _bench(reps: int) -> None:
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from caredesk.conversations.models import Conversation
    from caredesk.demo.generator import LEAD_EMAIL
    from caredesk.insights import rollup
    from caredesk.insights.models import DailyRollup, TeamRollup
    from caredesk.people.models import User

    started = time.perf_counter()
    rollup.rollups_rebuild()
    rebuild = time.perf_counter() - started
    conversations = Conversation.objects.count()
    print(
        f"Rebuild: {conversations:,} conversations in {rebuild:.1f} s "
        f"({conversations / rebuild:,.0f}/s; 1,000,000 at that rate: "
        f"~{1e6 / conversations * rebuild / 60:.0f} min); "
        f"{DailyRollup.objects.count():,} rollup rows, {TeamRollup.objects.count():,} without "
        "the agent"
    )
    newest = Conversation.objects.latest("created_at").created_at.date()
    year_ago = newest - timedelta(days=364)
    lead = Client()
    lead.force_login(User.objects.get(email=LEAD_EMAIL))
    quarter = f"end={newest}&start={newest - timedelta(days=89)}"
    pages = {
        "dashboard, 90 days by week": f"/insights/?{quarter}",
        "dashboard, a year by month": f"/insights/?end={newest}&start={year_ago}&grouping=month",
        "/api/metrics, 30 days": f"/api/metrics?end={newest}",
        "/api/metrics, a year by week": f"/api/metrics?end={newest}&start={year_ago}&grouping=week",
        "review, last quarter": "/insights/review/?preset=quarter",
        "correlations, 90 days": f"/insights/correlations/?{quarter}",
    }
    print(f"\nNow: {timezone.now():%Y-%m-%d}; newest conversation {newest}")
    print(f"{'page':34} {'median':>9} {'p90':>9}")
    for label, url in pages.items():

        def get(url: str = url) -> None:
            response = lead.get(url)
            assert response.status_code == 200, (url, response.status_code)

        times = _timings(get, reps)
        print(f"{label:34} {statistics.median(times):7.1f}ms {pct(times, 0.9):7.1f}ms")


@contextmanager
def _database(postgres: bool, keep: bool, url: str | None) -> Iterator[str | None]:
    """The database to bench on: a given URL, SQLite (None), a throwaway PostgreSQL, or one
    left running after (`keep`: a 1,000,000-conversation desk is worth making once)."""
    if url or not postgres:
        yield url
        return
    if not keep:
        with throwaway_postgres("caredesk-insights-pg-") as made:
            yield made
        return
    pgdir = Path(tempfile.mkdtemp(prefix="caredesk-insights-pg-"))
    port = free_port()
    subprocess.run(["scripts/postgres.sh", "start", str(pgdir), str(port)], cwd=ROOT, check=True)
    server = f"postgres://postgres@127.0.0.1:{port}"
    subprocess.run(
        ["psql", "-q", f"{server}/postgres", "-c", "CREATE DATABASE caredesk"], check=True
    )
    print(
        f"PostgreSQL kept: --database-url {server}/caredesk; stop: scripts/postgres.sh stop {pgdir}"
    )
    yield f"{server}/caredesk"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--postgres", action="store_true", help="on a throwaway PostgreSQL")
    parser.add_argument("--reuse", type=Path, help="the data folder of an earlier run")
    parser.add_argument("--keep", action="store_true", help="leave the PostgreSQL server up")
    parser.add_argument("--database-url", help="a kept PostgreSQL (printed by --keep)")
    args = parser.parse_args()
    data_dir = args.reuse or Path(tempfile.mkdtemp(prefix="caredesk-insights-"))
    print(f"Data folder: {data_dir}")
    with _database(args.postgres, args.keep, args.database_url) as url:
        _setup(data_dir, url)
        _generate(args.size, args.seed)
        _bench(args.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
