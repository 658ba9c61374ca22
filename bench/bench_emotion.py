"""How fast the emotion engines read messages (run by hand, never in CI).

    .venv/bin/python bench/bench_emotion.py            # every engine, 5,000 messages each
    .venv/bin/python bench/bench_emotion.py --n 2000 --json

Messages are built deterministically from our written customer-service sentences (the test
fixtures): typical messages of one to three sentences, and 2,000-character messages for the tail
latency. The process is pinned to one core where the OS allows. VADER's own ``polarity_scores``
reads the same messages in the same process as the baseline, so the ratios travel between machines.
Targets (issue 14): the engine on arrival reads at least 200 messages per second one at a time on
one core for typical messages (under 300 characters), p99 under 50 ms for one 2,000-character
message. BLAS and OpenMP run one thread, set here before NumPy loads, as in one desk worker process
(caredesk/server.py does the same from CAREDESK_MODEL_THREADS). An engine that batches (minilm,
which the desk can run in the background) is also measured reading all the typical messages at
once, like the sweep.
``--engine NAME`` (repeatable) measures only those engines; ``minilm-numpy`` is the minilm engine
with its NumPy forward pass (before ONNX Runtime), measured only when named.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# One thread per worker process: set before NumPy is imported (it reads these once, at import).
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from caredesk.empathy.emotion import DEFAULT_ENGINE, ENGINES, get_engine  # noqa: E402
from caredesk.empathy.emotion.datasets import (  # noqa: E402
    load_customer_messages,
    load_signal_cases,
)

# Measured only when named: the minilm engine as it was before ONNX Runtime (issue 14).
EXTRA = {"minilm-numpy": "caredesk.empathy.emotion.engines.MiniLMNumpyEngine"}


def pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned (no sched_setaffinity)"


def corpus(n: int, seed: int = 7) -> tuple[list[str], list[str]]:
    sentences = [m.text for m in load_customer_messages()] + [c.text for c in load_signal_cases()]
    rng = random.Random(seed)
    typical = [" ".join(rng.sample(sentences, rng.choice((1, 1, 2, 3)))) for _ in range(n)]
    long = []
    for _ in range(300):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < 2000:
            parts.append(rng.choice(sentences))
        long.append(" ".join(parts)[:2000])
    return typical, long


def measure(
    read: Callable[[str], Any], typical: Sequence[str], long: Sequence[str]
) -> dict[str, float]:
    """Wall-clock figures, and the same on the process's CPU time (``cpu_`` keys), which a busy
    shared machine disturbs far less: with one thread, CPU time is the time on the one core."""
    for text in typical[:200]:
        read(text)  # warm caches and lazy loading
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    for text in typical:
        read(text)
    rate = len(typical) / (time.perf_counter() - started)
    cpu_rate = len(typical) / (time.process_time() - cpu)
    times, cpu_times = [], []
    for text in long:
        t0, c0 = time.perf_counter(), time.process_time()
        read(text)
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    times.sort()
    cpu_times.sort()
    at = int(0.99 * (len(times) - 1))
    return {"messages_per_second": round(rate), "p99_ms_2000_chars": round(times[at] * 1000, 3),
            "median_ms_2000_chars": round(times[len(times) // 2] * 1000, 3),
            "cpu_messages_per_second": round(cpu_rate),
            "cpu_p99_ms_2000_chars": round(cpu_times[at] * 1000, 3)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000, help="typical messages per engine")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--engine", action="append", choices=[*ENGINES, *EXTRA], help="default: all in ENGINES"
    )
    args = parser.parse_args(argv)
    pinned = pin_one_core()
    typical, long = corpus(args.n)
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    results: dict[str, Any] = {
        "pinning": pinned,
        "mean_chars_typical": round(sum(map(len, typical)) / len(typical)),
    }
    base = measure(SentimentIntensityAnalyzer().polarity_scores, typical, long)
    results["baseline_vader_polarity_scores"] = base
    for name, path in {**ENGINES, **EXTRA}.items():
        if (args.engine and name not in args.engine) or (not args.engine and name in EXTRA):
            continue
        figures = measure(get_engine(path).analyze, typical, long)
        figures["speed_vs_vader"] = round(
            figures["messages_per_second"] / base["messages_per_second"], 3
        )
        figures["p99_vs_vader"] = round(figures["p99_ms_2000_chars"] / base["p99_ms_2000_chars"], 2)
        figures["default"] = path == DEFAULT_ENGINE
        results[name] = figures
        engine = get_engine(path)
        if hasattr(engine, "prime"):  # the background sweep reads many messages at once
            started, cpu = time.perf_counter(), time.process_time()
            engine.prime(typical)
            for text in typical:
                engine.analyze(text)
            rate = len(typical) / (time.perf_counter() - started)
            results[f"{name}, batched"] = {
                "messages_per_second": round(rate),
                "cpu_messages_per_second": round(len(typical) / (time.process_time() - cpu)),
                "speed_vs_vader": round(rate / base["messages_per_second"], 3),
            }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{len(typical)} typical messages (mean {results['mean_chars_typical']} chars), "
          f"300 of 2,000 chars; {pinned}")  # fmt: skip
    for name, figures in results.items():
        if isinstance(figures, dict):
            extra = (
                f"  x{figures['speed_vs_vader']} VADER's rate"
                if name != "baseline_vader_polarity_scores"
                else ""
            )
            if "p99_vs_vader" in figures:
                extra += f", p99 x{figures['p99_vs_vader']}"
            p99 = figures.get("p99_ms_2000_chars")
            tail = f"p99 {p99:.2f} ms (2,000 chars)" if p99 is not None else "(batched, no p99)"
            print(f"{name:32} {figures['messages_per_second']:>7} msg/s   {tail}{extra}")
            if "cpu_messages_per_second" in figures:
                cpu_p99 = figures.get("cpu_p99_ms_2000_chars")
                cpu_tail = f"p99 {cpu_p99:.2f} ms" if cpu_p99 is not None else "(batched)"
                print(f"{'':32} {figures['cpu_messages_per_second']:>7} msg/s   {cpu_tail}"
                      "  on CPU time")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
