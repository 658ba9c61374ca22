"""Run the large rule regexes over one text by trying them only where a match can begin.

Python's regex engine tries every alternative of a pattern at every position of the text. Most rule
patterns begin with ``\\b`` and a literal word (``\\bstill\\s+…``, ``\\b(?:can'?t|cannot)…``), so a
match of them can only start at a word spelled that way. ``WordScan`` derives those first words from
the parsed patterns (never by hand, so they follow ``rules.toml``), splits the text into words once,
and runs the rule's full regex with ``match`` only at the starts of words that can begin a match.
The parts of a rule whose first word cannot be told (no leading ``\\b``, a character class first)
are compiled into a smaller "rest" regex that is searched for as usual; its matches are further
places to try the full regex. The full regex decides at every place it is tried, and a match that
runs past the next place suppresses it, so the matches are exactly those of ``regex.finditer``
(leftmost first, non-overlapping, the same alternative at the same position). A rule that may match
the empty string, or whose flags are not the default, is scanned in full as before.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

# The standard library's private regex parser; imported by name because some type stubs ship
# `re` as one module without these submodules (mypy 1.19's typeshed).
_sre_parser: Any = importlib.import_module("re._parser")
_C: Any = importlib.import_module("re._constants")
_WORD = re.compile(r"\w+")
_IS_WORD = re.compile(r"\w")
_BOUNDARY = "\x00"  # stands for \b in a derived prefix; the rule patterns have no NUL literal
_DIGIT = "\x01"  # stands for \d (a Unicode decimal digit, str.isdecimal)
_MAX_PREFIXES = 256  # a prefix set stops growing here (the shorter prefixes stay valid)
_CACHE_WORDS = 100_000  # words whose candidate rules are kept
_END = 1 << 62  # past the end of any text


class _Unknown(Exception):
    """The start of a pattern cannot be told as literal words."""


def _join(heads: set[str], tails: set[str]) -> set[str] | None:
    if len(heads) * len(tails) > _MAX_PREFIXES:
        return None
    return {h + t for h in heads for t in tails}


def _prefixes(items: Sequence[Any]) -> tuple[set[str], bool]:
    """Strings of which every match of ``items`` starts with one, and whether they are whole.

    Whole means each string is an entire match of ``items``, so what follows may be appended.
    ``_BOUNDARY`` marks a ``\\b``; lookarounds are skipped (they only narrow where it matches).
    """
    heads = {""}
    for k, (op, av) in enumerate(items):
        if op is _C.LITERAL and chr(av) not in (_BOUNDARY, _DIGIT):
            tails = {chr(av)}
        elif op is _C.AT:
            if av is not _C.AT_BOUNDARY:
                return heads, False
            tails = {_BOUNDARY}
        elif op in (_C.ASSERT, _C.ASSERT_NOT):
            continue
        elif op is _C.SUBPATTERN:
            add_flags, del_flags, sub = av[1], av[2], av[3]
            if add_flags or del_flags:
                raise _Unknown
            tails, whole = _prefixes(sub)
            if not whole:
                joined = _join(heads, tails)
                return (heads if joined is None else joined), False
        elif op is _C.BRANCH:
            tails, whole = set(), True
            for branch in av[1]:
                sub_tails, sub_whole = _prefixes(branch)
                tails |= sub_tails
                whole = whole and sub_whole
            if not whole:
                joined = _join(heads, tails)
                return (heads if joined is None else joined), False
        elif op is _C.IN and all(o is _C.LITERAL and a > 1 for o, a in av):
            tails = {chr(a) for _, a in av}
        elif op is _C.IN and av == [(_C.CATEGORY, _C.CATEGORY_DIGIT)]:
            tails = {_DIGIT}
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT):
            low, high, sub = av
            sub_tails, sub_whole = _prefixes(sub)
            if low == 0 and high == 1 and sub_whole:
                tails = sub_tails | {""}
            else:
                if low == 0:  # skipped altogether, the match goes on with what follows
                    sub_tails = sub_tails | _prefixes(items[k + 1 :])[0]
                joined = _join(heads, sub_tails)
                return (heads if joined is None else joined), False
        else:
            return heads, False
        joined = _join(heads, tails)
        if joined is None:
            return heads, False
        heads = joined
    return heads, True


def first_words(part: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """(whole words, word beginnings) at which every match of ``part`` (default flags) starts.

    The beginning ``_DIGIT`` stands for any word that starts with a digit.

    None when a match may start elsewhere than at the start of such a word.
    """
    try:
        parsed = _sre_parser.parse(part, 0)
        if parsed.state.flags & ~re.UNICODE:
            return None
        heads, _ = _prefixes(list(parsed))
    except (_Unknown, RecursionError):
        return None
    exact: set[str] = set()
    stems: set[str] = set()
    for head in heads:
        rest = head.lstrip(_BOUNDARY)
        if rest == head:  # no \b before the first character: it may match inside a word
            return None
        if rest.startswith(_DIGIT):  # a word that starts with a digit
            stems.add(_DIGIT)
            continue
        word = ""
        for ch in rest:
            if ch == _BOUNDARY or not _IS_WORD.match(ch):
                break
            word += ch
        if not word:
            return None
        # a \b or a non-word character ends the first word here; a digit does not
        if len(word) < len(rest) and rest[len(word)] != _DIGIT:
            exact.add(word)
        else:
            stems.add(word)
    return frozenset(exact), frozenset(stems)


def _min_width(pattern: str, flags: int) -> int:
    try:
        return int(_sre_parser.parse(pattern, flags).getwidth()[0])
    except (re.error, RecursionError, OverflowError):
        return 0


@dataclass(frozen=True)
class Rule:
    """A rule regex (an alternation of its parts) and how ``WordScan`` finds its matches."""

    regex: re.Pattern[str]
    words: tuple[frozenset[str], frozenset[str]] | None  # first words of the indexed parts
    rest: re.Pattern[str] | None  # the other parts, searched for in full


def _refers(items: Any) -> bool:
    """Whether a parsed pattern refers back to a group (its parts could not be run alone)."""
    for op, av in items:
        if op in (_C.GROUPREF, _C.GROUPREF_EXISTS):
            return True
        for arg in av if isinstance(av, (tuple, list)) else ():
            if isinstance(arg, _sre_parser.SubPattern) and _refers(arg):
                return True
            if isinstance(arg, list) and any(
                isinstance(b, _sre_parser.SubPattern) and _refers(b) for b in arg
            ):
                return True
    return False


def plan(regex: re.Pattern[str], parts: Sequence[str]) -> Rule:
    """How to scan ``regex``, the alternation ``(?:part)|(?:part)|…`` of ``parts``."""
    if regex.flags & ~re.UNICODE or _min_width(regex.pattern, regex.flags) == 0:
        return Rule(regex, None, None)
    if _refers(_sre_parser.parse(regex.pattern, regex.flags)):
        return Rule(regex, None, None)
    exact: set[str] = set()
    stems: set[str] = set()
    other: list[str] = []
    for part in parts:
        words = first_words(part)
        if words is None:
            other.append(part)
        else:
            exact |= words[0]
            stems |= words[1]
    if not exact and not stems:
        return Rule(regex, None, None)
    rest = re.compile("|".join(f"(?:{p})" for p in other)) if other else None
    return Rule(regex, (frozenset(exact), frozenset(stems)), rest)


class WordScan:
    """Finds the matches of many rule regexes in one text, each as its ``finditer`` would."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules: dict[int, Rule] = {}  # by id() of the regex
        self._ids: list[int] = []  # id() of each indexed regex
        self._exact: dict[str, list[int]] = {}
        self._stems: dict[str, list[int]] = {}
        self._digit: list[int] = []  # rules that may start at a word beginning with a digit
        for rule in rules:
            if id(rule.regex) in self.rules:
                continue
            self.rules[id(rule.regex)] = rule
            if rule.words is None:
                continue
            i = len(self._ids)
            self._ids.append(id(rule.regex))
            for word in rule.words[0]:
                self._exact.setdefault(word, []).append(i)
            for word in rule.words[1]:
                if word == _DIGIT:
                    self._digit.append(i)
                else:
                    self._stems.setdefault(word, []).append(i)
        self._longest_stem = max(map(len, self._stems), default=0)
        self._cache: dict[str, tuple[int, ...]] = {}

    def _candidates(self, word: str) -> tuple[int, ...]:
        found = set(self._exact.get(word, ()))
        if word[0].isdecimal():
            found.update(self._digit)
        for size in range(1, min(len(word), self._longest_stem) + 1):
            found.update(self._stems.get(word[:size], ()))
        return tuple(sorted(found))

    def read(self, text: str) -> Scanned:
        at: list[list[int]] = [[] for _ in self._ids]
        cache = self._cache
        for match in _WORD.finditer(text):
            word = match.group()
            rules = cache.get(word)
            if rules is None:
                if len(cache) >= _CACHE_WORDS:
                    cache.clear()
                rules = cache[word] = self._candidates(word)
            if rules:
                start = match.start()
                for i in rules:
                    at[i].append(start)
        return Scanned(self, text, dict(zip(self._ids, at, strict=True)))


