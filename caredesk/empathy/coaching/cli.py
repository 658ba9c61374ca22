"""``caredesk coach "draft text"``: print the coach's findings and suggested rewrites."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from caredesk.empathy.coaching.compose import combine
from caredesk.empathy.coaching.engine import coach
from caredesk.empathy.coaching.findings import Finding
from caredesk.empathy.coaching.rules import RuleError, default_rules, load_rules
from caredesk.empathy.types import EMOTIONS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="caredesk coach",
        description="Check a draft reply for words that convey indifference, and suggest rewrites.",
    )
    parser.add_argument("draft", nargs="?", default="-", help="the draft text, or - for stdin")
    parser.add_argument("--json", action="store_true", help="print findings as JSON")
    parser.add_argument("--transfers", type=int, default=None, help="times the customer was moved")
    parser.add_argument("--waited-hours", type=float, default=None, help="how long they waited")
    parser.add_argument("--tech-problem", action="store_true", help="they reported a tech problem")
    parser.add_argument("--upset", action="store_true", help="their latest message reads upset")
    parser.add_argument("--emotion", choices=EMOTIONS, default="frustration", help="with --upset")
    parser.add_argument("--intensity", type=float, default=0.8, help="with --upset (0-1)")
    parser.add_argument(
        "--customer-words", type=int, default=None, help="length of the customer's message"
    )
    parser.add_argument("--note", action="store_true", help="coach an internal note, gently")
    parser.add_argument(
        "--combined", action="store_true", help="also print every finding applied as one reply"
    )
    parser.add_argument("--rules", action="append", type=Path, default=[], help="extra rule file")
    return parser


def context_from(args: argparse.Namespace) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if args.upset:
        context["reading"] = {
            "emotion": args.emotion,
            "polarity": "negative",
            "intensity": args.intensity,
        }
    if args.transfers is not None:
        context["transfers"] = args.transfers
    if args.waited_hours is not None:
        context["waited_hours"] = args.waited_hours
    if args.tech_problem:
        context["tech_problem"] = True
    if args.customer_words is not None:
        context["customer_words"] = args.customer_words
    return context


def format_finding(draft: str, finding: Finding) -> str:
    if finding.kind == "add":
        where = "at the start" if finding.start == 0 else f"at {finding.start}"
        head = f"[{finding.category}] missing, add {where}"
        arrow = "+"
    else:
        quoted = draft[finding.start : finding.end]
        head = f'[{finding.category}] {finding.start}-{finding.end} "{quoted}"'
        arrow = "->"
    lines = [head, f"    {finding.reason}"]
    lines.extend(f"    {arrow} {rewrite}" for rewrite in finding.rewrites)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    draft = sys.stdin.read() if args.draft == "-" else args.draft
    try:
        rules = load_rules(extra_paths=args.rules) if args.rules else default_rules()
    except RuleError as exc:
        print(f"caredesk coach: {exc}", file=sys.stderr)
        return 2
    audience = "note" if args.note else "reply"
    findings = coach(draft, context_from(args), rules=rules, audience=audience)
    if args.json:
        print(json.dumps([f.to_dict() for f in findings], indent=2, ensure_ascii=False))
    elif not findings:
        print(
            "No findings: this note is respectful."
            if args.note
            else "No findings: this reply conveys care."
        )
    else:
        print("\n".join(format_finding(draft, f) for f in findings))
        if args.combined and len(findings) > 1:
            print(f"\nAll as one reply:\n    {combine(draft, findings)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
