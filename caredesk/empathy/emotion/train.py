"""Train the linear engine's classifier on GoEmotions train.tsv.

Run ``python -m caredesk.empathy.emotion.train``.

Deterministic (fixed solver, no shuffling). C and the per-class offsets are chosen on dev.tsv only,
with the customer-service rules applied exactly as at inference, so the offsets fit the engine that
ships. Writes ``data/model.npz`` and ``data/english_words.txt``. scikit-learn is needed here only.
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np

from caredesk.empathy.emotion.datasets import Example, load_goemotions
from caredesk.empathy.emotion.engines import LinearEngine
from caredesk.empathy.emotion.features import char_terms, dense_features, word_terms
from caredesk.empathy.emotion.lexicon import DATA, Lexicon, LexScore
from caredesk.empathy.emotion.rules import RuleBook, RuleResult, apply_rules
from caredesk.empathy.emotion.text import Prepared, prepare
from caredesk.empathy.types import EMOTIONS

VERSION = "linear-1"


def decide(logits: np.ndarray) -> np.ndarray:
    """The engine's decision for many rows: the most likely emotion (polarity follows from it)."""
    return np.asarray(logits.argmax(axis=1))


def macro_f1(gold: np.ndarray, pred: np.ndarray, k: int = len(EMOTIONS)) -> float:
    scores = []
    for c in range(k):
        tp = np.sum((pred == c) & (gold == c))
        fp = np.sum((pred == c) & (gold != c))
        fn = np.sum((pred != c) & (gold == c))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def tune_offsets(logits: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Per-class offsets that maximise macro-F1 on dev (coordinate ascent over a fixed grid)."""
    offsets = np.zeros(len(EMOTIONS))
    best = macro_f1(gold, decide(logits))
    for _ in range(3):
        for c in range(len(EMOTIONS)):
            for delta in np.linspace(-2.0, 2.0, 41):
                trial = offsets.copy()
                trial[c] = delta
                score = macro_f1(gold, decide(logits + trial))
                if score > best + 1e-9:
                    best, offsets = score, trial
    return offsets


def rule_pass(texts: list[str]) -> list[tuple[Prepared, LexScore, RuleResult]]:
    """Each text prepared, scored by the lexicon and read by the rules, as the engines do."""
    lexicon, book = Lexicon.load(), RuleBook.load()
    rows = []
    for text in texts:
        prepared = prepare(text)
        lex = lexicon.score(prepared.tokens)
        rows.append((prepared, lex, apply_rules(prepared.live, lex, book)))
    return rows


def rule_boosts(texts: list[str]) -> np.ndarray:
    """The rules' adjustment to each row exactly as the linear engine applies it."""
    engine = LinearEngine()
    return np.array([engine.rule_adjustment(rules) for _, _, rules in rule_pass(texts)])


def dense(texts: list[str]) -> np.ndarray:
    lexicon = Lexicon.load()
    return np.array([dense_features(lexicon.score(prepare(t).tokens)) for t in texts])


def english_words(rows: list[Example], min_count: int = 3) -> list[str]:
    counts = Counter(w for r in rows for w in re.findall(r"[a-z][a-z']+", r.text.lower()))
    return sorted(w for w, n in counts.items() if n >= min_count)


def main(argv: list[str] | None = None) -> int:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(prog="python -m caredesk.empathy.emotion.train")
    parser.add_argument("--out", type=Path, default=DATA / "model.npz")
    parser.add_argument("--grid", type=float, nargs="+", default=[1.0, 2.0], help="values of C")
    args = parser.parse_args(argv)

    started = time.time()
    train, dev = load_goemotions("train"), load_goemotions("dev")
    (DATA / "english_words.txt").write_text("\n".join(english_words(train)) + "\n", "utf-8")
    y = np.array([EMOTIONS.index(r.label) for r in train])
    y_dev = np.array([EMOTIONS.index(r.label) for r in dev])
    texts = [r.text for r in train]
    dev_texts = [r.text for r in dev]
    words = TfidfVectorizer(analyzer=word_terms, min_df=2, sublinear_tf=True, dtype=np.float64)
    chars = TfidfVectorizer(analyzer=char_terms, min_df=3, sublinear_tf=True, dtype=np.float64)
    X = hstack([words.fit_transform(texts), chars.fit_transform(texts), csr_matrix(dense(texts))])
    X_dev = hstack(
        [words.transform(dev_texts), chars.transform(dev_texts), csr_matrix(dense(dev_texts))]
    )
    X, X_dev = X.tocsr(), X_dev.tocsr()
    boosts_dev = rule_boosts(dev_texts)
    print(f"features {X.shape[1]} on {X.shape[0]} rows ({time.time() - started:.0f}s)")

    best: tuple[float, float, LogisticRegression, np.ndarray] | None = None
    for c in args.grid:
        model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
        model.fit(X, y)
        logits = X_dev @ model.coef_.T + model.intercept_ + boosts_dev
        offsets = tune_offsets(logits, y_dev)
        score = macro_f1(y_dev, decide(logits + offsets))
        print(f"C={c}: dev macro-F1 {score:.4f} offsets {np.round(offsets, 2).tolist()}")
        if best is None or score > best[0]:
            best = (score, c, model, offsets)
    assert best is not None
    score, c, model, offsets = best
    word_vocab = sorted(words.vocabulary_, key=words.vocabulary_.__getitem__)
    char_vocab = sorted(chars.vocabulary_, key=chars.vocabulary_.__getitem__)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        word_vocab=np.array("\n".join(word_vocab)),
        char_vocab=np.array("\n".join(char_vocab)),
        word_idf=words.idf_.astype(np.float16),
        char_idf=chars.idf_.astype(np.float16),
        W=model.coef_.T.astype(np.float16),
        b=(model.intercept_ + offsets).astype(np.float32),
        version=np.array(f"{VERSION} C={c} devF1={score:.4f}"),
    )
    size = args.out.stat().st_size / 1e6
    print(f"chose C={c}; wrote {args.out} ({size:.2f} MB) in {time.time() - started:.0f}s")
    LinearEngine(args.out)  # fail here, not in production, if the file cannot be read back
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
