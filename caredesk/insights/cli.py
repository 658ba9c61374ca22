"""`caredesk insights rebuild`: every rollup recomputed from the events, with a progress bar."""

from __future__ import annotations

import sys

from tqdm import tqdm

from caredesk.insights import rollup

USAGE = "usage: caredesk insights rebuild"


def main(argv: list[str]) -> int:
    if argv != ["rebuild"]:
        print(USAGE, file=sys.stderr)
        return 2
    total = rollup.conversation_count()
    with tqdm(total=total, unit="conversation", desc="rollups", file=sys.stderr) as bar:
        done = rollup.rollups_rebuild(progress=bar.update)
    print(f"{done} conversations counted into the daily rollups.")
    return 0
