"""One combined rewrite: every finding applied at once, reading as if one person wrote it.

Applied one by one, rewrites stack ("I can see how frustrating… I'm sorry… I understand…").
Here each inserted piece is checked against what the reply already says: one acknowledgment, one
apology where due, the agent's own facts kept, and one closing that names an owner and a next
step. The findings still work one at a time through ``apply_rewrite``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from caredesk.empathy.coaching import text as textmod
from caredesk.empathy.coaching.findings import Finding

#: Categories whose "add" finding opens the reply, in this order.
OPENING = ("no_acknowledgment", "no_apology", "no_summary", "offer_time")
#: Categories whose "add" finding closes it: the first of the owner/next-step ones, then thanks.
NEXT_STEP = ("curt", "no_next_step")
THANKS = ("no_thanks",)

_APOLOGY_RE = re.compile(r"\b(?:sorry|apologi[sz]e|apologies)\b", re.IGNORECASE)
_ACK_RE = re.compile(
    r"\b(?:I (?:completely |fully |really )?understand|I can (?:see|hear|imagine)"
    r"|I know (?:how|this)|you're right|that sounds|this matters to you"
    r"|this is important to you)\b",
    re.IGNORECASE,
)
# A joining word left at the start of a sentence whose first clause was dropped.
_LEADING_JOIN_RE = re.compile(r"^\s*(?:but|however|though|and|so)\b,?", re.IGNORECASE)
# An apology tacked onto an acknowledgment, which can go when the reply already apologises.
_TACKED_APOLOGY = (
    re.compile(r"^I'm (?:so |really )?sorry(?:, and|;|\.)\s+", re.IGNORECASE),
    re.compile(r",? and I'm (?:so |really )?sorry(?: this happened)?(?=[.!?]?$)", re.IGNORECASE),
    re.compile(r";? that was our mistake, and I'm sorry$", re.IGNORECASE),
)


class _Said:
    """What the reply says so far: whether it already acknowledges and apologises."""

    def __init__(self, text: str) -> None:
        self.ack = bool(_ACK_RE.search(text))
        self.apology = bool(_APOLOGY_RE.search(text))

    def fit(self, piece: str) -> str | None:
        """``piece`` without what the reply already says, or None when nothing new is left."""
        if self.apology and _APOLOGY_RE.search(piece):
            piece = _without_apology(piece)
            if _APOLOGY_RE.search(piece):
                return None
        if self.ack and _ACK_RE.search(piece):
            return None
        if not piece.strip():
            return None
        self.ack = self.ack or bool(_ACK_RE.search(piece))
        self.apology = self.apology or bool(_APOLOGY_RE.search(piece))
        return piece


def combine(draft: str, findings: Sequence[Finding]) -> str:
    """``draft`` with every finding applied once, as one reply.

    Replacements keep their place; the opening gets one acknowledgment and one apology (the
    situation's own, when one is owed); the end gets one owner-and-next-step and one thank-you.
    A replacement whose every rewrite repeats what the reply already says is dropped instead.
    """
    replace = sorted((f for f in findings if f.kind == "replace"), key=lambda f: f.start)
    adds = [f for f in findings if f.kind == "add"]
    kept = _kept_text(draft, replace)
    said = _Said(kept)
    edits: list[tuple[int, int, str]] = []
    opening = _opening(adds, said)
    for finding in _non_overlapping(replace):
        edits.append((finding.start, finding.end, _replacement(draft, finding, said)))
    closing = _closing(adds, said)
    if opening:
        at = min(f.start for f in adds if f.category in OPENING)
        edits.append((at, at, " ".join(opening)))
    if closing:
        at = max(f.start for f in adds if f.category in NEXT_STEP + THANKS)
        edits.append((at, at, " ".join(closing)))
    return _apply(draft, edits)


def _opening(adds: Sequence[Finding], said: _Said) -> list[str]:
    by_category = {f.category: f for f in adds if f.rewrites}
    ack = by_category.get("no_acknowledgment")
    apology = by_category.get("no_apology")
    pieces: list[str] = []
    if apology is not None:
        fitted = said.fit(apology.rewrites[0])
        if fitted:
            pieces.append(fitted)
    if ack is not None:
        for rewrite in ack.rewrites:
            fitted = said.fit(rewrite)
            if fitted:
                pieces.insert(0, fitted)  # feelings first, then the situation's apology
                break
    for category in OPENING[2:]:  # then their point summed up, then an offer of time
        extra = by_category.get(category)
        fitted = said.fit(extra.rewrites[0]) if extra is not None else None
        if fitted:
            pieces.append(fitted)
    return pieces


def _closing(adds: Sequence[Finding], said: _Said) -> list[str]:
    pieces: list[str] = []
    step = next((f for f in adds if f.category in NEXT_STEP and f.rewrites), None)
    if step is not None:
        fitted = said.fit(step.rewrites[0])
        if fitted:
            pieces.append(fitted)
    thanks = next((f for f in adds if f.category in THANKS and f.rewrites), None)
    if thanks is not None:
        pieces.append(thanks.rewrites[0])
    return pieces


def _replacement(draft: str, finding: Finding, said: _Said) -> str:
    for rewrite in finding.rewrites:
        fitted = said.fit(rewrite)
        if fitted is not None:
            return fitted
    return ""  # every rewrite repeats the opening: drop the offending words instead


def _kept_text(draft: str, replace: Sequence[Finding]) -> str:
    """The agent's own words that stay: the draft without the spans being replaced."""
    parts, pos = [], 0
    for finding in _non_overlapping(replace):
        parts.append(draft[pos : finding.start])
        pos = finding.end
    parts.append(draft[pos:])
    return " ".join(parts)


def _non_overlapping(replace: Sequence[Finding]) -> list[Finding]:
    out: list[Finding] = []
    for finding in replace:
        if out and finding.start < out[-1].end:
            continue
        out.append(finding)
    return out


def _without_apology(piece: str) -> str:
    for pattern in _TACKED_APOLOGY:
        stripped = pattern.sub("", piece.strip())
        if stripped != piece.strip():
            stripped = stripped.strip()
            if stripped and stripped[-1] not in ".!?" and piece.rstrip()[-1:] in ".!?":
                stripped += piece.rstrip()[-1]
            return stripped[:1].upper() + stripped[1:]
    return piece


def _apply(draft: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply edits from the end backwards, tidying only where each one joins the agent's text."""
    text = draft
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        before, after = text[:start], text[end:]
        if start == end:
            if before and not before[-1].isspace():
                new = " " + new
            if after and not after[0].isspace():
                new = new + " "
            if new.rstrip()[-1:] in ".!?":  # what follows now starts a sentence
                stripped = after.lstrip()
                after = after[: len(after) - len(stripped)] + stripped[:1].upper() + stripped[1:]
        elif not new:
            # dropped words: no double space, no orphaned comma, a capital where a sentence starts
            if not before.strip() or before.rstrip()[-1] in ".!?":
                after = _LEADING_JOIN_RE.sub("", after.lstrip(",;:"))
            if before.endswith(" ") and after.startswith((" ", ".", ",", "!", "?", ";", ":")):
                before = before.rstrip(" ")
            if textmod.at_sentence_start(before + "x", len(before)):
                stripped = after.lstrip()
                after = after[: len(after) - len(stripped)] + stripped[:1].upper() + stripped[1:]
        else:
            if textmod.at_sentence_start(before + "x", len(before)) and new[:1].islower():
                new = new[0].upper() + new[1:]
            if new[-1:] in ".!?" and after[:1] in ".!?":
                after = after[1:]  # the rewrite is a whole sentence and brings its own stop
        text = before + new + after
    return text.strip()
