"""``caredesk eval emotion``: measure each engine on GoEmotions, EmoBank and our own written sets.

Gold polarity on GoEmotions comes from the mapped class (anger, frustration, worry, sadness are
negative; gratitude positive; neutral and confusion neutral). VADER is scored on the same rows in
the same run (compound >= 0.05 positive, <= -0.05 negative) so the comparison is like for like.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from caredesk.empathy.emotion import ENGINES, get_engine
from caredesk.empathy.emotion.datasets import (
    POLARITY_OF,
    load_customer_messages,
    load_emobank,
    load_goemotions,
    load_signal_cases,
    shared_data_dir,
)
from caredesk.empathy.types import EMOTIONS, SIGNALS

TARGETS = {"macro_f1": 0.60, "polarity_gain_over_vader": 0.10, "pearson_r": 0.40,
           "own_polarity_accuracy": 0.75, "own_negative_recall": 0.75}  # fmt: skip


def f1_per_class(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]
) -> dict[str, float]:
    scores = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if p == label != g)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label != p)
        scores[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return scores


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else 0.0


def vader_polarity() -> Callable[[str], tuple[str, float]]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()

    def read(text: str) -> tuple[str, float]:
        compound = float(analyzer.polarity_scores(text)["compound"])
        label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
        return label, compound

    return read


def _polarity_stats(gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    negatives = [p for g, p in zip(gold, pred, strict=True) if g == "negative"]
    return {
        "polarity_accuracy": sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold),
        "negative_recall": sum(p == "negative" for p in negatives) / max(len(negatives), 1),
    }


def read_all(engine: Any, texts: Sequence[str]) -> list[Any]:
    """Readings of many texts; an engine that batches (``prime``) is given them all first."""
    if hasattr(engine, "prime"):
        engine.prime(list(texts))
    return [engine.analyze(text) for text in texts]


def signal_rates(engine: Any) -> dict[str, dict[str, float]]:
    cases = load_signal_cases()
    found = [set(r.signals) for r in read_all(engine, [c.text for c in cases])]
    rates = {}
    for signal in SIGNALS:
        positives = [s for c, s in zip(cases, found, strict=True) if signal in c.signals]
        negatives = [s for c, s in zip(cases, found, strict=True) if signal not in c.signals]
        rates[signal] = {
            "recall": sum(signal in s for s in positives) / len(positives),
            "false_rate": sum(signal in s for s in negatives) / len(negatives),
        }
    clean = [s for c, s in zip(cases, found, strict=True) if not c.signals]
    rates["messages_without_signals"] = {"false_rate": sum(bool(s) for s in clean) / len(clean)}
    return rates


def goemotions_figures(
    engine: Any, vader: Callable[[str], tuple[str, float]], data_dir: Path | None = None
) -> dict[str, Any]:
    """Macro-F1, per-class F1 and polarity accuracy on GoEmotions test.tsv, VADER's beside it."""
    rows = load_goemotions("test", shared_data_dir(data_dir))
    started = time.perf_counter()
    readings = read_all(engine, [r.text for r in rows])
    seconds = round(time.perf_counter() - started, 2)
    gold = [r.label for r in rows]
    per_class = f1_per_class(gold, [x.emotion for x in readings], EMOTIONS)
    gold_polarity = [POLARITY_OF[g] for g in gold]
    vader_labels = [vader(r.text)[0] for r in rows]
    return {
        "rows": len(rows),
        "seconds": seconds,
        "macro_f1": sum(per_class.values()) / len(per_class),
        "per_class_f1": per_class,
        "polarity_accuracy": _polarity_stats(gold_polarity, [x.polarity for x in readings])[
            "polarity_accuracy"
        ],
        "vader_polarity_accuracy": _polarity_stats(gold_polarity, vader_labels)[
            "polarity_accuracy"
        ],
    }


def emobank_figures(
    engine: Any,
    vader: Callable[[str], tuple[str, float]],
    test_only: bool = False,
    data_dir: Path | None = None,
) -> dict[str, Any]:
    """Pearson r of intensity against EmoBank's |V - 3|, on its test split and on all rows."""
    bank = [
        r for r in load_emobank(shared_data_dir(data_dir)) if r.split == "test" or not test_only
    ]
    intensity = [x.intensity for x in read_all(engine, [r.text for r in bank])]
    vader_force = [abs(vader(r.text)[1]) for r in bank]
    target = [abs(r.valence - 3) for r in bank]
    test = [i for i, r in enumerate(bank) if r.split == "test"]
    return {
        "pearson_r_test": pearson([intensity[i] for i in test], [target[i] for i in test]),
        "pearson_r_all": pearson(intensity, target),
        "vader_r_test": pearson([vader_force[i] for i in test], [target[i] for i in test]),
        "test_rows": len(test),
    }


