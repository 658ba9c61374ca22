"""Features for the linear classifier, shared by training and inference so they cannot drift apart.

Word uni- and bigrams (words after a negation are marked "NEG_"), character n-grams within
words, and a few dense lexicon features. Training hands ``word_terms``/``char_terms`` to
scikit-learn as its analyzers; inference looks the same terms up in the stored vocabulary.
"""

from __future__ import annotations

import re
from itertools import pairwise

from caredesk.empathy.emotion.lexicon import LexScore
from caredesk.empathy.types import EMOTIONS

_WORD = re.compile(r"[a-z0-9_']+|[^\sa-z0-9_']")
_NEGATED = re.compile(r"\b(?:not|no|never|nothing|cannot|\w+n't)\b[^.,!?;:\n]*")
_SPACES = re.compile(r"\s\s+")
CHAR_RANGE = (2, 5)


def _mark(match: re.Match[str]) -> str:
    words = match.group(0).split()
    return " ".join(words[:1] + ["NEG_" + w for w in words[1:]])


def word_terms(text: str) -> list[str]:
    tokens = _WORD.findall(_NEGATED.sub(_mark, text.lower()))
    return tokens + [f"{a} {b}" for a, b in pairwise(tokens)]


def char_words(text: str) -> list[str]:
    """The words whose character n-grams `char_terms` takes (n-grams never cross words)."""
    return _SPACES.sub(" ", text.lower()).split()


def word_char_grams(word: str) -> list[str]:
    low, high = CHAR_RANGE
    padded = f" {word} "
    size = len(padded)
    grams: list[str] = []
    for n in range(low, min(high, size) + 1):
        grams += [padded[i : i + n] for i in range(size - n + 1)]
    return grams


def char_terms(text: str) -> list[str]:
    grams: list[str] = []
    for word in char_words(text):
        grams += word_char_grams(word)
    return grams


DENSE_NAMES: tuple[str, ...] = (
    "lex_pos",
    "lex_neg",
    "lex_compound",
    "exclaims",
    "questions",
    *(f"lex_{e}" for e in EMOTIONS),
)


def dense_features(lex: LexScore) -> list[float]:
    """Lexicon evidence the n-grams see poorly: summed valence, negated praise, punctuation."""
    counts = dict.fromkeys(EMOTIONS, 0.0)
    for hit in lex.hits:
        if not hit.emotion:
            continue
        if hit.negated and hit.emotion == "gratitude":
            counts["frustration"] += 1
        elif not hit.negated:
            counts[hit.emotion] += 1
    values = [
        lex.pos / 4,
        lex.neg / 4,
        lex.compound(),
        min(lex.exclaims, 3) / 3,
        min(lex.questions, 3) / 3,
    ]
    return values + [min(counts[e], 2) / 2 for e in EMOTIONS]