class Scanned:
    """One text read by a ``WordScan``: ``finditer`` and ``search`` per rule regex."""

    def __init__(self, scan: WordScan, text: str, starts: dict[int, list[int]]) -> None:
        self.scan = scan
        self.text = text
        self.starts = starts

    def finditer(self, regex: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """The same matches as ``regex.finditer(self.text)``."""
        text = self.text
        starts = self.starts.get(id(regex))
        if starts is None:
            yield from regex.finditer(text)
            return
        rest = self.scan.rules[id(regex)].rest
        match = regex.match
        count = len(starts)
        i = 0
        pos = 0
        other = -1  # where the rest regex next matches at or after pos (_END: nowhere)
        while True:
            if other < pos:
                found_rest = rest.search(text, pos) if rest is not None else None
                other = found_rest.start() if found_rest is not None else _END
            while i < count and starts[i] < pos:
                i += 1
            found = None
            while i < count and starts[i] < other:
                found = match(text, starts[i])
                if found is not None:
                    break
                i += 1
            if found is None:
                if other == _END:
                    return
                # the rest regex matches here, so the whole alternation does: the full regex
                # says with which alternative and how far
                found = match(text, other)
                if found is None:  # pragma: no cover - impossible for an alternation
                    pos = other + 1
                    continue
            yield found
            pos = found.end()

    def search(self, regex: re.Pattern[str]) -> bool:
        """Whether ``regex.search(self.text)`` finds anything."""
        starts = self.starts.get(id(regex))
        if starts is None:
            return regex.search(self.text) is not None
        rest = self.scan.rules[id(regex)].rest
        if rest is not None and rest.search(self.text) is not None:
            return True
        match = regex.match
        text = self.text
        return any(match(text, start) is not None for start in starts)
