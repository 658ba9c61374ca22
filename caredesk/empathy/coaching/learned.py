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

The context checks (``no_apology``, ``no_thanks``, ``no_next_step``, ``no_acknowledgment``) are
the rules' largest source of false flags, so the same weights also hold a *gate* per check: the
model reads what is present in the reply and what the customer's message calls for (only through
the rules' own customer patterns, so a memo keyed on what the rules hear stays exact) and a rule's
finding is dropped when the model is confident the piece is not owed or is there, and added when
it is confident the piece is owed and missing.
"""

from __future__ import annotations

import dataclasses
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
from caredesk.empathy.coaching.rules import RuleSet, default_rules

WEIGHTS = Path(__file__).with_name("learned.npz")
META = Path(__file__).with_name("learned.json")
_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
#: A customer message this long (in words) describes a problem at some length.
LONG_CUSTOMER_WORDS = 25
#: Where a sentence (or a line) ends, for the sentence-level view.
_SENTENCE_END_RE = re.compile(r"[.!?]+[\"')\]]*(?=\s|$)|\n")
#: Character n-grams of this length inside each word ("<failed>" -> "<fai", "fail", ...): they
#: carry a word's stem to its other forms, which a writer who never saw the training rows uses.
CHAR_N = 4


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Lower-case words of ``text`` (a prepared draft) with their offsets."""
    return [(m.group(), m.start(), m.end()) for m in _WORD_RE.finditer(text.lower())]


def char_grams(words: list[str]) -> list[str]:
    """Each word's character 4-grams, with "<" and ">" marking its edges ("#fail")."""
    out: list[str] = []
    for word in words:
        padded = f"<{word}>"
        out += ["#" + padded[i : i + CHAR_N] for i in range(len(padded) - CHAR_N + 1)]
    return out


def sentence_grams(text: str, chars: bool = True) -> list[tuple[int, int, list[str]]]:
    """Each sentence (or line) of a prepared text with its offsets and its word 1-2-grams and
    character 4-grams: the sentence-level view, where one careless sentence is not diluted by
    the caring ones around it."""
    lower = text.lower()
    out: list[tuple[int, int, list[str]]] = []
    start = 0
    for end in [m.end() for m in _SENTENCE_END_RE.finditer(lower)] + [len(lower)]:
        words = _WORD_RE.findall(lower, start, end)
        if words:
            grams = words + [a + " " + b for a, b in pairwise(words)]
            if chars:
                grams += char_grams(words)
            out.append((start, end, grams))
        start = end
    return out


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


def customer_facts(ctx: CoachContext, rules: RuleSet | None = None) -> list[str]:
    """What the rules' customer patterns hear in the customer's message (a favour done, our
    failure reported, a plain question asked): the gates' view of whether a piece is owed."""
    said = ctx.customer
    if said is None:
        return []
    ruleset = rules if rules is not None else default_rules()
    out: list[str] = []
    for rule in ruleset.missing:
        if rule.customer_says is not None and rule.customer_says.search(said):
            out.append(f"c:says:{rule.id}")
        if rule.unless_customer is not None and rule.unless_customer.search(said):
            out.append(f"c:unless:{rule.id}")
        out += [f"c:sit:{k}" for k, p in rule.situations_from_customer.items() if p.search(said)]
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


def feature_names(
    draft: str, ctx: CoachContext, rules: RuleSet | None = None, *, chars: bool = False
) -> list[str]:
    """The feature strings of one reply as a whole, as the gates see them."""
    sentences = sentence_grams(textmod.prepare(draft), chars)
    grams = [g for _, _, names in sentences for g in names]
    return grams + context_features(ctx) + customer_facts(ctx, rules)


