"""The emotion engines: rules and lexicon only, the same rules on top of a linear classifier, and
on top of MiniLM blended with it.

Each turns a message into one score per emotion (log-odds), adds what the customer-service rules
say, and reads polarity, emotion and intensity from the result the same way. One engine per
module; the names stay importable from here, where the settings' dotted paths point.
"""

from __future__ import annotations

from caredesk.empathy.emotion.engines.linear import LinearEngine
from caredesk.empathy.emotion.engines.minilm import MiniLMEngine, MiniLMNumpyEngine, mix
from caredesk.empathy.emotion.engines.polar import PolarEngine
from caredesk.empathy.emotion.engines.rules import (
    CHAR_CACHE_WORDS,
    CLASSIFIER_CHARS,
    GROUPS,
    NEGATIVE,
    NEGATIVE_SENTENCE,
    RulesEngine,
)
from caredesk.empathy.emotion.engines.words import FOREIGN_FUNCTION_WORDS, STOPWORDS

__all__ = [
    "CHAR_CACHE_WORDS",
    "CLASSIFIER_CHARS",
    "FOREIGN_FUNCTION_WORDS",
    "GROUPS",
    "NEGATIVE",
    "NEGATIVE_SENTENCE",
    "STOPWORDS",
    "LinearEngine",
    "MiniLMEngine",
    "MiniLMNumpyEngine",
    "PolarEngine",
    "RulesEngine",
    "mix",
]
