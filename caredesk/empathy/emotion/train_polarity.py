"""Train the polar engine's polarity head (``data/polarity.npz``); scikit-learn is needed here only.

    python -m caredesk.empathy.emotion.train_polarity          # ~5-10 min on two busy cores

Training data (docs/emotion-training.md): TweetEval sentiment (validation and test splits; the
train split is not available here), GoEmotions train.tsv mapped to polarity, the UCI Sentiment
Labelled Sentences (reviews, ``data/train/uci_sentences.tsv``) and our own customer-service lines
(``data/train/own_polarity.tsv``). A tenth of TweetEval and of the reviews (by a hash of the text)
plus GoEmotions dev.tsv form the dev split: the head's weight in the engine and the confidence
temperature are chosen there, with the whole engine run as it ships. Nothing held out for the
evaluation (docs/emotion-heldout.md) is read, nor any customer-service corpus.
"""

from __future__ import annotations

import argparse
import pickle
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from caredesk.empathy.emotion.datasets import (
    POLARITY_OF,
    load_customer_messages,
    load_goemotions,
    shared_data_dir,
)
from caredesk.empathy.emotion.engines.polar import (
    GROUP_OF,
    POLARITIES,
    PolarEngine,
    classifier_text,
    rule_features,
)
from caredesk.empathy.emotion.features import char_terms, dense_features, word_terms
from caredesk.empathy.emotion.lexicon import DATA
from caredesk.empathy.emotion.train import macro_f1, rule_pass
from caredesk.empathy.types import EMOTIONS

VERSION = "polar-1"
TRAIN_DATA = DATA / "train"
# Our own written customer messages (tests/data/customer_messages.tsv; not the held-out ones)
# take part in choosing the head's weight, so the head cannot undo what the rules read there.
WRITTEN = "written"
OWN_WEIGHT = 5.0  # our own lines are few; each counts as five
WEIGHTS = (0.5, 1.0, 1.5, 2.0, 3.0, 5.0)  # the head's weight in the engine, chosen on dev
TEMPERATURES = tuple(np.round(np.arange(0.5, 8.01, 0.1), 2))

Row = tuple[str, str, str]  # (source, polarity, text)


def _tsv(path: Path, columns: int, *, comments: bool = True) -> list[list[str]]:
    """Rows with the right number of columns; `comments`: skip lines starting with "#" (our own
    files; a tweet may start with a hashtag)."""
    with open(path, encoding="utf-8") as handle:
        lines = [line.rstrip("\n") for line in handle]
        rows = [line.split("\t") for line in lines if not (comments and line.startswith("#"))]
    return [r for r in rows if len(r) == columns]


def load_rows(data_dir: Path | None = None) -> tuple[list[Row], list[Row]]:
    """(train, dev) rows from every training source."""
    folder = shared_data_dir(data_dir)
    train: list[Row] = []
    dev: list[Row] = []

    def split(source: str, polarity: str, text: str) -> None:
        (dev if zlib.crc32(text.encode()) % 10 == 0 else train).append((source, polarity, text))

    for name in ("sentiment_validation.tsv", "sentiment_test.tsv"):
        for text, label in _tsv(folder / "tweeteval" / name, 2, comments=False)[1:]:
            split("tweeteval", label, text)
    for polarity, source, text in _tsv(TRAIN_DATA / "uci_sentences.tsv", 3):
        split(f"uci-{source}", polarity, text)
    train += [("own", p, t) for p, t in _tsv(TRAIN_DATA / "own_polarity.tsv", 2)]
    for name, rows in (("train", train), ("dev", dev)):
        mapped = load_goemotions(name, folder)
        rows += [("goemotions", POLARITY_OF[e.label], e.text) for e in mapped]
    return train, dev


