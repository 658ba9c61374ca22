"""How fast the demo's bulk path makes a desk (run by hand, never in CI).

    .venv/bin/python bench/bench_bulk.py                     # 10,000 conversations
    .venv/bin/python bench/bench_bulk.py --size 100000
    .venv/bin/python bench/bench_bulk.py --size 2000 --profile   # where the time goes
    .venv/bin/python bench/bench_bulk.py --size 5000 --profile --stats /tmp/bulk.prof  # keep it
    .venv/bin/python bench/bench_bulk.py --makers 0   # make and insert in one process

A fresh SQLite database in a temporary folder is filled with `demo_seed(fast=True)`, the same
path as `manage.py demo_seed --fast`. Printed: conversations per second (wall clock) and CPU
seconds for the whole run, the generator's rate beside the raw insert rate of the same rows
(the time spent inserting them, measured in the same run), and the projection to 1,000,000
conversations (issue 13's target: under 15 minutes on SQLite), from the wall clock and from the
CPU seconds (which a busy shared machine does not inflate), and each phase's wall and CPU
seconds: the rows made and inserted (SQLite: without triggers or secondary indexes,
`demo/load.py`), the indexes and search index built after, the outreach sweep and rollups. A
progress bar on stderr shows the process's memory as it goes: it should stay flat.
With `--makers 2` (the default) the rows are made by two other processes while this one inserts
them (`demo/process.py`); the CPU seconds printed are all processes' together, beside the
makers' own and their largest peak memory. `--profile` profiles this process only (use
`--makers 0` to see the making).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1_000_000
TARGET_SECONDS = 15 * 60


def _setup(data_dir: Path) -> None:
    """Point Caredesk at the benchmark's data folder before Django reads its settings."""
    os.environ["CAREDESK_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "caredesk.settings"
    os.environ.setdefault("CAREDESK_EMOTION_REFINE_ENGINE", "")  # the seed refines nothing
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _progress() -> Callable[[int, int], None]:
    """A progress bar with the process's resident memory beside it."""
    from tqdm import tqdm

    page = os.sysconf("SC_PAGE_SIZE")
    bar: tqdm[None] | None = None

    def update(done: int, size: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=size, unit="conv", file=sys.stderr, smoothing=0.1)
        rss = int(Path("/proc/self/statm").read_text().split()[1]) * page / 2**20
        bar.set_postfix_str(f"{rss:,.0f} MiB", refresh=False)
        bar.update(done - bar.n)
        if done >= size:
            bar.close()

    return update


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--profile", action="store_true", help="print the 25 costliest calls")
    parser.add_argument("--stats", type=Path, help="with --profile: also save the stats here")
    parser.add_argument("--makers", type=int, default=2, help="0: make the rows here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="caredesk-bulk-") as folder:
        _setup(Path(folder))
        from django.core.management import call_command

        from caredesk.demo.generator import demo_seed

        call_command("migrate", verbosity=0)
        profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not wall
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        children = _children_cpu()
        summary = demo_seed(
            size=args.size,
            seed=args.seed,
            fast=True,
            progress=_progress(),
            makers=args.makers,
        )
        if profiler is not None:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        maker_cpu = _children_cpu() - children
        cpu += maker_cpu
        print(summary)
        rate = args.size / wall
        projected = TARGET / rate
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        maker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"\n{args.size:,} conversations: {wall:.1f} s wall, {cpu:.1f} s CPU "
            f"(the makers {maker_cpu:.1f} s), {rate:,.0f} conversations/s, "
            f"peak memory {peak:,.0f} MiB (a maker {maker_peak:,.0f} MiB)"
        )
        print(f"  {summary.rate_line().strip()}")
        size = sum(p.stat().st_size for p in Path(folder).rglob("*.sqlite3*")) / 2**20
        print(
            f"  projected {TARGET:,}: {projected / 60:.1f} min "
            f"({'within' if projected <= TARGET_SECONDS else 'over'} the 15 min target), "
            f"{TARGET * cpu / args.size / 60:.1f} min of CPU; database {size:,.0f} MiB"
        )
        if profiler is not None:
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(25)
            stats.sort_stats("tottime").print_stats(15)
            if args.stats is not None:
                stats.dump_stats(args.stats)


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (the makers)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


if __name__ == "__main__":
    main()
