"""Customer-service rules: complaint phrasing, sarcasm, politeness and the risk signals.

The patterns live in ``data/rules.toml`` so they can be read and extended without touching code;
this module only compiles them once and applies them.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from caredesk.empathy.emotion.lexicon import DATA, LexScore
from caredesk.empathy.emotion.scan import Rule, Scanned, WordScan, plan
from caredesk.empathy.types import EMOTIONS, Evidence

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
    "several": 3, "few": 3, "couple of": 2, "many": 3,
}  # fmt: skip
_UNIT_MINUTES = {
    "min": 1, "hour": 60, "hr": 60, "day": 1440, "week": 10080, "wk": 10080,
    "fortnight": 20160, "month": 43200, "year": 525600,
}  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?\n]")


def _minutes(num: str, unit: str) -> float:
    count = float(num) if num.isdigit() else float(_NUMBER_WORDS.get(num.lower(), 1))
    unit = unit.lower()
    for prefix, size in _UNIT_MINUTES.items():
        if unit.startswith(prefix):
            return count * size
    return 0.0


def _parts(patterns: list[str], durations: str) -> list[str]:
    parts = []
    for i, pattern in enumerate(patterns):
        body = pattern.replace("{D}", durations)
        parts.append(body.replace("?P<num>", f"?P<num{i}>").replace("?P<unit>", f"?P<unit{i}>"))
    return parts


def _compile(patterns: list[str], durations: str, flags: int = 0) -> re.Pattern[str]:
    """One alternation per rule, so each rule scans the text once; duration groups are numbered.

    Rules run on the lower-cased text without IGNORECASE, which is about three times faster in
    Python's regex engine; the few patterns that need capitals are kept apart ("cased").
    """
    return re.compile("|".join(f"(?:{p})" for p in _parts(patterns, durations)), flags)


@dataclass(frozen=True)
class Cue:
    name: str
    emotion: str
    weight: float
    valence: float
    complaint: bool
    regex: re.Pattern[str]


@dataclass(frozen=True)
class SignalRule:
    name: str
    emotion: str
    weight: float
    valence: float
    # (patterns, minimum minutes, a cue the message must also contain or None)
    checks: tuple[tuple[re.Pattern[str], float, re.Pattern[str] | None], ...]
    exclude: re.Pattern[str] | None
    cased: re.Pattern[str] | None  # matched on the text as written


@dataclass(frozen=True)
class RuleBook:
    cues: tuple[Cue, ...]
    signals: tuple[SignalRule, ...]
    sarcasm_always: re.Pattern[str]
    sarcasm_openers: re.Pattern[str]
    sarcasm_window: int  # characters after an opener in which the complaint must follow
    eye_roll: tuple[str, ...]
    politeness: frozenset[str]
    courtesy: re.Pattern[str]  # greeting, sign-off and politeness formulas
    thanks: re.Pattern[str]  # bare thanks ("Thanks!")
    resolution: re.Pattern[str]  # "it works now", "thanks for sorting this"
    # tries the regexes run on the lower-cased text only where a match can begin (see scan.py)
    scan: WordScan = field(default_factory=lambda: WordScan(()), compare=False, repr=False)

    @classmethod
    @lru_cache(maxsize=1)
    def load(cls) -> RuleBook:
        with open(DATA / "rules.toml", "rb") as handle:
            raw: dict[str, Any] = tomllib.load(handle)
        durations = raw["durations"]["D"]
        plans: list[Rule] = []

        def scanned(patterns: list[str]) -> re.Pattern[str]:
            """A regex run on the whole lower-cased text, through the word scan."""
            regex = _compile(patterns, durations)
            plans.append(plan(regex, _parts(patterns, durations)))
            return regex

        cues = tuple(
            Cue(c["name"], c["emotion"], c["weight"], c["valence"], c.get("complaint", False),
                scanned(c["patterns"]))
            for c in raw["cue"]
        )  # fmt: skip
        signals = []
        for s in raw["signal"]:
            checks: list[tuple[re.Pattern[str], float, re.Pattern[str] | None]] = [
                (scanned(s["patterns"]), float(s.get("min_minutes", 0)), None)
            ]
            for slow in s.get("slow", []):
                require = scanned(slow["require"]) if slow.get("require") else None
                checks.append((scanned(slow["patterns"]), float(slow["min_minutes"]), require))
            exclude = _compile(s["exclude"], durations) if s.get("exclude") else None
            cased = _compile(s["cased"], durations, re.IGNORECASE) if s.get("cased") else None
            signals.append(
                SignalRule(
                    s["name"],
                    s["emotion"],
                    s["weight"],
                    s["valence"],
                    tuple(checks),
                    exclude,
                    cased,
                )
            )
        sarcasm = raw["sarcasm"]
        return cls(
            cues,
            tuple(signals),
            scanned(sarcasm["always"]),
            scanned(sarcasm["openers"]),
            int(sarcasm.get("window", 100)),
            tuple(sarcasm["eye_roll"]),
            frozenset(raw["politeness"]["words"]),
            scanned(raw["courtesy"]["formulas"]),
            scanned(raw["courtesy"]["thanks"]),
            scanned(raw["courtesy"]["resolution"]),
            WordScan(plans),
        )


@dataclass
class RuleResult:
    boosts: dict[str, float] = field(default_factory=lambda: dict.fromkeys(EMOTIONS, 0.0))
    valence: float = 0.0
    signals: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)  # signal spans
    cue_spans: list[Evidence] = field(default_factory=list)  # labelled with the cue's emotion
    # (offset, emotion, weight, complaint) of each cue, signal and sarcasm match, so a sentence can
    # be scored with the rules that fired inside it
    hits_at: list[tuple[int, str, float, bool]] = field(default_factory=list)
    complaint: bool = False
    sarcasm: bool = False
    ignored_hits: set[int] = field(default_factory=set)  # lexicon hits read as politeness


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(mark, 0, start) for mark in ".!?\n") + 1
    right = _SENTENCE_END.search(text, end)
    return text[left : right.start() if right else len(text)]


def _duration_ok(match: re.Match[str], minimum: float) -> bool:
    if minimum <= 0:
        return True
    for name, value in match.groupdict().items():
        if value and name.startswith("num"):
            unit = match.group("unit" + name[3:])
            return _minutes(value, unit) >= minimum
    return True  # phrasings without a number ("forever", "since March") are long by nature


def lowered(live: str) -> str:
    """The text in lower case with the same offsets (a few Unicode letters change length)."""
    low = live.lower()
    if len(low) == len(live):
        return low
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in live)


def find_signals(
    live: str, book: RuleBook, low: str | None = None, scanned: Scanned | None = None
) -> tuple[list[str], list[Evidence]]:
    low = lowered(live) if low is None else low
    if scanned is None or scanned.text is not low:
        scanned = book.scan.read(low)
    found: list[str] = []
    evidence: list[Evidence] = []
    for rule in book.signals:
        checks = [
            (scanned.finditer(regex), minimum)
            for regex, minimum, require in rule.checks
            if require is None or scanned.search(require)  # "two days ago" alone is no complaint
        ]
        if rule.cased:
            checks.append((rule.cased.finditer(live), 0.0))
        for matches, minimum in checks:
            for match in matches:
                if not _duration_ok(match, minimum):
                    continue
                start, end = match.span()
                if rule.exclude and rule.exclude.search(_sentence(low, start, end)):
                    continue
                evidence.append(Evidence(start, end, live[start:end], rule.name))
                if rule.name not in found:
                    found.append(rule.name)
    return found, evidence


def apply_rules(live: str, lex: LexScore, book: RuleBook | None = None) -> RuleResult:
    """Everything the rules say about one message, as score boosts, valence and spans."""
    book = book or RuleBook.load()
    result = RuleResult()
    low = lowered(live)
    scanned = book.scan.read(low)
    for cue in book.cues:
        for match in scanned.finditer(cue.regex):
            result.boosts[cue.emotion] += cue.weight
            result.valence += cue.valence
            result.complaint = result.complaint or cue.complaint
            start, end = match.span()
            result.cue_spans.append(Evidence(start, end, live[start:end], cue.emotion))
            result.hits_at.append((start, cue.emotion, cue.weight, cue.complaint))
    result.signals, result.evidence = find_signals(live, book, low, scanned)
    rules = {r.name: r for r in book.signals}
    for span in result.evidence:
        rule = rules[span.label]
        result.hits_at.append((span.start, rule.emotion, rule.weight, True))
    for name in result.signals:
        rule = rules[name]
        result.boosts[rule.emotion] += rule.weight
        result.valence += rule.valence
        result.complaint = True
    _read_sarcasm(live, scanned, lex, book, result)
    if result.complaint:
        # Courtesy inside a complaint is not praise: "Still no refund, thanks", "Thanks in
        # advance". Only formulas and closing thanks count; "Thanks for the link!" stays thanks.
        polite = _courtesy_spans(live, scanned, book)
        for i, hit in enumerate(lex.hits):
            at = hit.token.start
            if (
                hit.token.lower in book.politeness
                and hit.valence > 0
                and any(a <= at < b for a, b in polite)
            ):
                result.ignored_hits.add(i)
                result.valence -= hit.valence
                result.boosts["gratitude"] -= 1.5
    return result


_CLOSING = re.compile(r"[\s,.!~:)-]*(?:[A-Z][\w'-]*[\s,.!]*){0,2}$")


def _courtesy_spans(live: str, low: Scanned, book: RuleBook) -> list[tuple[int, int]]:
    """Politeness formulas, and bare thanks closing the message ("..., thanks!", "Thanks, Tom")."""
    spans = [m.span() for m in low.finditer(book.courtesy)]
    for match in low.finditer(book.thanks):
        if _CLOSING.match(live, match.end()):
            spans.append(match.span())
    return spans


def _read_sarcasm(
    live: str, low: Scanned, lex: LexScore, book: RuleBook, result: RuleResult
) -> None:
    spans = [
        (m.start(), m.end(), live[m.start() : m.end()]) for m in low.finditer(book.sarcasm_always)
    ]
    eye_roll = any(e in live for e in book.eye_roll)
    openers = list(low.finditer(book.sarcasm_openers))
    complaint_at: list[int] = []
    negative_at: list[int] = []
    if openers and not eye_roll:
        # What makes praise sarcastic: a complaint cue or a risk signal that follows it closely;
        # after an interjection ("oh great"), a negative word in the same sentence.
        complaint_at = [
            e.start for e in result.cue_spans if e.label not in ("neutral", "confusion")
        ] + [e.start for e in result.evidence]
        negative_at = [h.token.start for h in lex.hits if h.valence <= -1.0]
    for match in openers:
        if not eye_roll:
            end = _SENTENCE_END.search(live, match.end())
            sentence_end = end.start() if end is not None else len(live)
            if end is not None:
                nxt = _SENTENCE_END.search(live, end.end() + 1)
                end_at = nxt.start() if nxt else len(live)
            else:
                end_at = len(live)
            end_at = min(end_at, match.end() + book.sarcasm_window)
            follows = any(match.start() <= at < end_at for at in complaint_at) or (
                bool(match.groupdict().get("oh"))
                and any(match.end() <= at < sentence_end for at in negative_at)
            )
            if not follows:
                continue
        spans.append((match.start(), match.end(), live[match.start() : match.end()]))
    if not spans:
        return
    result.sarcasm = True
    result.complaint = True
    result.boosts["frustration"] += 3.0
    result.boosts["gratitude"] -= 3.0
    for i, hit in enumerate(lex.hits):
        if hit.valence > 0:
            result.ignored_hits.add(i)
            result.valence -= 2 * hit.valence
    for start, stop, text in spans:
        result.cue_spans.append(Evidence(start, stop, text.strip(), "frustration"))
        result.hits_at.append((start, "frustration", 3.0, True))
