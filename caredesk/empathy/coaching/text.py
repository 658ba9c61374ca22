"""Text plumbing for the coach: normalise without moving offsets, sentences, greeting, sign-off.

Every function keeps character offsets identical to the agent's draft, so a finding's span can be
highlighted and replaced in the original text.
"""

from __future__ import annotations

import re

# One character in, one character out: offsets stay valid.
_NORMALISE = (
    ("\u2019", "'"),
    ("\u2018", "'"),
    ("\u02bc", "'"),
    ("\u201c", '"'),
    ("\u201d", '"'),
    ("\u00a0", " "),
)
# Quoted text is the customer's or a system's words, not the agent's: blank it before scanning.
_QUOTED_RE = re.compile(r'"[^"\n]{1,400}"|^[ \t]*>[^\n]*', re.MULTILINE)
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
# A sentence ends at terminal punctuation followed by space, or at a blank line. Single line
# breaks do not end one (hard-wrapped email text stays whole), nor do "example.com" or "3.5".
_BOUNDARY_RE = re.compile(r"[.!?]+[\"')\]]*(?=\s|$)|\n[ \t]*\n")
_LOOKBACK = 400  # a sentence longer than this is cut for the rules' purposes
_CLAUSE_MARKS = ",;:()\u2013\u2014"
_TERMINAL = ".!?\"')]"


def prepare(draft: str) -> str:
    """The text the rules scan: typographic quotes normalised and quoted passages blanked."""
    text = draft
    if not text.isascii():  # str.replace per character beats str.translate by far
        for before, after in _NORMALISE:
            if before in text:
                text = text.replace(before, after)
    if '"' in text or ">" in text:
        text = _QUOTED_RE.sub(lambda m: " " * len(m.group(0)), text)
    return text


def word_count(text: str) -> int:
    """Whitespace-separated words: cheap, and close enough for the length thresholds."""
    return len(text.split())


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
    """Sentence boundaries of one text, found locally around the offsets asked about.

    Splitting a whole long draft costs more than the rules themselves, and most drafts only need
    the sentence around a handful of matches.
    """

    def __init__(self, text: str) -> None:
        self.text = text

    def around(self, pos: int) -> tuple[int, int]:
        return self._start_before(pos), self._end_after(pos)

    def following_end(self, pos: int) -> int:
        """End of the sentence after the one holding ``pos`` (or of that one, if it is last)."""
        end = self._end_after(pos)
        return self._end_after(end) if end < len(self.text) else end

    def end_of_first(self, start: int, count: int) -> int:
        """End of the ``count``-th sentence counted from the one holding ``start``."""
        end = self._end_after(start)
        for _ in range(count - 1):
            if end >= len(self.text):
                break
            end = self._end_after(end)
        return end

    def _start_before(self, pos: int) -> int:
        text = self.text
        floor = max(0, pos - _LOOKBACK)
        start, end = floor, pos
        while end > floor:  # walk back over candidate marks until one ends a sentence
            mark = max(
                text.rfind(".", floor, end),
                text.rfind("!", floor, end),
                text.rfind("?", floor, end),
                text.rfind("\n", floor, end),
            )
            if mark < 0:
                break
            if text[mark] == "\n":
                previous = text.rfind("\n", floor, mark)
                if previous >= 0 and not text[previous + 1 : mark].strip(" \t"):
                    start = mark + 1  # a blank line
                    break
            else:
                boundary = _BOUNDARY_RE.match(text, mark)
                if boundary is not None and boundary.end() <= pos:
                    start = boundary.end()
                    break
            end = mark
        while start < pos and text[start].isspace():
            start += 1
        return start

    def _end_after(self, pos: int) -> int:
        text = self.text
        while pos < len(text) and text[pos].isspace():
            pos += 1
        match = _BOUNDARY_RE.search(text, pos)
        end = len(text) if match is None else match.end()
        if match is not None and match.group(0)[0] == "\n":
            end = match.start()
        while end > pos and text[end - 1].isspace():
            end -= 1
        return max(end, pos)


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
