"""``caredesk eval coach``: recall on flawed replies and false flags on caring ones.

A flawed reply counts as found when all its expected categories are among the findings; any
finding on a good reply is a false flag. Four labelled sets ship with the tests: the tuning set,
two held-out sets written before the rules they check (the second, for issue 15: 150 flawed and
150 good replies across eight industries) and dev3, written blind and now tuned on.

`--public FILE` runs the coach over real company support replies instead (see `load_public`):
real agents mostly write well, so the share flagged harsh must stay at most 3%. Nothing is
downloaded: the files are a local copy (docs/coach.md says where they come from).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caredesk.empathy.coaching.engine import coach
from caredesk.empathy.coaching.rules import RuleSet, default_rules

DATA_DIR = Path(__file__).resolve().parents[1] / "tests" / "data"
TUNING_SET = DATA_DIR / "coach_replies.jsonl"
HELD_OUT_SET = DATA_DIR / "coach_heldout.jsonl"
HELD_OUT_SET_2 = DATA_DIR / "coach_heldout2.jsonl"
#: Written blind across twelve industries and evaluated once as held-out set 3; now tuned on
#: (development). It is printed with the others but kept out of the exit code until it meets
#: the targets (docs/coach.md gives its figures, both halves of the fixed split).
DEV_SET_3 = DATA_DIR / "coach_dev3.jsonl"
MIN_RECALL = 0.92
MAX_FALSE_FLAGS = 0.05
# Real replies: the categories that would nag a good agent if the coach were wrong about them.
HARSH = ("absolute", "indifference", "blame", "shouting", "doubt")
#: Categories split off an older one. A set whose labels never use the new name was written
#: when it was part of the old one, so there a finding of the new category counts for the old.
SPLIT_FROM = {"blame": "indifference"}
MAX_HARSH = 0.03
PUBLIC_SAMPLE = DATA_DIR / "public_support_replies_sample.jsonl"


@dataclass(frozen=True)
class Row:
    text: str
    expect: tuple[str, ...]
    context: dict[str, Any] | None = None


@dataclass
class Report:
    name: str
    flawed: int = 0
    found: int = 0
    good: int = 0
    flagged: int = 0
    per_category: dict[str, list[int]] = field(default_factory=dict)  # category -> [found, total]
    false_by_category: dict[str, int] = field(default_factory=dict)  # good replies it flagged
    misses: list[tuple[Row, list[str]]] = field(default_factory=list)
    false_flags: list[tuple[Row, list[str]]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.flawed if self.flawed else 1.0

    @property
    def false_flag_rate(self) -> float:
        return self.flagged / self.good if self.good else 0.0

    @property
    def passed(self) -> bool:
        return self.recall >= MIN_RECALL and self.false_flag_rate <= MAX_FALSE_FLAGS

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "flawed": self.flawed,
            "found": self.found,
            "recall": round(self.recall, 4),
            "good": self.good,
            "false_flags": self.flagged,
            "false_flag_rate": round(self.false_flag_rate, 4),
            "per_category": {
                k: {"found": v[0], "total": v[1]} for k, v in self.per_category.items()
            },
            "false_flags_by_category": dict(self.false_by_category),
            "passed": self.passed,
        }


def load_rows(path: Path) -> list[Row]:
    rows: list[Row] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                data = json.loads(line)
                rows.append(Row(data["text"], tuple(data.get("expect", ())), data.get("context")))
    return rows


def evaluate(
    rows: Sequence[Row], name: str = "", rules: RuleSet | None = None, *, learned: bool = True
) -> Report:
    ruleset = rules if rules is not None else default_rules()
    report = Report(name)
    labels = {c for row in rows for c in row.expect}
    legacy = {new: old for new, old in SPLIT_FROM.items() if new not in labels}
    for row in rows:
        found = coach(row.text, row.context, rules=ruleset, learned=learned)
        categories = [f.category for f in found]
        if row.expect:
            categories += [legacy[c] for c in categories if c in legacy]
        if row.expect:
            report.flawed += 1
            hit = all(c in categories for c in row.expect)
            report.found += hit
            for category in row.expect:
                tally = report.per_category.setdefault(category, [0, 0])
                tally[0] += category in categories
                tally[1] += 1
            if not hit:
                report.misses.append((row, categories))
        else:
            report.good += 1
            report.flagged += bool(categories)
            if categories:
                report.false_flags.append((row, categories))
            for category in set(categories):
                report.false_by_category[category] = report.false_by_category.get(category, 0) + 1
    return report


def format_report(report: Report, verbose: bool = False) -> str:
    lines = [
        f"{report.name}: recall {report.recall:.1%} ({report.found}/{report.flawed} flawed found), "
        f"false flags {report.false_flag_rate:.1%} ({report.flagged}/{report.good} good flagged)"
        f"  [{'ok' if report.passed else 'BELOW TARGET'}]"
    ]
    for category, (found, total) in sorted(report.per_category.items()):
        false = report.false_by_category.get(category, 0)
        lines.append(f"  {category:<18} {found}/{total}  false flags {false}/{report.good}")
    for category in sorted(set(report.false_by_category) - set(report.per_category)):
        false = report.false_by_category[category]
        lines.append(f"  {category:<18} -      false flags {false}/{report.good}")
    if verbose:
        for row, got in report.misses:
            lines.append(f"  MISS {list(row.expect)} got {got}: {row.text[:110]}")
        for row, got in report.false_flags:
            lines.append(f"  FALSE FLAG {got}: {row.text[:110]}")
    return "\n".join(lines)


@dataclass(frozen=True)
class PublicReply:
    text: str
    customer: str = ""  # the customer's message it answers, when the source has it
    company: str = ""


_ADDRESSING = re.compile(r"^(?:@\w+[\s,:]*)+")  # a tweet's leading @handles: not the agent's words


def _public_reply(text: str, customer: str, company: str) -> PublicReply:
    return PublicReply(
        _ADDRESSING.sub("", text.strip()), _ADDRESSING.sub("", customer.strip()), company
    )


def load_public(path: Path) -> list[PublicReply]:
    """Company replies from a local file, each sent reply once.

    Two shapes: JSONL of ``{"text", "customer"?, "company"?}`` (the shipped sample), or the JSON
    list of conversations of IBM's Twitter customer-care set (``dialogContent`` turns with
    ``agent`` or ``client``, then ``agentURL.url_utterance``), where each agent turn is paired
    with the customer message before it.
    """
    raw = path.read_text(encoding="utf-8")
    replies: list[PublicReply] = []
    if raw.lstrip().startswith("["):
        for conversation in json.loads(raw):
            company = conversation.get("dialogHeader", {}).get("company", "")
            customer = ""
            for turn in conversation.get("dialogContent", []):
                if "agent" in turn:
                    replies.append(_public_reply(turn["message"], customer, company))
                else:
                    customer = turn.get("message", "")
            final = conversation.get("agentURL", {}).get("url_utterance")
            if final:
                replies.append(_public_reply(final, customer, company))
    else:
        for line in raw.splitlines():
            if line.strip():
                data = json.loads(line)
                replies.append(
                    _public_reply(data["text"], data.get("customer", ""), data.get("company", ""))
                )
    # Each sent reply once: a stock answer sent to two customers is two replies.
    unique = {(r.text, r.customer): r for r in replies if r.text}
    return list(unique.values())


@dataclass
class PublicReport:
    name: str
    replies: int = 0
    harsh: int = 0  # replies with at least one harsh finding
    by_category: dict[str, int] = field(default_factory=dict)  # replies with each category
    companies: set[str] = field(default_factory=set)
    flagged: list[tuple[PublicReply, list[str]]] = field(default_factory=list)

    @property
    def harsh_share(self) -> float:
        return self.harsh / self.replies if self.replies else 0.0

    @property
    def passed(self) -> bool:
        return self.harsh_share <= MAX_HARSH


def evaluate_public(
    replies: Sequence[PublicReply],
    name: str = "",
    rules: RuleSet | None = None,
    *,
    learned: bool = True,
) -> PublicReport:
    """Coach every reply with what the desk would know: the customer's message, read for
    emotion, its length and its words (so curtness, a missing acknowledgment or summary and an
    offer of time can fire as at the desk)."""
    from caredesk.empathy.emotion import analyze  # the emotion engine loads its lexicons lazily

    ruleset = rules if rules is not None else default_rules()
    report = PublicReport(name)
    for reply in replies:
        context: dict[str, Any] | None = None
        if reply.customer:
            context = {
                "reading": analyze(reply.customer),
                "customer": reply.customer,
            }
        found = coach(reply.text, context, rules=ruleset, learned=learned)
        categories = sorted({f.category for f in found})
        report.replies += 1
        report.companies.add(reply.company)
        for category in categories:
            report.by_category[category] = report.by_category.get(category, 0) + 1
        if set(categories) & set(HARSH):
            report.harsh += 1
            report.flagged.append((reply, categories))
    return report


def format_public(report: PublicReport, verbose: bool = False) -> str:
    lines = [
        f"{report.name}: {report.replies} company replies from {len(report.companies - {''})} "
        f"companies, flagged harsh {report.harsh_share:.1%} ({report.harsh})"
        f"  [{'ok' if report.passed else 'ABOVE TARGET'}]"
    ]
    for category in [*HARSH, *sorted(set(report.by_category) - set(HARSH))]:
        n = report.by_category.get(category, 0)
        mark = " (harsh)" if category in HARSH else ""
        lines.append(f"  {category:<18} {n:>5}  {n / max(report.replies, 1):6.1%}{mark}")
    if verbose:
        for reply, got in report.flagged:
            lines.append(f"  HARSH {got} [{reply.company}]: {reply.text[:140]}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="caredesk eval coach",
        description="Recall and false-flag rate of the reply coach on labelled replies.",
    )
    parser.add_argument(
        "--data",
        action="append",
        type=Path,
        help="JSONL file(s) of {text, expect, context}; default: the tuning and both held-out sets",
    )
    parser.add_argument(
        "--public",
        action="append",
        type=Path,
        help="real company replies (JSONL or IBM's Twitter customer-care JSON): the share "
        f"flagged harsh ({', '.join(HARSH)}) must stay at most {MAX_HARSH * 100:.0f}%%",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="list misses and false flags")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    parser.add_argument(
        "--rules-only", action="store_true", help="leave out the learned part (learned.py)"
    )
    args = parser.parse_args(argv)
    learned = not args.rules_only
    if args.public:
        return _main_public(args.public, as_json=args.json, verbose=args.verbose, learned=learned)
    paths = args.data or [TUNING_SET, HELD_OUT_SET, HELD_OUT_SET_2, DEV_SET_3]
    reports = [evaluate(load_rows(p), name=p.stem, learned=learned) for p in paths]
    gated = [r for p, r in zip(paths, reports, strict=True) if args.data or p != DEV_SET_3]
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        print(f"targets: recall >= {MIN_RECALL:.0%}, false flags <= {MAX_FALSE_FLAGS:.0%}")
        for report in reports:
            print(format_report(report, args.verbose))
            if report not in gated:
                print("  (development set: reported, not yet in the exit code)")
    return 0 if all(r.passed for r in gated) else 1


def _main_public(paths: list[Path], *, as_json: bool, verbose: bool, learned: bool) -> int:
    replies = {(r.text, r.customer): r for p in paths for r in load_public(p)}
    names = ", ".join(p.name for p in paths)
    report = evaluate_public(list(replies.values()), name=names, learned=learned)
    if as_json:
        data = {
            "name": report.name,
            "replies": report.replies,
            "companies": len(report.companies - {""}),
            "harsh": report.harsh,
            "harsh_share": round(report.harsh_share, 4),
            "by_category": dict(sorted(report.by_category.items())),
            "passed": report.passed,
        }
        print(json.dumps(data, indent=2))
    else:
        print(f"target: flagged harsh ({', '.join(HARSH)}) <= {MAX_HARSH:.0%}")
        print(format_public(report, verbose))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
