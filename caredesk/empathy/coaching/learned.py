"""The coach's learned part: recognises the phrase-bound categories by their words' meaning.

The rules follow phrasing, so a blind writer's "Honestly the refund has about zero chance" slips
past them. A logistic regression per category over the reply's word 1-2-grams (plus a few facts
about the customer's message) catches such replies; ``train.py`` fits it with scikit-learn, and
this module runs it with NumPy alone from ``learned.npz`` (weights and a fixed vocabulary) and
``learned.json`` (thresholds, reasons, rewrites and the figures it was shipped with).

It stays explainable and modest: it only adds a finding where the rules found nothing of that
category and its probability passes a threshold chosen by cross-validation to keep false flags
rare; the finding's span is the run of words whose weights drove the score (widened to their
clause so a rewrite replaces whole words), with the category's reason and rewrites.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from caredesk.empathy.coaching import text as textmod
from caredesk.empathy.coaching.context import CoachContext
from caredesk.empathy.coaching.findings import Finding

WEIGHTS = Path(__file__).with_name("learned.npz")
META = Path(__file__).with_name("learned.json")
_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
#: A customer message this long (in words) describes a problem at some length.
LONG_CUSTOMER_WORDS = 25


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Lower-case words of ``text`` (a prepared draft) with their offsets."""
    return [(m.group(), m.start(), m.end()) for m in _WORD_RE.finditer(text.lower())]


def context_features(ctx: CoachContext) -> list[str]:
    """What the model may know about the customer's side: its reading and its length."""
    out: list[str] = []
    if ctx.polarity is not None:
        out.append(f"c:pol={ctx.polarity}")
    if ctx.is_negative():
        out.append("c:negative")
    if ctx.is_upset():
        out.append("c:upset")
    if ctx.customer_words is not None:
        out.append("c:long" if ctx.customer_words >= LONG_CUSTOMER_WORDS else "c:short")
    return out