def sentence_names(draft: str, ctx: CoachContext, *, chars: bool = False) -> list[list[str]]:
    """The feature strings of each sentence, as the phrase-bound categories see them."""
    extra = context_features(ctx)
    return [names + extra for _, _, names in sentence_grams(textmod.prepare(draft), chars)]


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
    #: Context checks the model gates: category -> probability under which a rule's finding is
    #: dropped (the piece is there or not owed). Their ``thresholds`` entry is the probability
    #: from which the model adds the finding the rule missed.
    vetoes: dict[str, float] = dataclasses.field(default_factory=dict)

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
        logits = self.logits(textmod.prepare(draft), ctx)
        return {
            c: 1 / (1 + math.exp(-float(v))) for c, v in zip(self.categories, logits, strict=True)
        }

    def logits(self, text: str, ctx: CoachContext, rules: RuleSet | None = None) -> np.ndarray:
        """Every category's logit for a prepared draft ``text``."""
        return self.scores(text, ctx, rules)[0]

    @cached_property
    def per_sentence(self) -> list[int]:
        """The columns scored sentence by sentence (the phrase-bound categories)."""
        wanted = set(self.meta.get("sentence_level", ()))
        return [col for col, c in enumerate(self.categories) if c in wanted]

    @cached_property
    def _sentence_weights(self) -> np.ndarray:
        return np.ascontiguousarray(self.weights[:, self.per_sentence])

    def scores(
        self, text: str, ctx: CoachContext, rules: RuleSet | None = None
    ) -> tuple[np.ndarray, dict[int, tuple[int, int]]]:
        """Each category's logit, and for the sentence-level ones the sentence that scored it.

        The context checks read the whole reply (is an apology anywhere in it?); the phrase-bound
        categories take their most careless sentence, so one such sentence among caring ones
        still counts in full, and it is also the finding's place.
        """
        sentences = sentence_grams(text, bool(self.meta.get("char_grams")))
        extra = context_features(ctx)
        whole = [g for _, _, names in sentences for g in names] + extra
        logits = np.asarray(
            self.bias + self.weights[self._ids(whole + customer_facts(ctx, rules))].sum(axis=0)
        )
        cols = self.per_sentence
        if not cols or not sentences:
            return logits, {}
        sub, extra_ids = self._sentence_weights, self._ids(extra)
        per = np.array([sub[self._ids(names) + extra_ids].sum(axis=0) for _, _, names in sentences])
        top = per.argmax(axis=0)
        logits[cols] = self.bias[cols] + per.max(axis=0)
        where = {col: sentences[top[j]][:2] for j, col in enumerate(cols)}
        return logits, {col: (a, b) for col, (a, b) in where.items()}

    def vetoed(self, logits: np.ndarray) -> set[str]:
        """Context checks the model is confident are not owed (or already met) in this reply."""
        out = set()
        for category, cut in self.vetoes.items():
            p = 1 / (1 + math.exp(-float(logits[self.categories.index(category)])))
            if p < cut:
                out.add(category)
        return out

    def added(self, logits: np.ndarray, skip: set[str]) -> list[str]:
        """Context checks the model is confident are owed and missing, where no rule found them."""
        return [
            c
            for col, c in enumerate(self.categories)
            if c in self.vetoes and c not in skip and logits[col] >= self.cuts[col]
        ]

    def _ids(self, names: Iterable[str]) -> list[int]:
        found = set(map(self.index.get, names))  # binary: each feature once
        found.discard(None)
        return list(found)  # type: ignore[arg-type]

    def findings(
        self,
        text: str,
        ctx: CoachContext,
        skip: set[str],
        sentences: textmod.Sentences,
        scored: tuple[np.ndarray, dict[int, tuple[int, int]]] | None = None,
    ) -> list[Finding]:
        """Phrase-bound findings for a prepared ``text``, leaving out categories in ``skip``."""
        logits, where = scored if scored is not None else self.scores(text, ctx)
        fired = [
            (col, category)
            for col, category in enumerate(self.categories)
            if category not in skip
            and category not in self.vetoes
            and logits[col] >= self.cuts[col]
        ]
        out: list[Finding] = []
        for col, category in fired:
            start, end = where.get(col, (0, len(text)))
            words = [(w, a + start, b + start) for w, a, b in tokens(text[start:end])]
            located = [(self.index[n], a, b) for n, a, b in features(words) if n in self.index]
            span = self._span(col, located, words, text, sentences)
            if span is None and words:  # the sentence as a whole scored it
                span = (words[0][1], words[-1][2])
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
        reasons={c: meta["reasons"].get(c, "") for c in categories},
        rewrites={c: tuple(meta["rewrites"].get(c, ())) for c in categories},
        meta=meta,
        vetoes={c: float(v) for c, v in meta.get("vetoes", {}).items()},
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
    meta["vetoes"] = {c: round(float(v), 4) for c, v in model.vetoes.items()}
    meta["rewrites"] = {c: list(r) for c, r in model.rewrites.items()}
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
