"""Coaching rules as data: load the shipped rules file, merge a lead's additions, compile once.

A rule is a JSON object (see ``docs/coach.md``). Leads extend the coach by adding rule objects in
a file or in the admin; nothing here needs code changes for a new phrase.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from caredesk.empathy.coaching.context import (
    NEGATIVE_INTENSITY,
    PROTRACTED_HOURS,
    UPSET_INTENSITY,
)

RULES_PATH = Path(__file__).with_name("rules.json")
KINDS = ("pattern", "caps", "missing", "curt")
SPANS = ("match", "clause", "sentence")
WHEN = ("always", "upset", "negative", "apology_due")
#: Who a rule coaches: replies to customers, internal notes to colleagues, or both.
AUDIENCES = ("reply", "note")
INSERTS = ("start", "end")
_MACRO_RE = re.compile(r"\{([A-Z][A-Z_]*)\}")
_TOKEN_RE = re.compile(r"[a-z]+")


class RuleError(ValueError):
    """A rule that cannot be used; the message names the rule so a lead can fix it."""


@dataclass(frozen=True)
class Settings:
    """Thresholds a lead may tune in the rules file's ``settings`` object."""

    upset_intensity: float = UPSET_INTENSITY
    negative_intensity: float = NEGATIVE_INTENSITY
    protracted_hours: float = PROTRACTED_HOURS


@dataclass(frozen=True)
class Example:
    text: str
    context: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Rule:
    """One compiled rule. Which fields matter depends on ``kind``."""

    id: str
    category: str
    kind: str
    reason: str
    rewrites: tuple[str, ...]
    fire: tuple[Example, ...] = ()
    passes: tuple[Example, ...] = ()
    # kind == "pattern"
    regex: re.Pattern[str] | None = None
    keywords: frozenset[str] = frozenset()
    # keyword -> the alternation of just the patterns that mention it (all, if none does)
    by_word: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    substrings: tuple[str, ...] = ()
    span: str = "match"
    unless_before: re.Pattern[str] | None = None
    unless_after: re.Pattern[str] | None = None
    unless_sentence: re.Pattern[str] | None = None
    unless_following: re.Pattern[str] | None = None
    soften: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = ()
    # kind == "caps"
    acronyms: frozenset[str] = frozenset()
    emphasis: frozenset[str] = frozenset()
    min_run: int = 2
    # kind == "missing"
    when: str = "always"
    present: re.Pattern[str] | None = None
    present_keywords: frozenset[str] = frozenset()
    exempt: re.Pattern[str] | None = None
    min_words: int = 0
    within_sentences: int = 0
    insert: str = "end"
    rewrites_by: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    # kind == "missing", optional: the customer's message must match ``customer_says`` and the
    # draft ``draft_says`` (e.g. a push to proceed) before the missing piece is owed
    customer_says: re.Pattern[str] | None = None
    draft_says: re.Pattern[str] | None = None
    # with ``customer_optional``, a draft coached without the customer's message is judged as if
    # the message said what ``customer_says`` waits for (the tuning sets' shape)
    customer_optional: bool = False
    # ...and is not owed when the customer's message matches ``unless_customer`` (a plain question)
    unless_customer: re.Pattern[str] | None = None
    # the draft's minimum length when the customer's message is known (default: ``min_words``)
    min_words_with_customer: int | None = None
    # kind == "missing", when == "apology_due": situations read from the customer's own words
    # ("charged twice", "third time I've been transferred"), added to the desk's facts
    situations_from_customer: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    # kind == "curt": text-speak words and their plain forms; a reply of at most ``max_words``
    # words to a customer who wrote at least ``min_customer_words``
    textspeak: Mapping[str, str] = field(default_factory=dict)
    max_words: int = 0
    min_customer_words: int = 0
    audience: frozenset[str] = frozenset({"reply"})
    source: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleSet:
    """All rules, compiled, plus an index from keyword to the pattern rules it can trigger."""

    rules: tuple[Rule, ...]
    settings: Settings
    by_keyword: Mapping[str, tuple[Rule, ...]]
    ungated: tuple[Rule, ...]  # pattern rules with substrings (keywords too or not) or no gate
    caps: tuple[Rule, ...]
    missing: tuple[Rule, ...]
    curt: tuple[Rule, ...] = ()
    order: Mapping[str, int] = field(default_factory=dict)  # rule id -> position

    def get(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(rule.category for rule in self.rules))


