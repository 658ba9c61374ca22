"""Getting a message ready to read: drop quoted history, cap the length, tokenise once.

Quoted history is blanked with spaces rather than cut out, so every offset into the live text is
also an offset into the original message and evidence spans can be highlighted as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Longer messages are read up to here: the start of a message says what it is about, and
# reading more would only cost time (a 50,000-character paste must not stall the inbox).
MAX_CHARS = 6000

_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
# Where a quoted reply begins; everything after it is the earlier conversation.
_HISTORY_START = re.compile(
    r"^[ \t]*(?:On\s[^\n]{0,200}?(?:\n[^\n]{0,200}?)?\bwrote:[ \t]*$"
    r"|-{2,}\s*(?:Original|Forwarded) Message\s*-{2,}"
    r"|From:[^\n]*\n(?:[^\n]*\n)?\s*(?:Sent|Date):)",
    re.MULTILINE | re.IGNORECASE,
)

TOKEN_RE = re.compile(
    r"[A-Za-z]+(?:['’][A-Za-z]+)*"  # words, with their apostrophes ("don't", "customer's")
    r"|\d+(?:[.,:]\d+)*"  # numbers, times, amounts
    r"|[:;=8xX][-'^]?[()\[\]DPpOo3/\\|*]+(?![A-Za-z0-9])|<3"  # emoticons
    r"|[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B50\u2764]"  # emoji (one code point each)
    r"|[!?]+"
)
_LETTER_RE = re.compile(r"[^\W\d_]", re.UNICODE)


@dataclass(frozen=True)
class Token:
    text: str  # as written
    lower: str
    start: int
    end: int


@dataclass(frozen=True)
class Prepared:
    original: str
    live: str  # same length as the original up to MAX_CHARS, quoted history blanked
    tokens: tuple[Token, ...]
    truncated: bool
    quoted_chars: int


def _blank(text: str, start: int, end: int) -> str:
    segment = text[start:end]
    return text[:start] + re.sub(r"[^\n]", " ", segment) + text[end:]


def strip_quoted(text: str) -> str:
    """Blank quoted lines ("> ...") and everything from an "On ... wrote:" header onwards."""
    match = _HISTORY_START.search(text)
    if match:
        text = _blank(text, match.start(), len(text))
    if ">" in text:
        text = _QUOTED_LINE.sub(lambda m: " " * len(m.group(0)), text)
    return text


def tokenize(text: str) -> tuple[Token, ...]:
    return tuple(
        Token(m.group(0), m.group(0).lower().replace("’", "'"), m.start(), m.end())
        for m in TOKEN_RE.finditer(text)
    )


def prepare(text: str) -> Prepared:
    truncated = len(text) > MAX_CHARS
    head = text[:MAX_CHARS]
    live = strip_quoted(head)
    quoted = 0
    if live != head:
        quoted = sum(1 for a, b in zip(head, live, strict=True) if a != b and a not in " \t")
    return Prepared(text, live, tokenize(live), truncated, quoted)


def non_latin_share(text: str) -> float:
    """Share of letters outside basic and accented Latin: a cheap sign of a foreign script."""
    letters = _LETTER_RE.findall(text)
    if not letters:
        return 0.0
    foreign = sum(1 for ch in letters if ord(ch) > 0x24F)
    return foreign / len(letters)
