"""The rules engine: lexicon and customer-service rules only, and the reading every engine shares
(polarity, emotion and intensity from one score per emotion)."""

from __future__ import annotations

import math
import re
from functools import cached_property
from itertools import pairwise

import numpy as np

from caredesk.empathy.emotion.engines.words import FOREIGN_FUNCTION_WORDS, STOPWORDS, english_words
from caredesk.empathy.emotion.lexicon import Hit, Lexicon, LexScore
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
        return english_words()

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

    def _sentence_bases(
        self, prepared: Prepared, lex: LexScore, rules: RuleResult, spans: list[tuple[int, int]]
    ) -> list[np.ndarray]:
        """The base log-odds of each sentence; an engine with a network reads them in one batch."""
        return [self._sentence_base(prepared, lex, rules, a, b) for a, b in spans]

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
        # Past the classifier's reach, or before the customer says it is solved, do not count.
        spans = [
            (a, b)
            for a, b in content
            if b > last_solved and a < CLASSIFIER_CHARS and any(a <= at < b for at in negative_at)
        ]
        for (a, b), sentence in zip(
            spans, self._sentence_bases(prepared, lex, rules, spans), strict=True
        ):
            hits = [h for h in rules.hits_at if a <= h[0] < b]
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


def score_within(lex: LexScore, rules: RuleResult, spans: list[tuple[int, int]]) -> LexScore:
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
