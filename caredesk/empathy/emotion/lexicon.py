"""A fast VADER-style valence scorer over our own lexicon layered on VADER's word list.

VADER's ``SentimentIntensityAnalyzer`` rescans the text per word and slows down sharply on long
messages, so we read its lexicon file directly and score each token once, keeping VADER's published
constants for negation, boosters, capitals and punctuation.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from caredesk.empathy.emotion.text import Token

DATA = Path(__file__).resolve().parent / "data"

B_INCR = 0.293  # VADER: booster words
C_INCR = 0.733  # VADER: a word in capitals inside mixed-case text
N_SCALAR = -0.74  # VADER: a negated word keeps about three quarters of its force, reversed
ALPHA = 15.0  # VADER's normalisation of the valence sum into -1..1

NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "nowhere",
        "neither",
        "nor",
        "without",
        "cannot",
        "cant",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "arent",
        "werent",
        "havent",
        "hasnt",
        "hadnt",
        "wont",
        "wouldnt",
        "shouldnt",
        "couldnt",
        "aint",
        "nope",
        "don't",
        "doesn't",
        "didn't",
        "isn't",
        "wasn't",
        "aren't",
        "weren't",
        "haven't",
        "hasn't",
        "hadn't",
        "won't",
        "wouldn't",
        "shouldn't",
        "couldn't",
        "can't",
        "ain't",
    ]
)
BOOSTERS = frozenset(
    [
        "absolutely",
        "amazingly",
        "awfully",
        "completely",
        "considerably",
        "deeply",
        "enormously",
        "entirely",
        "especially",
        "exceptionally",
        "extremely",
        "fully",
        "greatly",
        "highly",
        "hugely",
        "incredibly",
        "intensely",
        "majorly",
        "more",
        "most",
        "particularly",
        "purely",
        "quite",
        "really",
        "remarkably",
        "so",
        "substantially",
        "thoroughly",
        "totally",
        "tremendously",
        "truly",
        "unbelievably",
        "utterly",
        "very",
        "super",
        "seriously",
        "insanely",
        "ridiculously",
    ]
)
DOWNTONERS = frozenset(
    [
        "almost",
        "barely",
        "hardly",
        "slightly",
        "somewhat",
        "marginally",
        "occasionally",
        "partly",
        "scarcely",
        "bit",
        "little",
        "kinda",
        "sorta",
        "fairly",
        "rather",
    ]
)


@dataclass(frozen=True)
class Hit:
    token: Token
    valence: float  # after negation, boosters and capitals
    emotion: str  # "" when the word only carries polarity
    negated: bool


@dataclass
class LexScore:
    pos: float = 0.0
    neg: float = 0.0
    boosters: int = 0
    caps: int = 0
    exclaims: int = 0
    questions: int = 0
    words: int = 0
    hits: list[Hit] = field(default_factory=list)

    @property
    def total(self) -> float:
        return self.pos + self.neg

    def compound(self, extra: float = 0.0) -> float:
        score = self.total + extra
        return score / math.sqrt(score * score + ALPHA)


def _vader_lexicon_path() -> Path:
    spec = importlib.util.find_spec("vaderSentiment")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the vaderSentiment package is needed for its lexicon file")
    return Path(next(iter(spec.submodule_search_locations))) / "vader_lexicon.txt"


def _read_tsv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8") as handle:
        return [
            line.rstrip("\n").split("\t")
            for line in handle
            if line.strip() and not line.startswith("#")
        ]


@dataclass(frozen=True)
class Lexicon:
    valence: dict[str, float]
    emotion: dict[str, str]

    @classmethod
    @lru_cache(maxsize=1)
    def load(cls) -> Lexicon:
        valence: dict[str, float] = {}
        for row in _read_tsv(_vader_lexicon_path()):
            valence.setdefault(row[0].lower(), float(row[1]))
        emotion: dict[str, str] = {}
        for name in ("lexicon.tsv", "emoji.tsv"):
            for word, value, feeling in _read_tsv(DATA / name):
                if value != "=":
                    valence[word] = float(value)
                if feeling != "-":
                    emotion[word] = feeling
        return cls(valence, emotion)

    def score(self, tokens: tuple[Token, ...], shouting: bool = False) -> LexScore:
        """Sum the valence of the tokens; ``shouting`` means the whole text is in capitals."""
        result = LexScore()
        lower = [t.lower for t in tokens]
        try:
            but_at = lower.index("but")
        except ValueError:
            but_at = -1
        result.words = sum(1 for w in lower if w[0].isalpha())
        for i, token in enumerate(tokens):
            word = lower[i]
            if word[0] in "!?":
                if word[0] == "!":
                    result.exclaims += len(word)
                else:
                    result.questions += len(word)
                continue
            value = self.valence.get(word)
            if value is None:
                value = self.valence.get(word.rstrip("s")) if len(word) > 3 else None
            if value is None or value == 0.0:
                if word in BOOSTERS:
                    result.boosters += 1
                continue
            negated = False
            for back in (1, 2, 3):
                j = i - back
                if j < 0:
                    break
                prev = lower[j]
                scalar = B_INCR * (1.0 - 0.05 * (back - 1))
                if prev in BOOSTERS:
                    value += scalar if value > 0 else -scalar
                elif prev in DOWNTONERS:
                    value -= scalar if value > 0 else -scalar
                elif prev in NEGATIONS or prev.endswith("n't"):
                    negated = True
            if not shouting and len(token.text) > 1 and token.text.isupper():
                value += C_INCR if value > 0 else -C_INCR
                result.caps += 1
            if negated:
                value *= N_SCALAR
            if but_at >= 0:
                value *= 0.5 if i < but_at else 1.5
            if value > 0:
                result.pos += value
            else:
                result.neg += value
            result.hits.append(Hit(token, value, self.emotion.get(word, ""), negated))
        emphasis = min(result.exclaims, 4) * 0.292
        if result.questions > 1:
            emphasis += 0.96 if result.questions > 3 else 0.18 * result.questions
        if result.total > 0:
            result.pos += emphasis
        elif result.total < 0:
            result.neg -= emphasis
        return result
