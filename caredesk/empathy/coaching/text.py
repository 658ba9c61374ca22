"""Text plumbing for the coach: normalise without moving offsets, sentences, greeting, sign-off.

Every function keeps character offsets identical to the agent's draft, so a finding's span can be
highlighted and replaced in the original text.
"""

from __future__ import annotations

import re
from bisect import bisect_right

# One character in, one character out: offsets stay valid.
_NORMALISE = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "}
)
# Quoted text is the customer's or a system's words, not the agent's: blank it before scanning.
_QUOTED_RE = re.compile(r'"[^"\n]{1,400}"|^[ \t]*>[^\n]*', re.MULTILINE)
_SENTENCE_RE = re.compile(r"\S[^\n]*?(?:[.!?]+[\"')\]]*(?=\s|$)|(?=\n)|$)")
_GREETING_RE = re.compile(
    r"\s*(?:hi|hello|hey|hiya|dear|greetings|good (?:morning|afternoon|evening)|morning|afternoon"
    r"|evening)\b[^\n.,!?:;]{0,40}?[,!.:;\n]+(?:[ \t]*[A-Z][\w'-]{0,20}[,!.])?\s*",
    re.IGNORECASE,
)
_SIGNOFF_RE = re.compile(
    r"(?:\n[ \t]*(?:best|kind regards|regards|warm regards|best regards|best wishes|many thanks"
    r"|thanks|thank you|cheers|sincerely|yours sincerely|yours|all the best|take care|speak soon"
    r"|warmly|with thanks)\b[^\n]{0,40}(?:\n[^\n]{0,60}){0,4}|[ \t]+\^[A-Za-z]{1,4})\s*$",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")
_CLAUSE_MARKS = ",;:()\u2013\u2014"
_TERMINAL = ".!?\"')]"


def prepare(draft: str) -> str:
    """The text the rules scan: typographic quotes normalised and quoted passages blanked."""
    text = draft.translate(_NORMALISE)
    if '"' in text or ">" in text:
        text = _QUOTED_RE.sub(lambda m: " " * len(m.group(0)), text)
    return text


def sentence_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _SENTENCE_RE.finditer(text)]


def word_count(text: str) -> int:
    return len(_WORD_RE.findall(text))


def body_start(text: str) -> int:
    """Where the message proper begins, after a greeting such as "Hi Anna," if there is one."""
    match = _GREETING_RE.match(text)
    if match is None:
        return len(text) - len(text.lstrip())
    return match.end()


def body_end(text: str) -> int:
    """Where the message proper ends, before a sign-off such as "Best,\\nAlex" or "^JL"."""
    match = _SIGNOFF_RE.search(text)
    end = match.start() if match else len(text)
    return len(text[:end].rstrip())


class Sentences:
    """Sentence spans of one text with fast lookup of the sentence around an offset."""

    def __init__(self, text: str) -> None:
        self.spans = sentence_spans(text) or [(0, len(text))]
        self._starts = [start for start, _ in self.spans]

    def index(self, pos: int) -> int:
        return max(0, bisect_right(self._starts, pos) - 1)

    def around(self, pos: int) -> tuple[int, int]:
        return self.spans[self.index(pos)]

    def following_end(self, pos: int) -> int:
        """End of the sentence after the one holding ``pos`` (or of that one, if it is last)."""
        i = self.index(pos)
        return self.spans[min(i + 1, len(self.spans) - 1)][1]

    def end_of_first(self, start: int, count: int) -> int:
        """End of the ``count``-th sentence counted from the one holding ``start``."""
        i = self.index(start)
        return self.spans[min(i + count - 1, len(self.spans) - 1)][1]


def clause_span(text: str, sentence: tuple[int, int], start: int, end: int) -> tuple[int, int]:
    """Widen ``start:end`` to its clause: between commas, semicolons, colons, dashes or brackets."""
    s0, s1 = sentence
    left = max(text.rfind(mark, s0, start) for mark in _CLAUSE_MARKS)
    new_start = s0 if left < s0 else left + 1
    while new_start < start and text[new_start].isspace():
        new_start += 1
    rights = [i for i in (text.find(mark, end, s1) for mark in _CLAUSE_MARKS) if i != -1]
    new_end = min(rights) if rights else s1
    while new_end > end and (text[new_end - 1] in _TERMINAL or text[new_end - 1].isspace()):
        new_end -= 1
    return new_start, new_end


def at_sentence_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip()
    return not before or before[-1] in ".!?\n" or text[len(before) : pos].count("\n") > 0


def fit_case(rewrite: str, sentence_start: bool) -> str:
    """Capitalise a rewrite at the start of a sentence and lower-case it inside one.

    "I", "I'm" and acronyms keep their capital in either place.
    """
    if not rewrite:
        return rewrite
    if sentence_start:
        return rewrite[0].upper() + rewrite[1:]
    first = rewrite.split(" ", 1)[0]
    if first == "I" or first.startswith("I'") or first[:2].isupper():
        return rewrite
    return rewrite[0].lower() + rewrite[1:]
