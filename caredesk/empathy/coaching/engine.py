"""The coach: run every applicable rule over a draft and return findings.

Pattern rules run only when one of their keywords occurs in the draft (one tokenising pass), so
the cost grows with what a draft says rather than with the number of rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from caredesk.empathy.coaching import text as textmod
from caredesk.empathy.coaching.context import CoachContext
from caredesk.empathy.coaching.findings import Finding
from caredesk.empathy.coaching.learned import LearnedModel, default_model
from caredesk.empathy.coaching.rules import Rule, RuleSet, default_rules

_TOKEN_RE = re.compile(r"[a-z]+")
# A run of capitalised words starting with one of at least two letters. It starts with a
# character class (fast to scan for); the "not inside a word or code" check is done in Python.
_CAPS_RUN_RE = re.compile(r"[A-Z][A-Z']*[A-Z](?![\w\-/@])(?:[ \t]+[A-Z][A-Z']*(?![\w\-/@]))*")
_CAPS_BEFORE = frozenset("-/@.#_")
#: How far from a keyword a rule's match may reach, in characters.
WINDOW = 90
_TEMPLATE_RE = re.compile(r"\{(text|lower|mark|soft)\}")


def coach(
    draft: str,
    context: CoachContext | Mapping[str, Any] | None = None,
    *,
    rules: RuleSet | None = None,
    audience: str = "reply",
    learned: bool = True,
) -> list[Finding]:
    """Findings for ``draft`` in text order.

    ``context`` may hold ``reading`` (a Reading, a dict with polarity/intensity/emotion, or None),
    ``transfers``, ``waited_hours``, ``tech_problem`` and the customer's latest message
    (``customer``) or its length (``customer_words``). Without it, the acknowledgment, apology
    and curtness checks stay silent because the coach cannot know they are owed.
    ``audience="note"`` coaches an internal note: only the rules written for notes run.
    ``learned=False`` leaves out the learned part (``learned.py``), which on replies adds what
    the rules miss in the phrase-bound categories and never removes a rule's finding.
    """
    ruleset = rules if rules is not None else default_rules()
    doc = _Draft(draft)
    found: list[Finding] = []
    for rule, regex, w0, w1 in doc.windows(ruleset, audience):
        found.extend(_pattern_findings(rule, regex, doc, w0, w1))
    for rule in ruleset.caps:
        if audience in rule.audience:
            found.extend(_caps_findings(rule, doc))
    ctx = CoachContext.coerce(context)
    for rule in ruleset.curt:
        if audience in rule.audience and _owed(rule, ctx, ruleset) is not None:
            found.extend(_curt_findings(rule, doc, ctx))
    for rule in ruleset.missing:
        if audience not in rule.audience:
            continue
        finding = _missing_finding(rule, doc, ctx, ruleset)
        if finding is not None:
            found.append(finding)
    model = default_model() if learned and audience == "reply" else None
    if model is not None and doc.text.strip():
        scored = model.scores(doc.text, ctx, ruleset)
        logits = scored[0]
        if model.vetoes and ctx.customer is not None:
            # the context checks, judged only having read the customer's message: a rule's
            # finding goes when the piece is confidently there or not owed, one is added when
            # it is confidently owed and absent
            vetoed = model.vetoed(logits)
            if any(ctx.apology_situations(ruleset.settings.protracted_hours)):
                # owed by the desk's own facts (transfers, a long wait), not by the words the
                # model read: the model cannot know them, so it may not overrule them
                vetoed.discard("no_apology")
            found = [f for f in found if f.kind != "add" or f.category not in vetoed]
            found.extend(_learned_missing(model, logits, found, ruleset, doc, ctx))
        # a rule that saw the words and excused them (help follows) is not overruled either
        skip = {f.category for f in found} | doc.excused
        found.extend(model.findings(doc.text, ctx, skip, doc.sentences, scored))
    return _dedupe(found)


def _learned_missing(
    model: LearnedModel,
    logits: Any,
    found: list[Finding],
    ruleset: RuleSet,
    doc: _Draft,
    ctx: CoachContext,
) -> list[Finding]:
    """A context check the rules missed but the model is confident is owed and absent, written
    with its rule's insertion point and rewrites (the situation's, where one is known)."""
    out: list[Finding] = []
    for category in model.added(logits, {f.category for f in found}):
        rule = next((r for r in ruleset.missing if r.category == category), None)
        if rule is None or "reply" not in rule.audience:
            continue
        key = _owed(rule, ctx, ruleset) or (
            (ctx.emotion or "default",) if rule.when in ("upset", "negative") else ("our_failure",)
        )
        rewrites = _missing_rewrites(rule, key) or next(iter(rule.rewrites_by.values()), ())
        if not rewrites:
            continue
        at = doc.start if rule.insert == "start" else textmod.body_end(doc.text)
        reason = model.reasons.get(category) or rule.reason.replace("{situations}", "")
        out.append(Finding(at, at, category, reason, rewrites, f"learned.{category}", kind="add"))
    return out


def _owed(rule: Rule, ctx: CoachContext, ruleset: RuleSet) -> tuple[str, ...] | None:
    """Why a context-bound rule applies (its key), or None when the context does not call for it."""
    settings = ruleset.settings
    if rule.when == "upset":
        return (ctx.emotion or "default",) if ctx.is_upset(settings.upset_intensity) else None
    if rule.when == "negative":
        return (ctx.emotion or "default",) if ctx.is_negative(settings.negative_intensity) else None
    if rule.when == "apology_due":
        found = list(ctx.apology_situations(settings.protracted_hours))
        if ctx.customer is not None:
            found += [
                key
                for key, said in rule.situations_from_customer.items()
                if key not in found and said.search(ctx.customer)
            ]
        return tuple(found) or None
    return ()


class _Draft:
    """A draft with its scan text and lazily computed sentences, tokens and boundaries."""

    def __init__(self, draft: str) -> None:
        self.original = draft
        self.text = textmod.prepare(draft)
        self._sentences: textmod.Sentences | None = None
        self._words: int | None = None
        self._start: int | None = None
        self._lower: str | None = None
        self.tokens: set[str] = set()  # every word in the draft, filled by candidates()
        self.excused: set[str] = set()  # categories a rule matched but its guard excused

    @property
    def sentences(self) -> textmod.Sentences:
        if self._sentences is None:
            self._sentences = textmod.Sentences(self.text)
        return self._sentences

    @property
    def words(self) -> int:
        if self._words is None:
            self._words = textmod.word_count(self.text)
        return self._words

    @property
    def start(self) -> int:
        if self._start is None:
            self._start = textmod.body_start(self.text)
        return self._start

    @property
    def lower(self) -> str:
        if self._lower is None:
            lower = self.text.lower()
            if len(lower) != len(self.text):  # a few characters grow when lower-cased
                lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in self.text)
            self._lower = lower
        return self._lower

    def windows(
        self, ruleset: RuleSet, audience: str = "reply"
    ) -> list[tuple[Rule, re.Pattern[str], int, int]]:
        """Each pattern rule for ``audience`` with the stretches of text around its triggers.

        Scanning only those windows, instead of the whole draft per rule, keeps the coach fast
        however many rules a lead adds. A match must lie within ``WINDOW`` characters of one of
        its rule's keywords or substrings (lower-case, any whitespace matching a space).
        """
        lower = self.lower
        words = _TOKEN_RE.findall(lower)
        self.tokens = set(words)
        hits: dict[tuple[str, int], tuple[Rule, re.Pattern[str], list[int]]] = {}
        keyed = self.tokens.intersection(ruleset.by_keyword)
        at: dict[str, list[int]] = {word: [] for word in keyed}
        if keyed:  # one pass for every keyword's places: a token is a whole word by construction
            for match in _TOKEN_RE.finditer(lower):
                if (word := match.group()) in at:
                    at[word].append(match.start())
        for word, places in at.items():
            for rule in ruleset.by_keyword[word]:
                if audience in rule.audience:
                    regex = rule.by_word[word]
                    hits.setdefault((rule.id, id(regex)), (rule, regex, []))[2].extend(places)
        flat = lower
        if "\n" in flat or "\t" in flat or "\r" in flat:  # one character for one: offsets hold
            flat = flat.replace("\n", " ").replace("\t", " ").replace("\r", " ")
        for rule in ruleset.ungated:
            assert rule.regex is not None
            if audience not in rule.audience:
                continue
            if not rule.substrings:
                hits[(rule.id, 0)] = (rule, rule.regex, [-1])
                continue
            places = [p for sub in rule.substrings for p in _occurrences(flat, sub, False)]
            if places:
                hits.setdefault((rule.id, id(rule.regex)), (rule, rule.regex, []))[2].extend(places)
        out: list[tuple[Rule, re.Pattern[str], int, int]] = []
        for rule, regex, places in sorted(hits.values(), key=lambda h: ruleset.order[h[0].id]):
            out.extend((rule, regex, w0, w1) for w0, w1 in self._merge(places))
        return out

    def _merge(self, places: list[int]) -> list[tuple[int, int]]:
        text, size = self.text, len(self.text)
        if places == [-1]:
            return [(0, size)]
        merged: list[tuple[int, int]] = []
        for place in sorted(places):
            w0, w1 = max(0, place - WINDOW), min(size, place + WINDOW)
            while w1 < size and (text[w1].isalnum() or text[w1] in "'_"):
                w1 += 1  # end on a word boundary: lookaheads cannot see past the window
            if merged and w0 <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], w1))
            else:
                merged.append((w0, w1))
        return merged


def _occurrences(text: str, needle: str, whole_word: bool = True) -> list[int]:
    places: list[int] = []
    size = len(needle)
    at = text.find(needle)
    while at != -1:
        if not whole_word or (
            (at == 0 or not text[at - 1].isalpha())
            and (at + size >= len(text) or not text[at + size].isalpha())
        ):
            places.append(at)
        at = text.find(needle, at + 1)
    return places


def _pattern_findings(
    rule: Rule, regex: re.Pattern[str], doc: _Draft, w0: int, w1: int
) -> Iterator[Finding]:
    text, pos = doc.text, w0
    while (match := regex.search(text, pos, w1)) is not None:
        start, end = match.span()
        if start == end:
            if end >= w1:
                break  # an empty match at the window's end would repeat for ever
            pos = end + 1
            continue
        sentence = doc.sentences.around(start)
        if _guarded(rule, doc, sentence, start, end):
            doc.excused.add(rule.category)
            pos = start + 1
            continue
        if rule.span == "sentence":
            span = sentence
        elif rule.span == "clause":
            span = textmod.clause_span(text, sentence, start, end)
        else:
            span = (start, end)
        rewrites = _rewrites(rule, doc, span)
        if rewrites:
            yield Finding(span[0], span[1], rule.category, rule.reason, rewrites, rule.id)
        pos = end


def _guarded(rule: Rule, doc: _Draft, sentence: tuple[int, int], start: int, end: int) -> bool:
    text = doc.text
    s0, s1 = sentence
    if rule.unless_before is not None and rule.unless_before.search(text, s0, start):
        return True
    if rule.unless_after is not None and rule.unless_after.search(text, end, s1):
        return True
    if rule.unless_sentence is not None and rule.unless_sentence.search(text, s0, s1):
        return True
    if rule.unless_following is not None:
        stop = doc.sentences.following_end(start)
        if rule.unless_following.search(text, end, stop):
            return True
    return False


def _rewrites(rule: Rule, doc: _Draft, span: tuple[int, int]) -> tuple[str, ...]:
    start, end = span
    original = doc.original[start:end]
    starts_sentence = textmod.at_sentence_start(doc.text, start)
    out: list[str] = []
    for template in rule.rewrites:
        for filled in _fill(template, original, rule):
            keep_case = template.startswith(("{text}", "{soft}"))
            out.append(filled if keep_case else textmod.fit_case(filled, starts_sentence))
    return tuple(dict.fromkeys(r for r in out if r != original))


def _fill(template: str, original: str, rule: Rule) -> list[str]:
    if "{" not in template:
        return [template]
    softened: tuple[str, ...] = ()
    if "{soft}" in template:
        softened = _soften(rule, original)
        if not softened:
            return []
    variants = list(softened) or [""]
    values = {
        "text": original,
        "lower": _lower_keeping_acronyms(original, rule),
        "mark": "?" if "?" in original else "!",
    }
    out: list[str] = []
    for variant in variants:
        values["soft"] = variant
        out.append(_TEMPLATE_RE.sub(lambda m: values[m.group(1)], template))
    return out


def _soften(rule: Rule, original: str) -> tuple[str, ...]:
    for pattern, replacements in rule.soften:
        if pattern.search(original):
            return tuple(pattern.sub(r, original, count=1) for r in replacements)
    return ()


def _lower_keeping_acronyms(original: str, rule: Rule) -> str:
    words = original.split(" ")
    keep = rule.acronyms
    return " ".join(w if w == "I" or w.strip("'") in keep else w.lower() for w in words)


def _caps_findings(rule: Rule, doc: _Draft) -> Iterator[Finding]:
    text, pos = doc.text, 0
    while (match := _CAPS_RUN_RE.search(text, pos)) is not None:
        start = match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] in _CAPS_BEFORE):
            pos = start + 1  # inside a word or a code such as abc-DEF: look further on
            continue
        pos = match.end()
        words = match.group(0).split()
        loud = [w for w in words if len(w.strip("'")) >= 2 and w.strip("'") not in rule.acronyms]
        if len(loud) >= rule.min_run or any(w.strip("'") in rule.emphasis for w in words):
            span = match.span()
            rewrites = _rewrites(rule, doc, span)
            if rewrites:
                yield Finding(span[0], span[1], rule.category, rule.reason, rewrites, rule.id)


def _curt_findings(rule: Rule, doc: _Draft, ctx: CoachContext) -> Iterator[Finding]:
    """Text-speak to an upset customer, or a reply far shorter than the problem they described.

    Each text-speak word is a finding of its own, so its rewrite is the plain word; a short reply
    gets one "add" finding at its end with a sentence that says who owns the problem next.
    """
    if rule.textspeak:
        if not doc.tokens:
            doc.tokens = set(_TOKEN_RE.findall(doc.lower))
        # letters-only words come from the tokens already made; "l8r" and "b4" by substring
        words = {w for w in rule.textspeak if (w in doc.tokens if w.isalpha() else w in doc.lower)}
        for word in sorted(words):
            for at in _occurrences(doc.lower, word):
                end = at + len(word)
                if end < len(doc.text) and doc.text[end] in "'-":
                    continue
                plain = textmod.fit_case(
                    rule.textspeak[word], textmod.at_sentence_start(doc.text, at)
                )
                yield Finding(at, end, rule.category, rule.reason, (plain,), rule.id)
    short = rule.max_words and doc.text.strip() and doc.words <= rule.max_words
    if short and (ctx.customer_words or 0) >= rule.min_customer_words:
        at = textmod.body_end(doc.text)
        yield Finding(at, at, rule.category, rule.reason, rule.rewrites, rule.id, kind="add")


def _missing_finding(
    rule: Rule, doc: _Draft, ctx: CoachContext, ruleset: RuleSet
) -> Finding | None:
    owed = _owed(rule, ctx, ruleset)
    if owed is None:
        return None
    key: tuple[str, ...] = owed
    min_words = rule.min_words
    if ctx.customer is not None and rule.min_words_with_customer is not None:
        min_words = rule.min_words_with_customer
    if doc.words < min_words or not doc.text.strip():
        return None
    if not _customer_calls_for(rule, ctx):
        return None
    if rule.draft_says is not None and not rule.draft_says.search(doc.text):
        return None
    assert rule.present is not None
    quick = rule.present_keywords and not rule.within_sentences
    if quick and not rule.present_keywords.isdisjoint(doc.tokens):
        return None
    region_end = len(doc.text)
    if rule.within_sentences:
        region_end = doc.sentences.end_of_first(doc.start, rule.within_sentences)
    if rule.present.search(doc.text, 0, region_end):
        return None
    if rule.exempt is not None and rule.exempt.search(doc.text):
        return None
    at = doc.start if rule.insert == "start" else textmod.body_end(doc.text)
    rewrites = _missing_rewrites(rule, key)
    reason = rule.reason.replace(
        "{situations}", _join([rule.labels.get(k, k) for k in key if rule.labels.get(k)])
    )
    return Finding(at, at, rule.category, reason, rewrites, rule.id, kind="add")


def _customer_calls_for(rule: Rule, ctx: CoachContext) -> bool:
    """Whether the customer's message is long enough and says what the rule waits for.

    Without the message the rule stays silent: the coach does not guess what the customer wrote.
    """
    if rule.min_customer_words and (ctx.customer_words or 0) < rule.min_customer_words:
        return False
    said = ctx.customer
    if rule.unless_customer is not None and said is not None and rule.unless_customer.search(said):
        return False
    if rule.customer_says is None:
        return True
    if ctx.customer is None:
        return rule.customer_optional
    return ctx.customer is not None and rule.customer_says.search(ctx.customer) is not None


def _missing_rewrites(rule: Rule, key: tuple[str, ...]) -> tuple[str, ...]:
    if rule.when in ("upset", "negative"):
        return rule.rewrites_by.get(key[0]) or rule.rewrites_by.get("default") or rule.rewrites
    if rule.when == "apology_due":
        per_key = [rule.rewrites_by.get(k, ()) for k in key]
        out: list[str] = []
        if len(key) > 1 and all(per_key):
            out.append(" ".join(r[0] for r in per_key))
        for rewrites in per_key:
            out.extend(rewrites)
        return tuple(dict.fromkeys(out)) or rule.rewrites
    return rule.rewrites


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _dedupe(found: list[Finding]) -> list[Finding]:
    """One finding per stretch of text and category: the earliest, widest one wins."""
    found.sort(key=lambda f: (f.start, -f.end, f.category))
    kept: list[Finding] = []
    reach: dict[str, int] = {}
    added: set[tuple[str, int]] = set()  # two rules owing the same sentence at one place: one
    for finding in found:
        if finding.kind == "replace" and finding.start < reach.get(finding.category, -1):
            continue
        if finding.kind == "add":
            if (finding.category, finding.start) in added:
                continue
            added.add((finding.category, finding.start))
        kept.append(finding)
        if finding.kind == "replace":
            reach[finding.category] = max(reach.get(finding.category, -1), finding.end)
    return kept


def check_examples(ruleset: RuleSet, rule_ids: Iterable[str] | None = None) -> list[str]:
    """Problems with rules' own examples: a "fire" example it misses, a "pass" one it flags.

    The admin runs this on a lead's new rule before saving it; the tests run it on every rule.
    """
    wanted = set(rule_ids) if rule_ids is not None else None
    problems: list[str] = []
    for rule in ruleset.rules:
        if wanted is not None and rule.id not in wanted:
            continue
        for example in rule.fire:
            if not _fires(rule, example.text, example.context, ruleset):
                problems.append(f"{rule.id}: should fire on {example.text!r}")
        for example in rule.passes:
            if _fires(rule, example.text, example.context, ruleset):
                problems.append(f"{rule.id}: should not fire on {example.text!r}")
    return problems


def _fires(rule: Rule, draft: str, context: Mapping[str, Any] | None, ruleset: RuleSet) -> bool:
    audience = "reply" if "reply" in rule.audience else "note"
    found = coach(draft, context, rules=ruleset, audience=audience)
    return any(f.rule == rule.id for f in found)