def load_rules(
    extra_paths: Iterable[str | Path] = (),
    extra_rules: Iterable[Mapping[str, Any]] = (),
    *,
    base: bool = True,
) -> RuleSet:
    """Build a rule set from the shipped file, then each extra file, then ``extra_rules``.

    A later rule with the same ``id`` replaces an earlier one; ``"enabled": false`` removes it.
    Extra files are JSON or TOML with the same shape as ``rules.json`` (``macros``, ``settings``,
    ``rules``). Raises ``RuleError`` naming the first broken rule.
    """
    documents: list[Mapping[str, Any]] = [_read(RULES_PATH)] if base else []
    documents.extend(_read(Path(p)) for p in extra_paths)
    extra = list(extra_rules)
    if extra:
        documents.append({"rules": extra})
    macros: dict[str, str] = {}
    settings: dict[str, Any] = {}
    raw: dict[str, Mapping[str, Any]] = {}
    for document in documents:
        macros.update(document.get("macros", {}))
        settings.update(document.get("settings", {}))
        for item in document.get("rules", []):
            if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
                raise RuleError(f"every rule needs a string 'id': {item!r}"[:200])
            raw.pop(item["id"], None)  # a replacement moves to the end, like a new rule
            if item.get("enabled", True):
                raw[item["id"]] = item
    try:
        resolved = Settings(**settings)
    except TypeError as exc:
        raise RuleError(f"unknown setting: {exc}") from None
    compiled = tuple(compile_rule(item, macros) for item in raw.values())
    return _index(compiled, resolved)


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The shipped rules, compiled once per process."""
    return load_rules()


def compile_rule(item: Mapping[str, Any], macros: Mapping[str, str] | None = None) -> Rule:
    """Validate and compile one rule dict; the admin can call this to check a row before saving."""
    rule_id = str(item.get("id", "?"))
    macros = macros if macros is not None else _read(RULES_PATH).get("macros", {})
    try:
        return _compile(item, macros)
    except RuleError as exc:
        raise RuleError(f"rule {rule_id}: {exc}") from None
    except re.error as exc:
        raise RuleError(f"rule {rule_id}: bad pattern: {exc}") from None
    except (TypeError, ValueError, KeyError) as exc:
        raise RuleError(f"rule {rule_id}: {exc}") from None


def _compile(item: Mapping[str, Any], macros: Mapping[str, str]) -> Rule:
    kind = item.get("kind", "pattern")
    _require(kind in KINDS, f"kind must be one of {KINDS}")
    category = item.get("category")
    _require(isinstance(category, str) and category.isidentifier(), "category must be a name")
    reason = item.get("reason")
    _require(isinstance(reason, str) and reason.strip() != "", "reason is required")
    examples = item.get("examples", {})
    common: dict[str, Any] = {
        "id": item["id"],
        "category": category,
        "kind": kind,
        "reason": reason,
        "rewrites": _strings(item.get("rewrites", []), "rewrites"),
        "fire": _examples(examples.get("fire", [])),
        "passes": _examples(examples.get("pass", [])),
        "source": dict(item),
        "audience": _audience(item.get("audience", ["reply"])),
    }
    if kind == "pattern":
        return _pattern_rule(item, macros, common)
    if kind == "caps":
        return Rule(
            **common,
            acronyms=frozenset(_strings(item.get("acronyms", []), "acronyms")),
            emphasis=frozenset(w.upper() for w in _strings(item.get("emphasis", []), "emphasis")),
            min_run=int(item.get("min_run", 2)),
        )
    when = item.get("when", "always")
    _require(when in WHEN, f"when must be one of {WHEN}")
    if kind == "curt":
        return _curt_rule(item, common, when)
    return _missing_rule(item, macros, common, when)


def _missing_rule(
    item: Mapping[str, Any], macros: Mapping[str, str], common: dict[str, Any], when: str
) -> Rule:
    insert = item.get("insert", "end")
    _require(insert in INSERTS, f"insert must be one of {INSERTS}")
    present = _strings(item.get("present", []), "present")
    _require(bool(present), "a missing-kind rule needs 'present' patterns")
    rewrites_by = {
        str(key): _strings(value, f"rewrites_by.{key}")
        for key, value in item.get("rewrites_by", {}).items()
    }
    _require(bool(common["rewrites"]) or bool(rewrites_by), "rewrites are required")
    return Rule(
        **common,
        when=when,
        insert=insert,
        present=_alternation(present, macros),
        present_keywords=_keywords(item.get("present_keywords", [])),
        exempt=_alternation(_strings(item.get("exempt", []), "exempt"), macros),
        min_words=int(item.get("min_words", 0)),
        within_sentences=int(item.get("within_sentences", 0)),
        rewrites_by=rewrites_by,
        labels={str(k): str(v) for k, v in item.get("labels", {}).items()},
        customer_says=_alternation(
            _strings(item.get("customer_says", []), "customer_says"), macros
        ),
        draft_says=_alternation(_strings(item.get("draft_says", []), "draft_says"), macros),
        min_customer_words=int(item.get("min_customer_words", 0)),
        customer_optional=bool(item.get("customer_optional", False)),
        unless_customer=_alternation(
            _strings(item.get("unless_customer", []), "unless_customer"), macros
        ),
        min_words_with_customer=_optional_int(item.get("min_words_with_customer")),
        situations_from_customer=_situations(item.get("situations_from_customer", {}), macros),
    )


def _optional_int(value: object) -> int | None:
    _require(value is None or isinstance(value, int), "min_words_with_customer must be a number")
    return None if value is None else int(value)  # type: ignore[call-overload]


def _situations(value: object, macros: Mapping[str, str]) -> dict[str, re.Pattern[str]]:
    _require(isinstance(value, Mapping), "situations_from_customer must be an object")
    assert isinstance(value, Mapping)
    out: dict[str, re.Pattern[str]] = {}
    for key, patterns in value.items():
        compiled = _alternation(_strings(patterns, f"situations_from_customer.{key}"), macros)
        if compiled is not None:
            out[str(key)] = compiled
    return out


def _curt_rule(item: Mapping[str, Any], common: dict[str, Any], when: str) -> Rule:
    textspeak = item.get("textspeak", {})
    _require(
        isinstance(textspeak, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in textspeak.items()),
        "textspeak must map words to their plain forms",
    )
    max_words = int(item.get("max_words", 0))
    _require(bool(textspeak) or max_words > 0, "a curt rule needs 'textspeak' or 'max_words'")
    _require(bool(common["rewrites"]) or not max_words, "rewrites are required")
    return Rule(
        **common,
        when=when,
        textspeak={k.lower(): v for k, v in textspeak.items()},
        max_words=max_words,
        min_customer_words=int(item.get("min_customer_words", 0)),
    )


def _audience(value: object) -> frozenset[str]:
    audience = frozenset(_strings(value, "audience"))
    _require(bool(audience) and audience <= set(AUDIENCES), f"audience must be from {AUDIENCES}")
    return audience


def _pattern_rule(
    item: Mapping[str, Any], macros: Mapping[str, str], common: dict[str, Any]
) -> Rule:
    patterns = _strings(item.get("patterns", []), "patterns")
    _require(bool(patterns), "a pattern rule needs 'patterns'")
    _require(bool(common["rewrites"]), "rewrites are required")
    span = item.get("span", "match")
    _require(span in SPANS, f"span must be one of {SPANS}")
    boundaries = bool(item.get("word_boundaries", True))
    expanded = [expand(p, macros) for p in patterns]
    keywords = _keywords(item.get("keywords", []))
    soften = tuple(
        (re.compile(expand(pair[0], macros), re.IGNORECASE), _strings(pair[1:], "soften"))
        for pair in item.get("soften", [])
    )
    return Rule(
        **common,
        regex=_wrap(expanded, boundaries),
        keywords=keywords,
        by_word=_by_word(expanded, keywords, boundaries),
        substrings=tuple(sub.lower() for sub in _strings(item.get("substrings", []), "substrings")),
        span=span,
        unless_before=_alternation(_strings(item.get("unless_before", []), "guard"), macros),
        unless_after=_alternation(_strings(item.get("unless_after", []), "guard"), macros),
        unless_sentence=_alternation(_strings(item.get("unless_sentence", []), "guard"), macros),
        unless_following=_alternation(_strings(item.get("unless_following", []), "guard"), macros),
        soften=soften,
    )


def _wrap(expanded: Sequence[str], boundaries: bool) -> re.Pattern[str]:
    body = "|".join(f"(?:{p})" for p in expanded)
    if boundaries:
        body = rf"(?<!\w)(?:{body})(?!\w)"
    return re.compile(body, re.IGNORECASE)


def _by_word(
    expanded: Sequence[str], keywords: frozenset[str], boundaries: bool
) -> dict[str, re.Pattern[str]]:
    """For each keyword, a regex of only the patterns whose text mentions it (or its stem).

    A window opened by a keyword then tries a few alternatives instead of the whole rule. A
    pattern that mentions none of the keywords stays in every keyword's regex, so nothing is lost.
    """
    sources = [p.lower() for p in expanded]

    def mentions(source: str, word: str) -> bool:
        # The first five letters catch stems written as regex: "polic(?:y|ies)" mentions "policy".
        return word in source or (len(word) > 5 and word[:5] in source)

    silent = {i for i, src in enumerate(sources) if not any(mentions(src, w) for w in keywords)}
    cache: dict[tuple[int, ...], re.Pattern[str]] = {}
    out: dict[str, re.Pattern[str]] = {}
    for word in keywords:
        chosen = tuple(sorted({i for i, src in enumerate(sources) if mentions(src, word)} | silent))
        chosen = chosen or tuple(range(len(sources)))  # a keyword no pattern spells: try them all
        if chosen not in cache:
            cache[chosen] = _wrap([expanded[i] for i in chosen], boundaries)
        out[word] = cache[chosen]
    return out


def expand(pattern: str, macros: Mapping[str, str]) -> str:
    """Expand ``{MACRO}`` references and let each literal space match any run of whitespace.

    Spaces inside ``[...]`` are kept, so character classes still mean what they say.
    """

    def macro(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in macros:
            raise RuleError(f"unknown macro {{{name}}}")
        return f"(?:{expand(macros[name], macros)})"

    text = _MACRO_RE.sub(macro, pattern)
    out: list[str] = []
    in_class = escaped = False
    for char in text:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif char == "[" and not in_class:
            in_class = True
            out.append(char)
        elif char == "]" and in_class:
            in_class = False
            out.append(char)
        elif char == " " and not in_class:
            if not (out and out[-1] in (r"\s+", r"\s*")):
                out.append(r"\s+")
        elif char == "?" and not in_class and out and out[-1] == r"\s+":
            out[-1] = r"\s*"  # "a ?b": the space itself is optional
        else:
            out.append(char)
    return "".join(out)


def _alternation(patterns: Sequence[str], macros: Mapping[str, str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{expand(p, macros)})" for p in patterns), re.IGNORECASE)


def _index(rules: tuple[Rule, ...], settings: Settings) -> RuleSet:
    by_keyword: dict[str, list[Rule]] = {}
    ungated: list[Rule] = []
    for rule in rules:
        if rule.kind != "pattern":
            continue
        for word in rule.keywords:
            by_keyword.setdefault(word, []).append(rule)
        if rule.substrings or not rule.keywords:
            ungated.append(rule)
    return RuleSet(
        rules=rules,
        settings=settings,
        by_keyword={word: tuple(found) for word, found in by_keyword.items()},
        ungated=tuple(ungated),
        caps=tuple(r for r in rules if r.kind == "caps"),
        missing=tuple(r for r in rules if r.kind == "missing"),
        curt=tuple(r for r in rules if r.kind == "curt"),
        order={rule.id: i for i, rule in enumerate(rules)},
    )


def _read(path: Path) -> Mapping[str, Any]:
    try:
        if path.suffix == ".toml":
            with path.open("rb") as handle:
                return tomllib.load(handle)
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise RuleError(f"cannot read rules file {path}: {exc}") from None
    if not isinstance(data, Mapping):
        raise RuleError(f"rules file {path} must hold an object with a 'rules' list")
    return data


def _strings(value: object, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise RuleError(f"{what} must be a list of strings")
    return tuple(value)


def _keywords(value: object) -> frozenset[str]:
    words = frozenset(w.lower() for w in _strings(value, "keywords"))
    _require(all(_TOKEN_RE.fullmatch(w) for w in words), "keywords are plain words of letters a-z")
    return words


def _examples(value: object) -> tuple[Example, ...]:
    if not isinstance(value, (list, tuple)):
        raise RuleError("examples must be lists")
    out: list[Example] = []
    for item in value:
        if isinstance(item, str):
            out.append(Example(item))
        elif isinstance(item, Mapping) and isinstance(item.get("text"), str):
            out.append(Example(item["text"], item.get("context")))
        else:
            raise RuleError(f"bad example {item!r}"[:200])
    return tuple(out)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise RuleError(message)