def features(words: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Each word 1-gram and 2-gram with the first and last word index it covers."""
    out = [(w, i, i) for i, (w, _, _) in enumerate(words)]
    out += [(f"{words[i][0]} {words[i + 1][0]}", i, i + 1) for i in range(len(words) - 1)]
    return out


def word_grams(text: str) -> list[str]:
    """A prepared text's word 1-grams ("late") and 2-grams ("too late"), fast: no offsets.

    Context features are named "c:...", which no word can be, so one vocabulary holds all three.
    """
    words = _WORD_RE.findall(text.lower())
    return words + [a + " " + b for a, b in pairwise(words)]


def feature_names(draft: str, ctx: CoachContext) -> list[str]:
    """The feature strings of one reply, as training sees them (one per occurrence)."""
    return word_grams(textmod.prepare(draft)) + context_features(ctx)


@dataclass(frozen=True)
class LearnedModel:
    """Weights over a fixed vocabulary, one column per category, and each category's cut-off."""

    categories: tuple[str, ...]
    index: dict[str, int]
    weights: np.ndarray  # (features, categories)
    bias: np.ndarray  # (categories,)
    thresholds: np.ndarray  # probability cut-offs, (categories,)
    reasons: dict[str, str]
    rewrites: dict[str, tuple[str, ...]]
    meta: dict[str, Any]

    @property
    def logit_thresholds(self) -> np.ndarray:
        p = np.clip(self.thresholds, 1e-9, 1 - 1e-9)
        return np.asarray(np.log(p / (1 - p)), dtype=np.float64)

    @cached_property
    def cuts(self) -> list[float]:
        """The thresholds as logits, as plain floats (compared once per category per draft)."""
        return [float(v) for v in self.logit_thresholds]

    def probabilities(self, draft: str, context: Any = None) -> dict[str, float]:
        """Each category's probability for a reply (for evaluation and tests)."""
        ctx = CoachContext.coerce(context)
        ids = self._ids(feature_names(draft, ctx))
        logits = self.bias + self.weights[ids].sum(axis=0)
        return {
            c: 1 / (1 + math.exp(-float(v))) for c, v in zip(self.categories, logits, strict=True)
        }

    def _ids(self, names: Iterable[str]) -> list[int]:
        found = set(map(self.index.get, names))  # binary: each feature once
        found.discard(None)
        return list(found)  # type: ignore[arg-type]

    def findings(
        self, text: str, ctx: CoachContext, skip: set[str], sentences: textmod.Sentences
    ) -> list[Finding]:
        """Findings for a prepared draft ``text``, leaving out categories in ``skip``."""
        ids = self._ids(word_grams(text) + context_features(ctx))
        logits = self.bias + self.weights[ids].sum(axis=0)
        fired = [
            (col, category)
            for col, category in enumerate(self.categories)
            if category not in skip and logits[col] >= self.cuts[col]
        ]
        if not fired:
            return []
        words = tokens(text)  # offsets only when something fired: the common case stays cheap
        located = [(self.index[n], a, b) for n, a, b in features(words) if n in self.index]
        out: list[Finding] = []
        for col, category in fired:
            span = self._span(col, located, words, text, sentences)
            if span is not None:
                reason, rewrites = self.reasons[category], self.rewrites[category]
                out.append(
                    Finding(span[0], span[1], category, reason, rewrites, f"learned.{category}")
                )
        return out

    def _span(
        self,
        col: int,
        located: list[tuple[int, int, int]],
        words: list[tuple[str, int, int]],
        text: str,
        sentences: textmod.Sentences,
    ) -> tuple[int, int] | None:
        """The contiguous run of words with the largest summed weight, widened to its clause."""
        share = [0.0] * len(words)
        column = self.weights[:, col]
        for feature, first, last in located:
            weight = float(column[feature]) / (last - first + 1)
            for i in range(first, last + 1):
                share[i] += weight
        best, best_at, run, run_at = 0.0, (0, -1), 0.0, 0
        for i, value in enumerate(share):  # Kadane: the best-scoring stretch of words
            if run <= 0:
                run, run_at = value, i
            else:
                run += value
            if run > best:
                best, best_at = run, (run_at, i)
        if best_at[1] < 0:
            return None
        start, end = words[best_at[0]][1], words[best_at[1]][2]
        return textmod.clause_span(text, sentences.around(start), start, end)


@lru_cache(maxsize=1)
def default_model() -> LearnedModel | None:
    """The shipped model, loaded once; ``None`` when its files are absent (not yet trained)."""
    if not WEIGHTS.exists() or not META.exists():
        return None
    return load_model(WEIGHTS, META)


def load_model(weights_path: Path, meta_path: Path) -> LearnedModel:
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    with np.load(weights_path, allow_pickle=False) as data:
        vocab = [str(v) for v in data["vocab"]]
        weights = data["weights"].astype(np.float64)
        bias = data["bias"].astype(np.float64)
    categories = tuple(meta["categories"])
    return LearnedModel(
        categories=categories,
        index={name: i for i, name in enumerate(vocab)},
        weights=weights,
        bias=bias,
        thresholds=np.array([meta["thresholds"][c] for c in categories], dtype=np.float64),
        reasons={c: meta["reasons"][c] for c in categories},
        rewrites={c: tuple(meta["rewrites"][c]) for c in categories},
        meta=meta,
    )


def save_model(model: LearnedModel, weights_path: Path, meta_path: Path) -> None:
    vocab = sorted(model.index, key=model.index.__getitem__)
    np.savez_compressed(
        weights_path,
        vocab=np.array(vocab, dtype=np.str_),
        weights=model.weights.astype(np.float32),
        bias=model.bias.astype(np.float32),
    )
    meta = dict(model.meta)
    meta["categories"] = list(model.categories)
    meta["thresholds"] = {
        c: round(float(t), 4) for c, t in zip(model.categories, model.thresholds, strict=True)
    }
    meta["reasons"] = model.reasons
    meta["rewrites"] = {c: list(r) for c, r in model.rewrites.items()}
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