def customer_set_figures(
    engine: Any, vader: Callable[[str], tuple[str, float]], name: str
) -> dict[str, Any]:
    """Polarity accuracy and negative recall on one of our written customer-service sets."""
    rows = load_customer_messages(name)
    gold = [m.polarity for m in rows]
    found = [x.polarity for x in read_all(engine, [m.text for m in rows])]
    return {
        "rows": len(rows),
        **_polarity_stats(gold, found),
        "vader": _polarity_stats(gold, [vader(m.text)[0] for m in rows]),
    }


def evaluate(
    engine_path: str,
    vader: Callable[[str], tuple[str, float]],
    *,
    data_dir: Path | None = None,
    model_dir: Path | None = None,
) -> dict[str, Any]:
    """Every figure for one engine. `data_dir` holds the public data sets (skipped when absent)
    and `model_dir` the minilm engine's base model (see `shared_data_dir`, `minilm.base_dir`)."""
    engine = get_engine(engine_path, model_dir=model_dir)
    folder = shared_data_dir(data_dir)
    report: dict[str, Any] = {"engine": engine.name, "version": engine.version, "data": str(folder)}
    if (folder / "goemotions").exists():
        report["goemotions_test"] = goemotions_figures(engine, vader, folder)
        report["seconds"] = report["goemotions_test"]["seconds"]
    if (folder / "emobank").exists():
        report["emobank"] = emobank_figures(engine, vader, data_dir=folder)
    report["own_written_set"] = customer_set_figures(engine, vader, "customer_messages.tsv")
    report["heldout_set"] = customer_set_figures(engine, vader, "customer_heldout.tsv")
    report["signals"] = signal_rates(engine)
    return report


def _print(report: dict[str, Any]) -> None:
    print(f"== engine {report['engine']} ({report['version']})")
    go = report.get("goemotions_test")
    if go:
        gain = go["polarity_accuracy"] - go["vader_polarity_accuracy"]
        print(f"GoEmotions test.tsv, {go['rows']} rows mapped to 7 classes ({report['seconds']}s)")
        print(f"  macro-F1 {go['macro_f1']:.3f}   (target >= {TARGETS['macro_f1']})")
        print("  per class: " + ", ".join(f"{k} {v:.3f}" for k, v in go["per_class_f1"].items()))
        print(
            f"  polarity accuracy {go['polarity_accuracy']:.3f}; VADER on the same rows "
            f"{go['vader_polarity_accuracy']:.3f} (gain {gain:+.3f}, target >= +0.10)"
        )
    else:
        print("GoEmotions not found under", report["data"], "- skipped")
    bank = report.get("emobank")
    if bank:
        print(f"EmoBank intensity vs |V-3|: Pearson r {bank['pearson_r_test']:.3f} on the test "
              "split "
              f"({bank['test_rows']} rows), {bank['pearson_r_all']:.3f} on all rows; "
              f"VADER |compound| r {bank['vader_r_test']:.3f} on test")  # fmt: skip
    own = report["own_written_set"]
    print(
        f"Our own written customer-service set ({own['rows']} messages): polarity accuracy "
        f"{own['polarity_accuracy']:.3f}, negative recall {own['negative_recall']:.3f}; VADER "
        f"{own['vader']['polarity_accuracy']:.3f} / {own['vader']['negative_recall']:.3f}"
    )
    held = report["heldout_set"]
    print(
        f"Held-out customer-service set, never tuned on ({held['rows']} messages): polarity "
        f"accuracy {held['polarity_accuracy']:.3f}, negative recall {held['negative_recall']:.3f}; "
        f"VADER {held['vader']['polarity_accuracy']:.3f} / {held['vader']['negative_recall']:.3f}"
    )
    print("Signals (our written signal set): " + ", ".join(
        f"{name} recall {r['recall']:.2f} false {r['false_rate']:.3f}"
        for name, r in report["signals"].items() if "recall" in r
    ) + f"; messages without signals flagged {report['signals']['messages_without_signals']['false_rate']:.3f}")  # fmt: skip  # noqa: E501


def main(
    argv: list[str] | None = None, *, data_dir: Path | None = None, model_dir: Path | None = None
) -> int:
    """`caredesk eval emotion`; the desk's CLI passes the configured folders (`caredesk.config`)."""
    parser = argparse.ArgumentParser(prog="caredesk eval emotion", description=__doc__)
    parser.add_argument("--engine", action="append", help="engine name or dotted path (repeatable);"
                        " default: every registered engine")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    vader = vader_polarity()
    reports = [
        evaluate(path, vader, data_dir=data_dir, model_dir=model_dir)
        for path in (args.engine or list(ENGINES))
    ]
    if args.json:
        print(json.dumps(reports, indent=2))
    else:
        for report in reports:
            _print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
