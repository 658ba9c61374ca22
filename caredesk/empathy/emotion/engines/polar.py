"""The polar engine: the linear engine with a polarity head trained for real customers.

The linear classifier learnt seven emotions from Reddit comments; on short, messy service
complaints it calls about half of them not negative. The polarity head (``data/polarity.npz``,
trained by ``train_polarity.py``) is a three-way logistic regression over the same kind of word and
character n-grams plus the lexicon's and the rules' findings, trained on general tweets, reviews,
GoEmotions mapped to polarity and our own sarcasm and complaint lines. Its log-probabilities are
added to the emotion scores of their polarity group, so the emotion and the polarity still come
from one set of scores and never contradict each other. Confidence is the probability of the
chosen polarity after a temperature fitted on the training data's dev split; below ``LOW`` the
reading says it is unsure instead of guessing.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from caredesk.empathy.emotion.engines.linear import (
    LinearEngine,
    add_tfidf,
    char_counts,
    term_counts,
)
from caredesk.empathy.emotion.engines.rules import CLASSIFIER_CHARS, GROUPS, score_within
from caredesk.empathy.emotion.features import dense_features, word_terms
from caredesk.empathy.emotion.lexicon import DATA, LexScore
from caredesk.empathy.emotion.rules import RuleResult
from caredesk.empathy.emotion.text import Prepared
from caredesk.empathy.types import EMOTIONS, Reading

POLARITIES = ("negative", "neutral", "positive")
# The polarity group of each emotion, as an index into POLARITIES.
GROUP_OF = np.array(
    [next(POLARITIES.index(g) for g, members in GROUPS.items() if e in members) for e in EMOTIONS]
)
LOW = 0.5  # below this calibrated probability a reading says it is unsure


def rule_features(rules: RuleResult) -> list[float]:
    """What the customer-service rules found, as the head's inputs (training uses it too)."""
    return [
        float(rules.complaint),
        float(rules.sarcasm),
        math.tanh(rules.valence / 2),
        *(math.tanh(rules.boosts[e] / 2) for e in EMOTIONS),
    ]


def classifier_text(live: str, spans: list[tuple[int, int]] | None = None) -> str:
    """What the classifiers read: the opening of the message, or of its content sentences."""
    if spans is None:
        return live[:CLASSIFIER_CHARS]
    return " ".join(live[a:b] for a, b in spans if a < CLASSIFIER_CHARS)[:CLASSIFIER_CHARS]


@dataclass(frozen=True)
class HeadModel:
    """The head as trained: vocabularies, IDF, weights, and how the engine uses it."""

    word_index: dict[str, int]
    char_index: dict[str, int]
    word_idf: np.ndarray
    char_idf: np.ndarray
    W: np.ndarray
    b: np.ndarray
    weight: float  # of the head's log-probabilities in the emotion scores
    offsets: np.ndarray  # per emotion, chosen on dev with the head in place
    temperature: float  # calibrates the reading's confidence
    version: str


class PolarityHead:
    """Three-way polarity log-probabilities for one text from ``data/polarity.npz``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or DATA / "polarity.npz"
        self._char_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    @cached_property
    def model(self) -> HeadModel:
        with np.load(self.path, allow_pickle=False) as data:
            words = str(data["word_vocab"]).split("\n")
            chars = str(data["char_vocab"]).split("\n")
            return HeadModel(
                word_index={t: i for i, t in enumerate(words)},
                char_index={t: i for i, t in enumerate(chars)},
                word_idf=data["word_idf"].astype(np.float64),
                char_idf=data["char_idf"].astype(np.float64),
                W=data["W"].astype(np.float64),
                b=data["b"].astype(np.float64),
                weight=float(data["weight"]),
                offsets=data["offsets"].astype(np.float64),
                temperature=float(data["temperature"]),
                version=str(data["version"]),
            )

    def log_probabilities(self, text: str, lex: LexScore, rules: RuleResult) -> np.ndarray:
        m = self.model
        total = add_tfidf(
            m.b.copy(),
            m.W,
            [
                (term_counts(word_terms(text), m.word_index), len(m.word_index), m.word_idf),
                (char_counts(text, m.char_index, self._char_cache), len(m.char_index), m.char_idf),
            ],
        )
        offset = len(m.word_index) + len(m.char_index)
        total += np.asarray(dense_features(lex) + rule_features(rules)) @ m.W[offset:]
        total -= total.max()
        return np.asarray(total - np.log(np.exp(total).sum()))


class PolarEngine(LinearEngine):
    """The linear engine's rules and emotions, with polarity decided for real customers."""

    name = "polar"

    def __init__(self, path: Path | None = None, head: Path | None = None) -> None:
        super().__init__(path)
        self.head = PolarityHead(head)

    @property
    def version(self) -> str:  # type: ignore[override]
        return f"{self.head.model.version} + {self.model['version']}"

    def _reading(
        self,
        prepared: Prepared,
        lex: LexScore,
        rules: RuleResult,
        logits: np.ndarray,
        shouting: bool,
    ) -> Reading:
        # The head reads what the classifier read: the content sentences, without courtesy.
        sentences = self._sentences(prepared.live, rules)
        content = [(a, b) for a, b, kind in sentences if kind == "content"]
        spans = content if content and len(content) < len(sentences) else None
        head = self.head.log_probabilities(
            classifier_text(prepared.live, spans),
            lex if spans is None else score_within(lex, rules, spans),
            rules,
        )
        if rules.sarcasm:
            # Praise used to complain: the head learnt praise words from sincere text, the rules
            # know the turn ("thanks for nothing"), so here the rules and the classifier decide.
            head = np.zeros(len(POLARITIES))
        elif rules.complaint:
            # A complaint phrased calmly ("where is my bag?") is not neutral: the head may make
            # it more negative, never less.
            head = np.minimum(head, head[0])
        logits = self.combine(logits, head)
        reading = super()._reading(prepared, lex, rules, logits, shouting)
        scaled = logits / self.head.model.temperature
        probs = np.exp(scaled - scaled.max())
        probs /= probs.sum()
        sure = round(float(probs[POLARITIES.index(reading.polarity) == GROUP_OF].sum()), 3)
        extra = dict(reading.extra)
        if sure < LOW:
            extra["reason"] = "uncertain"
        return dataclasses.replace(reading, confidence=sure, low_confidence=sure < LOW, extra=extra)

    def combine(self, logits: np.ndarray, head: np.ndarray) -> np.ndarray:
        """The emotion scores with the head's polarity added to each emotion's group, and the
        offsets that keep the seven classes balanced (both chosen on dev; training uses this)."""
        m = self.head.model
        return np.asarray(logits + m.weight * head[..., GROUP_OF] + m.offsets)
