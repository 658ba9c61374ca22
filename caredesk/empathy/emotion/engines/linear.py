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
        total: np.ndarray = m["b"].copy()  # type: ignore[attr-defined]
        offset = 0
        for cols, tf, index, idf in (
            (*self._word_counts(text), m["word_index"], m["word_idf"]),
            (*self._char_counts(text), m["char_index"], m["char_idf"]),
        ):
            if len(cols):
                values = (1.0 + np.log(tf)) * idf[cols]  # type: ignore[index]
                values /= np.sqrt(values @ values)
                total += values @ weights[offset + cols]
            offset += len(index)  # type: ignore[arg-type]
        total += np.asarray(dense_features(lex)) @ weights[offset:]
        return total

    def _word_counts(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        counts: dict[int, int] = {}
        lookup = self.model["word_index"].get  # type: ignore[attr-defined]
        for term, count in Counter(word_terms(text)).items():  # counting in C, one lookup each
            j = lookup(term)
            if j is not None:
                counts[j] = count
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        return cols, np.fromiter(counts.values(), dtype=np.float64, count=len(counts))

    def _char_counts(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Vocabulary columns and counts of the text's character n-grams.

        N-grams never cross words, so each word's columns are looked up once and kept: most words
        recur from message to message, and this is the classifier's hottest loop.
        """
        cache = self._char_cache
        cols_parts: list[np.ndarray] = []
        count_parts: list[np.ndarray] = []
        for word, times in Counter(char_words(text)).items():
            entry = cache.get(word)
            if entry is None:
                if len(cache) >= CHAR_CACHE_WORDS:
                    cache.clear()
                entry = cache[word] = self._word_char_cols(word)
            if len(entry[0]):
                cols_parts.append(entry[0])
                count_parts.append(entry[1] * times if times > 1 else entry[1])
        if not cols_parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        cols, inverse = np.unique(np.concatenate(cols_parts), return_inverse=True)
        return cols, np.bincount(inverse, weights=np.concatenate(count_parts))

    def _word_char_cols(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        lookup = self.model["char_index"].get  # type: ignore[attr-defined]
        counts: dict[int, int] = {}
        for gram, count in Counter(word_char_grams(word)).items():
            j = lookup(gram)
            if j is not None:
                counts[j] = count
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        return cols, np.fromiter(counts.values(), dtype=np.float64, count=len(counts))

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
