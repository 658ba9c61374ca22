"""``caredesk analyze "text"``: read one message from the command line (``-`` reads stdin)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from caredesk.empathy.emotion import analyze
from caredesk.empathy.types import Reading


def render(reading: Reading) -> str:
    lines = [
        f"emotion    {reading.emotion}  (confidence {reading.confidence:.2f})"
        + ("  LOW CONFIDENCE: " + str(reading.extra.get("reason", "")) if reading.low_confidence
           else ""),
        f"polarity   {reading.polarity}",
        f"intensity  {reading.intensity:.2f}",
        f"signals    {', '.join(reading.signals) or '-'}",
        "scores     " + "  ".join(f"{k} {v:.2f}" for k, v in
                                  sorted(reading.scores.items(), key=lambda kv: -kv[1])),
    ]  # fmt: skip
    for e in reading.evidence:
        lines.append(f"evidence   [{e.start}:{e.end}] {e.label}: {e.text!r}")
    lines.append(f"engine     {reading.engine} {reading.version}")
    return "\n".join(lines)


def main(argv: list[str] | None = None, *, model_dir: Path | None = None) -> int:
    """`caredesk analyze`; the desk's CLI passes the configured model folder (`caredesk.config`)."""
    parser = argparse.ArgumentParser(prog="caredesk analyze", description=__doc__)
    parser.add_argument("text", help='the message, or "-" to read it from standard input')
    parser.add_argument("--json", action="store_true", help="print the reading as JSON")
    parser.add_argument("--engine", help="engine name (rules, linear, minilm) or dotted path")
    args = parser.parse_args(argv)
    text = sys.stdin.read() if args.text == "-" else args.text
    reading = analyze(text, engine=args.engine, model_dir=model_dir)
    print(json.dumps(reading.to_dict(), ensure_ascii=False, indent=2) if args.json
          else render(reading))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