def features(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """What the head reads of each text, and its dense inputs, exactly as at inference."""
    read, dense = [], []
    for prepared, lex, rules in rule_pass(list(texts)):
        read.append(classifier_text(prepared.live))
        dense.append(dense_features(lex) + rule_features(rules))
    return read, np.array(dense)


def polarity_figures(gold: Sequence[str], found: Sequence[str]) -> dict[str, float]:
    pairs = list(zip(gold, found, strict=True))
    negatives = [f for g, f in pairs if g == "negative"]
    return {
        "accuracy": round(sum(g == f for g, f in pairs) / max(1, len(pairs)), 4),
        "negative_recall": round(
            sum(f == "negative" for f in negatives) / max(1, len(negatives)), 4
        ),
    }


class _Capture(PolarEngine):
    """The engine as it ships, recording the emotion scores and the head's output of each text."""

    def __init__(self, head: Path) -> None:
        super().__init__(head=head)
        self.parts: list[tuple[np.ndarray, np.ndarray]] = []

    def combine(self, logits: np.ndarray, head: np.ndarray) -> np.ndarray:
        self.parts.append((logits.copy(), head.copy()))
        return logits


def capture(head: Path, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(emotion scores, head log-probabilities) of each text, before they are combined."""
    engine = _Capture(head)
    for text in texts:
        before = len(engine.parts)
        engine.analyze(text)
        if len(engine.parts) == before:  # not read (empty, or another language): no opinion
            engine.parts.append((np.zeros(len(EMOTIONS)), np.log(np.full(3, 1 / 3))))
    logits, heads = zip(*engine.parts, strict=True)
    return np.array(logits), np.array(heads)


def choose(
    logits: np.ndarray, heads: np.ndarray, dev: list[Row]
) -> tuple[float, np.ndarray, dict[str, object]]:
    """The head's weight and the per-class offsets, by coordinate ascent on dev: polarity
    (accuracy and negative recall) on general real text and on our own written customer
    messages, with GoEmotions' seven-class macro-F1 held at the linear engine's."""
    sources = np.array([s for s, _, _ in dev])
    go = sources == "goemotions"
    gold = [p for _, p, _ in dev]
    gold_go = np.array([EMOTIONS.index(r.label) for r in load_goemotions("dev")])
    parts = {"real": ~go & (sources != WRITTEN), "written": sources == WRITTEN}

    def figures(combined: np.ndarray) -> tuple[float, dict[str, object]]:
        chosen = combined.argmax(1)
        found = [POLARITIES[GROUP_OF[c]] for c in chosen]
        report: dict[str, object] = {}
        score = 0.0
        for name, mask in parts.items():
            rows = np.flatnonzero(mask)
            part = polarity_figures([gold[i] for i in rows], [found[i] for i in rows])
            report[name] = part
            score += (part["accuracy"] + part["negative_recall"]) / 2
        f1 = macro_f1(gold_go, chosen[go])
        report["goemotions_macro_f1"] = round(f1, 4)
        return score - 10 * max(0.0, floor - f1), report

    floor = macro_f1(gold_go, logits[go].argmax(1)) - 0.005
    print(f"linear engine on dev: {figures(logits)[1]}")
    best: tuple[float, float, np.ndarray, dict[str, object]] | None = None
    for weight in WEIGHTS:
        offsets = np.zeros(len(EMOTIONS))
        score, report = figures(logits + weight * heads[:, GROUP_OF])
        for _ in range(2):
            for c in range(len(EMOTIONS)):
                for delta in np.linspace(-2.0, 2.0, 21):
                    trial = offsets.copy()
                    trial[c] = delta
                    found = figures(logits + weight * heads[:, GROUP_OF] + trial)
                    if found[0] > score + 1e-9:
                        (score, report), offsets = found, trial
        print(f"w={weight}: {report} offsets {np.round(offsets, 2).tolist()}")
        if best is None or score > best[0]:
            best = (score, weight, offsets, report)
    assert best is not None
    return best[1], best[2], best[3]


def main(argv: list[str] | None = None) -> int:  # size: one linear recipe, read top to bottom
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(prog="python -m caredesk.empathy.emotion.train_polarity")
    parser.add_argument("--out", type=Path, default=DATA / "polarity.npz")
    parser.add_argument("--c", type=float, default=2.0, help="inverse regularisation strength")
    parser.add_argument("--cache", type=Path, help="keep the fitted head here and reuse it")
    args = parser.parse_args(argv)
    started = time.time()
    train, dev = load_rows()
    dev += [(WRITTEN, m.polarity, m.text) for m in load_customer_messages()]
    print(f"{len(train)} training rows, {len(dev)} dev rows")
    if args.cache and args.cache.exists():  # tuning again without fitting again
        words, chars, model = pickle.loads(args.cache.read_bytes())  # noqa: S301 (our own file)
    else:
        texts, dense = features([t for _, _, t in train])
        print(f"rules read ({time.time() - started:.0f}s)")
        y = np.array([POLARITIES.index(p) for _, p, _ in train])
        weight = np.array([OWN_WEIGHT if s == "own" else 1.0 for s, _, _ in train])
        words = TfidfVectorizer(analyzer=word_terms, min_df=3, sublinear_tf=True)
        chars = TfidfVectorizer(analyzer=char_terms, min_df=5, sublinear_tf=True)
        X = hstack([words.fit_transform(texts), chars.fit_transform(texts), csr_matrix(dense)])
        model = LogisticRegression(C=args.c, max_iter=1000, class_weight="balanced")
        model.fit(X.tocsr(), y, sample_weight=weight)
        print(f"fitted on {X.shape[1]} features ({time.time() - started:.0f}s)")
        if args.cache:
            args.cache.write_bytes(pickle.dumps((words, chars, model)))

    def save(head_weight: float, offsets: np.ndarray, temperature: float, note: str) -> None:
        np.savez_compressed(
            args.out,
            word_vocab=np.array("\n".join(sorted(words.vocabulary_, key=words.vocabulary_.get))),
            char_vocab=np.array("\n".join(sorted(chars.vocabulary_, key=chars.vocabulary_.get))),
            word_idf=words.idf_.astype(np.float16),
            char_idf=chars.idf_.astype(np.float16),
            W=model.coef_.T.astype(np.float16),
            b=model.intercept_.astype(np.float32),
            weight=np.array(head_weight),
            offsets=offsets.astype(np.float32),
            temperature=np.array(temperature),
            version=np.array(f"{VERSION} C={args.c} w={head_weight} {note}".strip()),
        )

    save(0.0, np.zeros(len(EMOTIONS)), 1.0, "")
    logits, heads = capture(args.out, [t for _, _, t in dev])
    gold = np.array([POLARITIES.index(p) for _, p, _ in dev])
    real = np.array([s not in ("goemotions", WRITTEN) for s, _, _ in dev])
    alone = polarity_figures(
        [POLARITIES[g] for g in gold[real]], [POLARITIES[k] for k in heads[real].argmax(1)]
    )
    print(f"head alone on real dev: {alone} ({time.time() - started:.0f}s)")
    head_weight, offsets, report = choose(logits, heads, dev)
    combined = logits + head_weight * heads[:, GROUP_OF] + offsets
    temperature, ece = calibrate(combined, gold)
    save(head_weight, offsets, temperature, f"T={temperature} devECE={ece:.3f}")
    PolarEngine(head=args.out).analyze("read back")  # fail here, not in production
    print(f"chose w={head_weight} T={temperature} (dev ECE {ece:.3f}) {report}; wrote {args.out} "
          f"({args.out.stat().st_size / 1e6:.2f} MB) in {time.time() - started:.0f}s")  # fmt: skip
    return 0


def calibrate(logits: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """The temperature that minimises the polarity log-loss on dev, and the ECE it leaves."""
    best = (np.inf, 1.0, 0.0)
    for t in TEMPERATURES:
        probs = np.exp(logits / t - (logits / t).max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        polar = np.stack([probs[:, k == GROUP_OF].sum(1) for k in range(3)], 1)
        loss = -np.log(np.clip(polar[np.arange(len(gold)), gold], 1e-9, 1.0)).mean()
        if loss < best[0]:
            best = (loss, float(t), expected_calibration_error(polar, gold))
    return best[1], best[2]


def expected_calibration_error(probs: np.ndarray, gold: np.ndarray, bins: int = 10) -> float:
    """Mean |confidence - accuracy| over ten equal-width bins of the chosen class's probability."""
    chosen = probs.argmax(1)
    sure = probs.max(1)
    right = chosen == gold
    total = 0.0
    for low in np.linspace(0, 1, bins, endpoint=False):
        inside = (sure > low) & (sure <= low + 1 / bins)
        if inside.any():
            total += inside.mean() * abs(sure[inside].mean() - right[inside].mean())
    return float(total)


if __name__ == "__main__":
    raise SystemExit(main())
