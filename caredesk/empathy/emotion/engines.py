"""The emotion engines: rules and lexicon only, and the same rules on top of a linear classifier.

Both turn a message into one score per emotion (log-odds), add what the customer-service rules say,
and read polarity, emotion and intensity from the result the same way.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from caredesk.empathy.emotion.features import (
    char_words,
    dense_features,
    word_char_grams,
    word_terms,
)
from caredesk.empathy.emotion.lexicon import DATA, Hit, Lexicon, LexScore
from caredesk.empathy.emotion.rules import RuleBook, RuleResult, apply_rules, lowered
from caredesk.empathy.emotion.text import Prepared, non_latin_share, prepare
from caredesk.empathy.types import EMOTIONS, Evidence, Reading

CLASSIFIER_CHARS = 1200
CHAR_CACHE_WORDS = 200_000  # words whose n-gram columns are kept (a few tens of MB at most)
NEGATIVE = ("anger", "frustration", "worry", "sadness")
GROUPS = {"negative": NEGATIVE, "neutral": ("neutral", "confusion"), "positive": ("gratitude",)}
_INDEX = {e: i for i, e in enumerate(EMOTIONS)}
_POLARITY = {e: g for g, members in GROUPS.items() for e in members}
# Sentence ends: a run of . ! ? before white space, or a line break.
_SENTENCE_BREAK = re.compile(r"[.!?]+(?=\s)\s*|\n\s*")
_WORDS = re.compile(r"[a-z][a-z'’-]*")
# Words that may sit between politeness formulas without making the sentence say anything.
_FILLER = frozenset(
    ["so", "and", "again", "also", "as", "always", "once", "all", "everyone", "guys", "folks",
     "team", "in", "advance", "much", "very", "the", "lot", "a", "for", "you", "your", "of", "to",
     "with", "p", "s", "ps", "x", "xx"]
)  # fmt: skip
# A content sentence is confidently negative at this probability of the negative classes.
NEGATIVE_SENTENCE = 0.8
_PRIOR = {"neutral": 1.5, "confusion": -0.5, "gratitude": 0.0} | dict.fromkeys(NEGATIVE, -0.7)

# Function words: nearly every English message has some, and other languages nearly none.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "here",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "me",
        "more",
        "my",
        "no",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "our",
        "out",
        "please",
        "so",
        "some",
        "still",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "they",
        "this",
        "to",
        "too",
        "up",
        "us",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yes",
        "hi",
        "hello",
        "thanks",
        "thank",
        "dear",
        "im",
        "i'm",
        "i've",
        "don't",
        "can't",
        "won't",
        "it's",
    ]
)

# Function words of the languages customers most often write in besides English; "no", "me", "a"
# and the like are left out because English shares them.
FOREIGN_FUNCTION_WORDS = frozenset(
    [
        "de",
        "la",
        "el",
        "los",
        "las",
        "que",
        "y",
        "es",
        "una",
        "un",
        "por",
        "para",
        "con",
        "del",
        "al",
        "lo",
        "le",
        "les",
        "des",
        "du",
        "et",
        "est",
        "je",
        "pas",
        "mon",
        "ma",
        "mes",
        "ne",
        "sur",
        "avec",
        "pour",
        "ce",
        "cette",
        "qui",
        "nous",
        "vous",
        "il",
        "elle",
        "c'est",
        "j'ai",
        "n'ai",
        "und",
        "ist",
        "nicht",
        "das",
        "der",
        "die",
        "ein",
        "eine",
        "ich",
        "mein",
        "meine",
        "noch",
        "mit",
        "auf",
        "sie",
        "wir",
        "het",
        "een",
        "niet",
        "nog",
        "mijn",
        "ik",
        "en",
        "van",
        "ook",
        "maar",
        "il",
        "è",
        "non",
        "ho",
        "ma",
        "di",
        "che",
        "per",
        "sono",
        "mi",
        "nadie",
        "todavía",
        "pero",
        "muy",
        "está",
        "não",
        "em",
        "um",
        "uma",
        "com",
        "está",
        "eu",
    ]
)


def _english_words() -> frozenset[str]:
    path = DATA / "english_words.txt"
    if not path.exists():
        return STOPWORDS
    return STOPWORDS | frozenset(path.read_text(encoding="utf-8").split())


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    out: np.ndarray = shifted / shifted.sum()
    return out


class RulesEngine:
    """Lexicon and rules only: no model file, fully explainable, the fallback engine."""

    name = "rules"
    version = "1.0"
    inline = True  # fast enough to read each message as it arrives (see bench/bench_emotion.py)
    rule_weight = 1.0  # how far the customer-service rules move the base scores
    complaint_shift = 0.0
    # Polarity first (the largest of negative, neutral, positive), then the top emotion inside it:
    # the hand-set scores spread a complaint over four negative classes. The linear engine takes
    # the most likely emotion and reads polarity from it (about a point more macro-F1 on dev).
    # Either way the two never contradict each other.
    polarity_first = True

    @cached_property
    def lexicon(self) -> Lexicon:
        return Lexicon.load()

    @cached_property
    def book(self) -> RuleBook:
        return RuleBook.load()

    @cached_property
    def words(self) -> frozenset[str]:
        return _english_words()

    def analyze(self, text: str) -> Reading:
        prepared = prepare(text or "")
        if self._foreign(prepared):
            return self._neutral(prepared, "language")
        if not prepared.tokens:
            return self._neutral(prepared, "empty")
        letters = [t.text for t in prepared.tokens if t.text[0].isalpha()]
        shouting = len(letters) > 2 and all(w.isupper() for w in letters)
        lex = self.lexicon.score(prepared.tokens, shouting)
        rules = apply_rules(prepared.live, lex, self.book)
        sentences = self._sentences(prepared.live, rules)
        content = [(a, b) for a, b, kind in sentences if kind == "content"]
        spans = None
        if content and len(content) < len(sentences):
            # Greetings, sign-offs and politeness formulas are courtesy, not an opinion: the
            # message is read without them ("Many thanks in advance. Best wishes, Paula").
            spans = content
            self._ignore_outside(lex, rules, spans)
        logits = self._base_logits(prepared, lex, rules, spans) + self.rule_adjustment(rules)
        if len(content) > 1:
            logits = self._negative_sentences(prepared, lex, rules, content, logits)
        return self._reading(prepared, lex, rules, logits, shouting)

    # -- sentences -----------------------------------------------------------------------------

    def _sentences(self, live: str, rules: RuleResult) -> list[tuple[int, int, str]]:
        """(start, end, kind) of each sentence; kind is "content", "courtesy" (greeting, sign-off,
        politeness formula, a name) or "thanks" (bare thanks). Bare thanks count as courtesy when
        the message asks or complains about something, and as an opinion otherwise."""
        cuts = [m.end() for m in _SENTENCE_BREAK.finditer(live)]
        bounds = [0, *(c for c in cuts if 0 < c < len(live)), len(live)]
        book = self.book
        whole = live.lower()
        if len(bounds) == 2 or not (
            book.courtesy.search(whole) or book.thanks.search(whole) or len(live) - bounds[-2] < 30
        ):
            return [(a, b, "content") for a, b in pairwise(bounds) if live[a:b].strip()]
        out: list[tuple[int, int, str]] = []
        last = len(bounds) - 3
        for k, (a, b) in enumerate(pairwise(bounds)):
            text = live[a:b]
            if not text.strip():
                continue
            if a >= CLASSIFIER_CHARS and k < last:  # the middle of a long message is content
                out.append((a, b, "content"))
                continue
            low = text.lower()
            if len(low) != len(text):
                out.append((a, b, "content"))
                continue
            rest = book.courtesy.sub(lambda m: " " * len(m.group(0)), low)
            courteous = rest != low
            bare = book.thanks.sub(lambda m: " " * len(m.group(0)), rest)
            thanked = bare != rest
            left = [m for m in _WORDS.finditer(bare) if m.group(0) not in _FILLER]
            names = len(left) <= 3 and all(text[m.start()].isupper() for m in left)
            # A name alone on the last line is a signature ("Theo"); "Wow." or "Yes." is not.
            signature = (
                b == len(live)
                and bool(left)
                and not any(m.group(0) in self.lexicon.valence for m in left)
            )
            if (courteous or thanked or signature) and names and "?" not in text:
                out.append((a, b, "thanks" if thanked and not courteous else "courtesy"))
            else:
                out.append((a, b, "content"))
        if any(kind == "thanks" for _, _, kind in out):
            asks = bool(rules.hits_at) or "?" in live
            if asks and any(kind == "content" for _, _, kind in out):
                out = [(a, b, "courtesy" if k == "thanks" else k) for a, b, k in out]
            else:
                out = [(a, b, "content" if k == "thanks" else k) for a, b, k in out]
        return out

    @staticmethod
    def _ignore_outside(lex: LexScore, rules: RuleResult, spans: list[tuple[int, int]]) -> None:
        """Positive words outside the content sentences are politeness, not praise."""
        for i, hit in enumerate(lex.hits):
            at = hit.token.start
            outside = not any(a <= at < b for a, b in spans)
            if hit.valence > 0 and i not in rules.ignored_hits and outside:
                rules.ignored_hits.add(i)
                rules.valence -= hit.valence

    def _sentence_base(
        self, prepared: Prepared, lex: LexScore, rules: RuleResult, start: int, end: int
    ) -> np.ndarray:
        """The base log-odds of one sentence (the lexicon's, here)."""
        return self._base_logits(prepared, lex, rules, [(start, end)])

    def _negative_sentences(
        self,
        prepared: Prepared,
        lex: LexScore,
        rules: RuleResult,
        content: list[tuple[int, int]],
        logits: np.ndarray,
    ) -> np.ndarray:
        """A confidently negative sentence decides the polarity: "I am really angry now." is not
        outvoted by "definitely" and "sorted" elsewhere. Sentences before the customer says the
        problem is solved ("it works now, thank you") do not count."""
        neg_index = [_INDEX[e] for e in NEGATIVE]
        current = EMOTIONS[int(logits.argmax())] if not self.polarity_first else None
        group = _softmax(logits)
        if current in NEGATIVE or (
            current is None
            and group[neg_index].sum()
            >= max(
                group[[_INDEX["neutral"], _INDEX["confusion"]]].sum(), group[_INDEX["gratitude"]]
            )
        ):
            return logits  # already negative
        strong = [
            h.token.start
            for i, h in enumerate(lex.hits)
            if h.valence <= -1.5 and i not in rules.ignored_hits
        ]
        negative_at = strong + [h[0] for h in rules.hits_at if h[1] in NEGATIVE]
        if not negative_at:
            return logits
        solved = [m.start() for m in self.book.resolution.finditer(lowered(prepared.live))]
        last_solved = max(solved) if solved else -1
        votes = np.zeros(len(EMOTIONS))
        for a, b in content:
            # Past the classifier's reach, or before the customer says it is solved.
            if b <= last_solved or a >= CLASSIFIER_CHARS:
                continue
            if not any(a <= at < b for at in negative_at):
                continue
            hits = [h for h in rules.hits_at if a <= h[0] < b]
            sentence = self._sentence_base(prepared, lex, rules, a, b)
            for _, emotion, weight, _ in hits:
                sentence[_INDEX[emotion]] += self.rule_weight * weight
            if any(complaint for _, _, _, complaint in hits):
                sentence[_INDEX["neutral"]] -= self.complaint_shift
                sentence[_INDEX["confusion"]] -= 2 * self.complaint_shift
            probs = _softmax(sentence)
            if probs[neg_index].sum() >= NEGATIVE_SENTENCE:
                votes += probs
        if not votes.any():
            return logits
        chosen = max(neg_index, key=lambda i: votes[i])
        logits = logits.copy()
        logits[chosen] = max(logits[chosen], float(logits.max())) + 1.0
        return logits

    # -- scoring -------------------------------------------------------------------------------

    def rule_adjustment(self, rules: RuleResult) -> np.ndarray:
        """What the customer-service rules add to the base scores (training uses it too)."""
        adjustment = np.array([self.rule_weight * rules.boosts[e] for e in EMOTIONS])
        if rules.complaint:
            # A complaint phrased as a question ("where is my bag?") is neither calm nor confused.
            adjustment[_INDEX["neutral"]] -= self.complaint_shift
            adjustment[_INDEX["confusion"]] -= 2 * self.complaint_shift
        return adjustment

    def _base_logits(
        self,
        prepared: Prepared,
        lex: LexScore,
        rules: RuleResult,
        spans: list[tuple[int, int]] | None = None,
    ) -> np.ndarray:
        # Priors: with no evidence a message is neutral, and four negative classes must not
        # outvote it just by being four.
        logits = np.array([_PRIOR[e] for e in EMOTIONS])
        for i, hit in enumerate(lex.hits):
            if i in rules.ignored_hits:
                continue
            if spans is not None and not any(a <= hit.token.start < b for a, b in spans):
                continue
            value = hit.valence
            strength = abs(value)
            if hit.emotion and not hit.negated and (value >= 0 or hit.emotion != "gratitude"):
                logits[_INDEX[hit.emotion]] += max(strength, 1.5)
            elif hit.negated and hit.emotion == "gratitude":  # "not happy", "not impressed"
                logits[_INDEX["frustration"]] += strength
                logits[_INDEX["sadness"]] += 0.4 * strength
            elif value < 0:
                logits[_INDEX["frustration"]] += 0.8 * strength
                logits[_INDEX["sadness"]] += 0.3 * strength
                logits[_INDEX["anger"]] += 0.2 * strength
            else:
                logits[_INDEX["gratitude"]] += 0.9 * strength
        if lex.exclaims and lex.total < 0:
            logits[_INDEX["anger"]] += 0.3 * min(lex.exclaims, 3)
        return logits

    def _reading(
        self,
        prepared: Prepared,
        lex: LexScore,
        rules: RuleResult,
        logits: np.ndarray,
        shouting: bool,
    ) -> Reading:
        probs = _softmax(logits)
        group = {g: float(sum(probs[_INDEX[e]] for e in members)) for g, members in GROUPS.items()}
        if self.polarity_first:
            polarity = max(group, key=lambda g: group[g])
            emotion = max(GROUPS[polarity], key=lambda e: probs[_INDEX[e]])
        else:
            emotion = EMOTIONS[int(probs.argmax())]
            polarity = _POLARITY[emotion]
        valence = lex.total + rules.valence
        compound = valence / math.sqrt(valence * valence + 15.0)
        intensity = self._intensity(compound, group, lex, rules, shouting)
        evidence = self._evidence(emotion, polarity, lex, rules)
        return Reading(
            emotion=emotion,
            scores={e: round(float(probs[i]), 4) for i, e in enumerate(EMOTIONS)},
            polarity=polarity,
            intensity=round(intensity, 3),
            signals=tuple(rules.signals),
            evidence=tuple(evidence),
            confidence=round(group[polarity] * float(probs[_INDEX[emotion]]) / group[polarity], 3)
            if group[polarity]
            else 0.0,
            low_confidence=False,
            engine=self.name,
            version=self.version,
            extra={
                "compound": round(compound, 4),
                "polarity_scores": {g: round(p, 4) for g, p in group.items()},
                "sarcasm": rules.sarcasm,
                "truncated": prepared.truncated,
                "quoted_chars": prepared.quoted_chars,
            },
        )

    @staticmethod
    def _intensity(
        compound: float, group: dict[str, float], lex: LexScore, rules: RuleResult, shouting: bool
    ) -> float:
        """How strongly the customer feels: how sure we are it is not neutral, the lexicon's
        force per word (so long calm messages are not read as intense), shouting and risk."""
        words = max(1, lex.words)
        force = min(1.0, (lex.pos - lex.neg) / words / 1.5)
        value = 0.45 * max(group["positive"], group["negative"]) + 0.25 * force
        value += 0.15 * abs(compound)
        value += 0.05 * min(lex.caps, 3) / 3 + 0.05 * min(lex.exclaims, 3) / 3
        value += 0.1 * min(lex.boosters, 2) / 2 + (0.1 if shouting else 0.0)
        value += 0.05 * len(rules.signals)
        return max(0.0, min(1.0, value))

    @staticmethod
    def _evidence(emotion: str, polarity: str, lex: LexScore, rules: RuleResult) -> list[Evidence]:
        spans: list[Evidence] = []
        for i, hit in enumerate(lex.hits):
            if i in rules.ignored_hits:
                continue
            sign_fits = (hit.valence < 0) if polarity == "negative" else (hit.valence > 0)
            if (hit.emotion == emotion and not hit.negated) or (
                polarity != "neutral" and sign_fits
            ):
                token = hit.token
                spans.append(Evidence(token.start, token.end, token.text, emotion))
        for cue in rules.cue_spans:
            if cue.label == emotion or (polarity == "negative" and cue.label in NEGATIVE):
                spans.append(Evidence(cue.start, cue.end, cue.text, emotion))
        spans.sort(key=lambda e: (e.start, e.end))
        return spans + list(rules.evidence)

    # -- what we cannot read -------------------------------------------------------------------

    def _foreign(self, prepared: Prepared) -> bool:
        """True when the words are mostly not English: better no reading than a wrong one."""
        words = [t.lower for t in prepared.tokens if t.lower[0].isalpha()]
        if non_latin_share(prepared.live) > 0.3:
            return True
        if len(words) < 3:
            return False
        known = sum(1 for w in words if w in self.words or w in self.lexicon.valence) / len(words)
        english = sum(1 for w in words if w in STOPWORDS)
        foreign = sum(1 for w in words if w in FOREIGN_FUNCTION_WORDS)
        if foreign > english and (foreign >= 2 or known < 0.5):
            return True
        # A short English headline or signature ("Bangladesh ferry sinks, 15 dead") is mostly
        # names and rare words; only a longer text with so few known words is taken as foreign.
        return len(words) >= 6 and known < 0.3

    def _neutral(self, prepared: Prepared, reason: str) -> Reading:
        scores = dict.fromkeys(EMOTIONS, 0.0)
        scores["neutral"] = 1.0
        low = reason != "empty"
        if low:
            scores = {e: round(1 / len(EMOTIONS), 4) for e in EMOTIONS}
        return Reading(
            emotion="neutral",
            scores=scores,
            polarity="neutral",
            intensity=0.0,
            confidence=0.0 if low else 1.0,
            low_confidence=low,
            engine=self.name,
            version=self.version,
            extra={"reason": reason, "truncated": prepared.truncated},
        )


def _part(lex: LexScore, rules: RuleResult, spans: list[tuple[int, int]]) -> LexScore:
    """The lexicon's reading of some sentences of the message (hits read as politeness left out)."""
    part = LexScore(boosters=lex.boosters, caps=lex.caps)
    hits: list[Hit] = []
    for i, hit in enumerate(lex.hits):
        at = hit.token.start
        if i in rules.ignored_hits or not any(a <= at < b for a, b in spans):
            continue
        hits.append(hit)
        if hit.valence > 0:
            part.pos += hit.valence
        else:
            part.neg += hit.valence
    part.hits = hits
    part.exclaims = lex.exclaims
    part.questions = lex.questions
    part.words = lex.words
    return part


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
        return self.logits(text, _part(lex, rules, spans))


class MiniLMEngine(LinearEngine):
    """The rules on top of MiniLM fine-tuned on GoEmotions (``minilm.py``), blended with the
    linear classifier: the most accurate engine, and about 50 messages a second on one core, so
    the desk reads with it in the background (docs/emotion.md)."""

    name = "minilm"
    inline = False
    takes_model_dir = True  # `get_engine(..., model_dir=)`: where the base model's files are

    def __init__(
        self,
        path: Path | None = None,
        linear_path: Path | None = None,
        model_dir: Path | None = None,
    ) -> None:
        from caredesk.empathy.emotion.minilm import TUNED, MiniLM

        super().__init__(linear_path)
        self.network = MiniLM(path or TUNED, base=model_dir)
        self._cache: dict[str, tuple[np.ndarray, float]] = {}

    @property
    def version(self) -> str:  # type: ignore[override]
        return f"{self.network.version} + {self.model['version']}"

    def ready(self) -> None:
        """Load the network now; raises ``ModelMissing`` with what to install if it cannot."""
        _ = self.network.weights

    def prime(self, texts: list[str]) -> None:
        """Run the network over many messages at once (batched, several times faster than one by
        one); ``analyze`` then finds their logits here. Used by the evaluation and the sweep."""
        wanted = [prepare(t or "").live[:CLASSIFIER_CHARS] for t in texts]
        wanted = list(dict.fromkeys(w for w in wanted if w and w not in self._cache))
        for start in range(0, len(wanted), 512):
            chunk = wanted[start : start + 512]
            if len(self._cache) + len(chunk) > 50_000:
                self._cache.clear()
            rows, seen = self.network.read(chunk)
            self._cache.update(zip(chunk, zip(rows, seen.tolist(), strict=True), strict=True))

    def logits(self, text: str, lex: LexScore) -> np.ndarray:
        tuned = self.network.tuned
        found = self._cache.get(text)
        if found is None:  # not primed: one message as it arrives (not kept, so benches stay fair)
            rows, seen = self.network.read([text])
            found = (rows[0], float(seen[0]))
        return mix(found[0], super().logits(text, lex), found[1], tuned)


def mix(
    network: np.ndarray, linear: np.ndarray, seen: float | np.ndarray, tuned: dict[str, Any]
) -> np.ndarray:
    """The minilm engine's base log-odds: the network (scaled) with some of the linear classifier,
    and the linear classifier alone for what the network cannot see (emoji and symbols are [UNK]
    to it, so "😡😡" is all but invisible); ``seen`` is the share of tokens it can."""
    both = float(tuned["scale"]) * network + float(tuned["blend"]) * linear
    seen = np.asarray(seen)[..., None] if np.ndim(seen) else seen
    return np.asarray(seen * both + (1.0 - seen) * linear + tuned["offsets"])
