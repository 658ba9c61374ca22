"""``caredesk eval emotion``: measure each engine on GoEmotions, EmoBank, our own written sets
and the held-out real customer text (docs/emotion-heldout.md).

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
    HELDOUT_SOURCES,
    POLARITIES,
    POLARITY_OF,
    HeldOutMessage,
    load_customer_messages,
    load_emobank,
    load_goemotions,
    load_heldout,
    load_signal_cases,
    shared_data_dir,
)
from caredesk.empathy.types import EMOTIONS, SIGNALS

TARGETS = {"macro_f1": 0.60, "polarity_gain_over_vader": 0.10, "pearson_r": 0.40,
           "own_polarity_accuracy": 0.75, "own_negative_recall": 0.75,
           "heldout_polarity_accuracy": 0.75, "heldout_negative_recall": 0.80,
           "heldout_gain_over_vader": 0.20}  # fmt: skip


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


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width confidence bins and
    weighted by how many readings fall in each (Guo et al., 2017)."""
    total, n = 0.0, len(confidences)
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [i for i, c in enumerate(confidences) if low < c <= high or (b == 0 and c <= 0)]
        if members:
            accuracy = sum(correct[i] for i in members) / len(members)
            confidence = sum(confidences[i] for i in members) / len(members)
            total += len(members) / n * abs(accuracy - confidence)
    return total


def polarity_confidence(reading: Any) -> float:
    """How sure a reading is of its polarity: the engine's probability of that polarity when it
    gives one (``extra["polarity_scores"]``), else its overall confidence."""
    scores = reading.extra.get("polarity_scores") or {}
    return float(scores.get(reading.polarity, reading.confidence))


def vader_confidence(label: str, compound: float) -> float:
    """VADER gives no probability; a stand-in for its ECE (reference only): 0.5 + |compound| / 2
    when it calls a polarity, 1 - |compound| when it calls neutral (|compound| < 0.05)."""
    return 1 - abs(compound) if label == "neutral" else 0.5 + abs(compound) / 2


def polarity_scores(
    gold: Sequence[str], pred: Sequence[str], confidences: Sequence[float]
) -> dict[str, float]:
    """Accuracy, negative recall, macro-F1 over the polarities present in the gold labels (a source
    of complaints only has "negative"), and the expected calibration error."""
    present = [p for p in POLARITIES if p in set(gold)]
    f1 = f1_per_class(gold, pred, present)
    return {
        **_polarity_stats(gold, pred),
        "macro_f1": sum(f1.values()) / len(f1),
        "ece": expected_calibration_error(
            confidences, [g == p for g, p in zip(gold, pred, strict=True)]
        ),
    }


def heldout_figures(
    engine: Any, vader: Callable[[str], tuple[str, float]], *, every: int = 1
) -> dict[str, Any]:
    """Polarity figures per held-out source and in total, VADER's beside them on the same rows."""
    figures: dict[str, Any] = {}
    everything: dict[str, list[Any]] = {
        "gold": [],
        "pred": [],
        "conf": [],
        "vpred": [],
        "vconf": [],
    }
    for source, (_, medium) in HELDOUT_SOURCES.items():
        rows: list[HeldOutMessage] = load_heldout(source, every=every)
        readings = read_all(engine, [m.text for m in rows])
        vaders = [vader(m.text) for m in rows]
        part = {
            "gold": [m.polarity for m in rows],
            "pred": [r.polarity for r in readings],
            "conf": [polarity_confidence(r) for r in readings],
            "vpred": [label for label, _ in vaders],
            "vconf": [vader_confidence(label, c) for label, c in vaders],
        }
        for key, values in part.items():
            everything[key].extend(values)
        figures[source] = _heldout_part(part, medium)
    figures["total"] = _heldout_part(everything, "all sources")
    return figures


def _heldout_part(part: dict[str, list[Any]], medium: str) -> dict[str, Any]:
    gold = part["gold"]
    return {
        "medium": medium,
        "rows": len(gold),
        "gold": {p: gold.count(p) for p in POLARITIES if p in gold},
        **polarity_scores(gold, part["pred"], part["conf"]),
        "vader": polarity_scores(gold, part["vpred"], part["vconf"]),
    }


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
    heldout_only: bool = False,
    heldout: bool = True,
) -> dict[str, Any]:
    """Every figure for one engine. `data_dir` holds the public data sets (skipped when absent)
    and `model_dir` the minilm engine's base model (see `shared_data_dir`, `minilm.base_dir`).
    ``heldout=False`` leaves out the held-out real text, for any run made while choosing."""
    engine = get_engine(engine_path, model_dir=model_dir)
    folder = shared_data_dir(data_dir)
    report: dict[str, Any] = {"engine": engine.name, "version": engine.version, "data": str(folder)}
    if heldout:
        report["heldout_real"] = heldout_figures(engine, vader)
    if heldout_only:
        return report
    if (folder / "goemotions").exists():
        report["goemotions_test"] = goemotions_figures(engine, vader, folder)
        report["seconds"] = report["goemotions_test"]["seconds"]
    if (folder / "emobank").exists():
        report["emobank"] = emobank_figures(engine, vader, data_dir=folder)
    report["own_written_set"] = customer_set_figures(engine, vader, "customer_messages.tsv")
    report["heldout_set"] = customer_set_figures(engine, vader, "customer_heldout.tsv")
    report["signals"] = signal_rates(engine)
    return report


def _print_heldout(figures: dict[str, Any]) -> None:
    gain = TARGETS["heldout_gain_over_vader"]
    print(
        f"Held-out real customer text, never trained or tuned on ({figures['total']['rows']} "
        "messages; docs/emotion-heldout.md). Targets: accuracy >= "
        f"{TARGETS['heldout_polarity_accuracy']}, negative recall >= "
        f"{TARGETS['heldout_negative_recall']}, both >= VADER + {gain}"
    )
    head = f"{'accuracy':>8} {'neg.rec':>7} {'macro-F1':>8} {'ECE':>5}"
    print(f"  {'source':<7} {'rows':>5}  {head}   VADER: {head}   medium, gold")
    for name, f in figures.items():
        print(
            f"  {name:<7} {f['rows']:>5}  {_row(f)}          {_row(f['vader'])}   {f['medium']}, "
            + ", ".join(f"{k} {n}" for k, n in f["gold"].items())
        )


def _row(f: dict[str, Any]) -> str:
    return (
        f"{f['polarity_accuracy']:>8.3f} {f['negative_recall']:>7.3f} "
        f"{f['macro_f1']:>8.3f} {f['ece']:>5.3f}"
    )


def _print(report: dict[str, Any]) -> None:
    print(f"== engine {report['engine']} ({report['version']})")
    if "heldout_real" in report:
        _print_heldout(report["heldout_real"])
    else:
        print("Held-out real customer text: left out (--without-heldout)")
    if "own_written_set" not in report:
        return
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
    parser.add_argument(
        "--heldout-only",
        action="store_true",
        help="only the held-out real customer text (docs/emotion-heldout.md)",
    )
    parser.add_argument(
        "--without-heldout",
        action="store_true",
        help="leave out the held-out real customer text (for runs made while choosing anything)",
    )
    args = parser.parse_args(argv)
    vader = vader_polarity()
    reports = [
        evaluate(
            path,
            vader,
            data_dir=data_dir,
            model_dir=model_dir,
            heldout_only=args.heldout_only,
            heldout=not args.without_heldout,
        )
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
