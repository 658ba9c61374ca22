"""The linear engine: the rules on top of a linear classifier trained on GoEmotions."""

from __future__ import annotations

from collections import Counter
from functools import cached_property
from pathlib import Path

import numpy as np

from caredesk.empathy.emotion.engines.rules import (
    CHAR_CACHE_WORDS,
    CLASSIFIER_CHARS,
    RulesEngine,
    score_within,
)
from caredesk.empathy.emotion.features import (
    char_words,
    dense_features,
    word_char_grams,
    word_terms,
)
from caredesk.empathy.emotion.lexicon import DATA, LexScore
from caredesk.empathy.emotion.rules import RuleResult
from caredesk.empathy.emotion.text import Prepared


class LinearEngine(RulesEngine):
    """The rules on top of a linear classifier trained on GoEmotions (``data/model.npz``)."""

    name = "linear"
    # The classifier learnt from Reddit, where a question is usually curiosity or confusion; in a
    # service desk a complaint pattern outweighs it.
    rule_weight = 1.5
    complaint_shift = 1.0
    polarity_first = False

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or DATA / "model.npz"

    @cached_property
    def model(self) -> dict[str, object]:
        with np.load(self.path, allow_pickle=False) as data:
            words = str(data["word_vocab"]).split("\n")
            chars = str(data["char_vocab"]).split("\n")
            return {
                "word_index": {t: i for i, t in enumerate(words)},
                "char_index": {t: i for i, t in enumerate(chars)},
                "word_idf": data["word_idf"].astype(np.float64),
                "char_idf": data["char_idf"].astype(np.float64),
                "W": data["W"].astype(np.float64),
                "b": data["b"].astype(np.float64),
                "version": str(data["version"]),
            }

    @property
    def version(self) -> str:  # type: ignore[override]
        return str(self.model["version"])

    def logits(self, text: str, lex: LexScore) -> np.ndarray:
        """The classifier's log-odds for the seven emotions, before any rule."""
        m = self.model
        weights: np.ndarray = m["W"]  # type: ignore[assignment]
        word_index: dict[str, int] = m["word_index"]  # type: ignore[assignment]
        char_index: dict[str, int] = m["char_index"]  # type: ignore[assignment]
        word_idf: np.ndarray = m["word_idf"]  # type: ignore[assignment]
        char_idf: np.ndarray = m["char_idf"]  # type: ignore[assignment]
        total = add_tfidf(
            m["b"].copy(),  # type: ignore[attr-defined]
            weights,
            [
                (term_counts(word_terms(text), word_index), len(word_index), word_idf),
                (char_counts(text, char_index, self._char_cache), len(char_index), char_idf),
            ],
        )
        total += (
            np.asarray(dense_features(lex)) @ weights[sum(map(len, (word_index, char_index))) :]
        )
        return total

    @cached_property
    def _char_cache(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return {}

    def _base_logits(
        self,
        prepared: Prepared,
        lex: LexScore,
        rules: RuleResult,
        spans: list[tuple[int, int]] | None = None,
    ) -> np.ndarray:
        # The classifier reads the opening of the message, which says what it is about; the rules
        # and the lexicon read all of it. This keeps a 2,000-character message within budget.
        if spans is None:
            return self.logits(prepared.live[:CLASSIFIER_CHARS], lex)
        live = prepared.live
        text = " ".join(live[a:b] for a, b in spans if a < CLASSIFIER_CHARS)[:CLASSIFIER_CHARS]
        return self.logits(text, score_within(lex, rules, spans))


Columns = tuple[np.ndarray, np.ndarray]  # vocabulary columns and their counts in one text


def term_counts(terms: list[str], index: dict[str, int]) -> Columns:
    """Vocabulary columns and counts of ``terms`` (counting in C, one look-up per distinct term)."""
    counts: dict[int, int] = {}
    lookup = index.get
    for term, count in Counter(terms).items():
        j = lookup(term)
        if j is not None:
            counts[j] = count
    cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    return cols, np.fromiter(counts.values(), dtype=np.float64, count=len(counts))


def char_counts(text: str, index: dict[str, int], cache: dict[str, Columns]) -> Columns:
    """Vocabulary columns and counts of the text's character n-grams.

    N-grams never cross words, so each word's columns are looked up once and kept in ``cache``:
    most words recur from message to message, and this is the classifiers' hottest loop.
    """
    cols_parts: list[np.ndarray] = []
    count_parts: list[np.ndarray] = []
    for word, times in Counter(char_words(text)).items():
        entry = cache.get(word)
        if entry is None:
            if len(cache) >= CHAR_CACHE_WORDS:
                cache.clear()
            entry = cache[word] = term_counts(word_char_grams(word), index)
        if len(entry[0]):
            cols_parts.append(entry[0])
            count_parts.append(entry[1] * times if times > 1 else entry[1])
    if not cols_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    cols, inverse = np.unique(np.concatenate(cols_parts), return_inverse=True)
    return cols, np.bincount(inverse, weights=np.concatenate(count_parts))


def add_tfidf(
    total: np.ndarray, weights: np.ndarray, parts: list[tuple[Columns, int, np.ndarray]]
) -> np.ndarray:
    """``total`` plus each block's sublinear TF-IDF row (L2-normalised) times its rows of
    ``weights``; the blocks (words, then characters) sit one after another in ``weights``."""
    offset = 0
    for (cols, tf), size, idf in parts:
        if len(cols):
            values = (1.0 + np.log(tf)) * idf[cols]
            values /= np.sqrt(values @ values)
            total += values @ weights[offset + cols]
        offset += size
    return total
