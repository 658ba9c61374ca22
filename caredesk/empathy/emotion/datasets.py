"""Loading the shared evaluation data and our own fixtures, mapped onto Caredesk's classes.

The public data sets stay in ``<repo root>/../shared/data`` (or ``$CAREDESK_SHARED_DATA``);
they are read where they lie and never copied into the project.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from caredesk.empathy.types import SIGNALS

REPO_ROOT = Path(__file__).resolve().parents[3]
TEST_DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
HELDOUT_DATA = Path(__file__).resolve().parent / "data" / "heldout"

# The held-out real-text sources (docs/emotion-heldout.md): name -> (file, medium). Never train or
# tune on them; they are read only by `caredesk eval emotion` and its regression test.
HELDOUT_SOURCES: dict[str, tuple[str, str]] = {
    "smile": ("smile_tweets.tsv.gz", "short posts to organisations (tweets)"),
    "cfpb": ("cfpb_narratives.tsv.gz", "long e-mail-like complaints"),
}
POLARITIES = ("negative", "neutral", "positive")

# GoEmotions' 27 emotions onto our seven classes; labels missing here (curiosity, desire,
# realization, surprise) have no class, and rows that reach none or several classes are dropped.
GOEMOTIONS_MAP: dict[str, str] = {
    "anger": "anger",
    "disgust": "anger",
    "annoyance": "frustration",
    "disapproval": "frustration",
    "fear": "worry",
    "nervousness": "worry",
    "sadness": "sadness",
    "disappointment": "sadness",
    "grief": "sadness",
    "remorse": "sadness",
    "embarrassment": "sadness",
    "confusion": "confusion",
    "gratitude": "gratitude",
    "joy": "gratitude",
    "relief": "gratitude",
    "admiration": "gratitude",
    "approval": "gratitude",
    "love": "gratitude",
    "optimism": "gratitude",
    "caring": "gratitude",
    "excitement": "gratitude",
    "amusement": "gratitude",
    "pride": "gratitude",
    "neutral": "neutral",
}

# Gold polarity of a mapped class: confusion is a question, not a complaint, so it is neutral.
POLARITY_OF: dict[str, str] = {
    "anger": "negative",
    "frustration": "negative",
    "worry": "negative",
    "sadness": "negative",
    "confusion": "neutral",
    "gratitude": "positive",
    "neutral": "neutral",
}


def shared_data_dir(configured: Path | None = None) -> Path:
    """Where the shared data sets live: `configured` (the desk passes `CAREDESK_SHARED_DATA` from
    its configuration, so CI and laptops can differ), else ``<repo root>/../shared/data``."""
    return Path(configured) if configured is not None else REPO_ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class Example:
    text: str
    label: str


def load_goemotions(split: str, root: Path | None = None) -> list[Example]:
    """Rows of one GoEmotions split whose labels map onto exactly one of our classes."""
    folder = (root or shared_data_dir()) / "goemotions"
    names = (folder / "labels.txt").read_text(encoding="utf-8").split()
    rows: list[Example] = []
    with open(folder / f"{split}.tsv", encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2:
                continue
            classes = {GOEMOTIONS_MAP.get(names[int(i)]) for i in parts[1].split(",") if i}
            classes.discard(None)
            if len(classes) == 1:
                rows.append(Example(parts[0], str(classes.pop())))
    return rows


@dataclass(frozen=True)
class Rated:
    text: str
    valence: float
    split: str


def load_emobank(root: Path | None = None) -> list[Rated]:
    path = (root or shared_data_dir()) / "emobank" / "emobank.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        return [Rated(row["text"], float(row["V"]), row["split"]) for row in csv.DictReader(handle)]


def _fixture_rows(name: str) -> Iterator[list[str]]:
    with open(TEST_DATA / name, encoding="utf-8") as handle:
        for line in handle:
            if line.strip() and not line.startswith("#"):
                yield line.rstrip("\n").split("\t")


@dataclass(frozen=True)
class CustomerMessage:
    text: str
    polarity: str
    emotion: str


def load_customer_messages(name: str = "customer_messages.tsv") -> list[CustomerMessage]:
    """Our own written set of customer messages (see tests/data/customer_messages.tsv); pass
    ``"customer_heldout.tsv"`` for the held-out set that no rule was tuned on."""
    return [
        CustomerMessage(text.replace("\\n", "\n"), polarity, emotion)
        for polarity, emotion, text in _fixture_rows(name)
    ]


@dataclass(frozen=True)
class SignalCase:
    text: str
    signals: frozenset[str]


def load_signal_cases() -> list[SignalCase]:
    cases = []
    for labels, text in _fixture_rows("signals.tsv"):
        found = frozenset() if labels == "none" else frozenset(labels.split(","))
        unknown = found - set(SIGNALS)
        if unknown:
            raise ValueError(f"unknown signal {sorted(unknown)} in signals.tsv")
        cases.append(SignalCase(text.replace("\\n", "\n"), found))
    return cases


@dataclass(frozen=True)
class HeldOutMessage:
    text: str
    polarity: str
    ref: str  # where the row comes from in its source (see the folder's NOTICE.txt)


_ESCAPE = re.compile(r"\\([\\n])")


def load_heldout(source: str, *, every: int = 1) -> list[HeldOutMessage]:
    """The rows of one held-out source; ``every=n`` keeps every n-th row (the small, fixed sample
    the regression test reads). Texts come back with their line breaks."""
    if source not in HELDOUT_SOURCES:
        raise ValueError(f"unknown held-out source {source!r}; known: {sorted(HELDOUT_SOURCES)}")
    rows = []
    with gzip.open(HELDOUT_DATA / HELDOUT_SOURCES[source][0], "rt", encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    for line in lines[::every]:
        polarity, ref, text = line.rstrip("\n").split("\t")
        if polarity not in POLARITIES:
            raise ValueError(f"{source}: row {ref} has polarity {polarity!r}")
        text = _ESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else "\\", text)
        rows.append(HeldOutMessage(text, polarity, ref))
    return rows
