"""What the coach hands back: a finding per problem, and the one-click way to apply a rewrite."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Kind = Literal["replace", "add"]


@dataclass(frozen=True)
class Finding:
    """One problem in a draft.

    ``kind == "replace"``: ``draft[start:end]`` is the offending text and each rewrite replaces it.
    ``kind == "add"``: something is missing; ``start == end`` is where it belongs and each rewrite
    is a sentence to insert there.
    """

    start: int
    end: int
    category: str
    reason: str
    rewrites: tuple[str, ...]
    rule: str
    kind: Kind = "replace"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rewrites"] = list(self.rewrites)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        values = dict(data)
        values["rewrites"] = tuple(values.get("rewrites", ()))
        return cls(**values)


def apply_rewrite(draft: str, finding: Finding, index: int = 0) -> str:
    """Return ``draft`` with rewrite ``index`` of ``finding`` applied.

    Offsets refer to the draft the finding was made for; applying one rewrite shifts the offsets
    of later findings, so a UI should re-run the coach after each click (it takes milliseconds).
    """
    if not 0 <= finding.start <= finding.end <= len(draft):
        raise ValueError("finding does not fit this draft; coach it again")
    rewrite = finding.rewrites[index]
    if finding.kind == "replace":
        return draft[: finding.start] + rewrite + draft[finding.end :]
    before, after = draft[: finding.start], draft[finding.start :]
    if before and not before[-1].isspace():
        rewrite = " " + rewrite
    if after and not after[0].isspace():
        rewrite = rewrite + " "
    return before + rewrite + after
