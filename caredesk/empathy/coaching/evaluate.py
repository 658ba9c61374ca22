"""``caredesk eval coach``: recall on flawed replies and false flags on caring ones.

A flawed reply counts as found when its expected category is among the findings; any finding on
a good reply is a false flag. Three labelled sets ship with the tests: the tuning set and two
held-out sets, each written before the rules it checks and never tuned on (the second, for issue
15: 150 flawed and 150 good replies across eight industries).
"""

from __future__ import annotations

import argparse
import json
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
MIN_RECALL = 0.92
MAX_FALSE_FLAGS = 0.05


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


def evaluate(rows: Sequence[Row], name: str = "", rules: RuleSet | None = None) -> Report:
    ruleset = rules if rules is not None else default_rules()
    report = Report(name)
    for row in rows:
        categories = [f.category for f in coach(row.text, row.context, rules=ruleset)]
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
    parser.add_argument("--verbose", "-v", action="store_true", help="list misses and false flags")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    args = parser.parse_args(argv)
    paths = args.data or [TUNING_SET, HELD_OUT_SET, HELD_OUT_SET_2]
    reports = [evaluate(load_rows(p), name=p.stem) for p in paths]
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        print(f"targets: recall >= {MIN_RECALL:.0%}, false flags <= {MAX_FALSE_FLAGS:.0%}")
        for report in reports:
            print(format_report(report, args.verbose))
    return 0 if all(r.passed for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
