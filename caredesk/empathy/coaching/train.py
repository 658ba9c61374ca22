"""Train the coach's learned part (``caredesk eval coach --train``); needs scikit-learn.

One logistic regression per phrase-bound category over binary word 1-2-grams of the reply and a
few facts about the customer's message (``learned.feature_names``). Each category's threshold is
chosen by cross-validation inside the training rows (folds by customer message, so the good and
flawed replies to one message never straddle a fold): the lowest cut-off at which the model's
extra catches (replies the rules missed) outweigh, four to one, the good replies it would newly
flag. The reported figures are honest: an outer cross-validation refits everything, thresholds
included, without the fold it scores, and dev4 is scored by a model that never saw it.
Run time needs NumPy only; scikit-learn is imported here and nowhere in the coach.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from caredesk.empathy.coaching.context import CoachContext
from caredesk.empathy.coaching.engine import coach
from caredesk.empathy.coaching.evaluate import (
    DATA_DIR,
    DEV_SET_3,
    PUBLIC_SAMPLE,
    TUNING_SET,
    Row,
    load_public,
    load_rows,
)
from caredesk.empathy.coaching.learned import META, WEIGHTS, LearnedModel, feature_names, save_model
from caredesk.empathy.coaching.rules import default_rules

DEV_SET_4 = DATA_DIR / "coach_dev4.jsonl"
DEV_SET_5 = DATA_DIR / "coach_dev5.jsonl"
DEV_SET_6 = DATA_DIR / "coach_dev6.jsonl"
TRAIN_SET_1 = DATA_DIR / "coach_train1.jsonl"
#: Categories the rules recognise by phrase; the model learns them by their words.
LEARNED = (
    "absolute",
    "indifference",
    "blame",
    "doubt",
    "sarcasm",
    "reacting",
    "own_mistake",
    "agreement",
)
REASONS = {
    "absolute": "This reads as an absolute about the customer or our product; a softener "
    "(usually, may, rarely) keeps the door open.",
    "indifference": "This reads as if the customer's problem is not ours or does not matter; "
    "take ownership and say what you can do.",
    "blame": "This reads as putting the problem on the customer; look at what happened "
    "together and say what we can do now.",
    "doubt": "This reads as doubt or discouragement without help; say what you will try.",
    "sarcasm": "This reads as sarcastic; say it plainly and helpfully.",
    "reacting": "This reacts to the customer's tone; redirect to the next step instead.",
    "own_mistake": "This apology does not own our mistake; say plainly that we got it wrong.",
    "agreement": "This contradicts the customer flatly; start from what they are right about.",
}
REWRITES = {
    "absolute": ("That's not what we'd expect, so I'll check what happened on our side.",),
    "indifference": (
        "I'll make sure this gets sorted: here is what I can do.",
        "I understand this matters to you, so let's get it sorted.",
    ),
    "blame": (
        "That's easy to miss, so let's look at what we can do now.",
        "Let's look at what happened together and put it right.",
    ),
    "doubt": (
        "I hope we can help with this; let me look into what's possible.",
        "I can't promise the outcome yet, but I'll do everything I can and let you know.",
    ),
    "sarcasm": ("I can see why this is frustrating; here's what I can do.",),
    "reacting": ("Let's focus on putting this right for you.",),
    "own_mistake": ("That was our mistake, and I'm sorry.", "I'm sorry we let you down."),
    "agreement": ("I can see why it looks that way; here's what I found.",),
}
C = 1.0
MIN_DF = 2
HARM_WEIGHT = 4.0
FOLDS = 5
SEED = 15


@dataclass
class Example:
    row: Row
    source: str
    names: list[str]
    rule_categories: set[str]  # what the rules alone find
    group: str


def training_paths() -> list[Path]:
    paths = [TUNING_SET, DEV_SET_3, DEV_SET_4, DEV_SET_5, DEV_SET_6]
    return [*paths, TRAIN_SET_1] if TRAIN_SET_1.exists() else paths


def examples(paths: Sequence[Path]) -> list[Example]:
    out: list[Example] = []
    for path in paths:
        for row in load_rows(path):
            ctx = CoachContext.coerce(row.context)
            found = {f.category for f in coach(row.text, row.context, learned=False)}
            group = (row.context or {}).get("customer") or row.text
            out.append(Example(row, path.stem, feature_names(row.text, ctx), found, group))
    return out


def _matrix(items: Sequence[Example], index: dict[str, int]) -> sparse.csr_matrix:
    rows: list[int] = []
    cols: list[int] = []
    for r, ex in enumerate(items):
        ids = {index[n] for n in ex.names if n in index}
        rows.extend([r] * len(ids))
        cols.extend(ids)
    data = np.ones(len(rows))
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(items), len(index)))


def _fit_weights(items: Sequence[Example]) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    counts: dict[str, int] = {}
    for ex in items:
        for name in set(ex.names):
            counts[name] = counts.get(name, 0) + 1
    vocab = sorted(n for n, k in counts.items() if k >= MIN_DF)
    index = {n: i for i, n in enumerate(vocab)}
    x = _matrix(items, index)
    weights = np.zeros((len(vocab), len(LEARNED)))
    bias = np.zeros(len(LEARNED))
    for col, category in enumerate(LEARNED):
        y = np.array([category in ex.row.expect for ex in items])
        if y.sum() == 0:
            bias[col] = -20.0
            continue
        model = LogisticRegression(
            C=C, class_weight="balanced", solver="liblinear", random_state=SEED, max_iter=1000
        )
        model.fit(x, y)
        weights[:, col] = model.coef_[0]
        bias[col] = model.intercept_[0]
    return index, weights, bias


def _probabilities(
    index: dict[str, int], weights: np.ndarray, bias: np.ndarray, items: Sequence[Example]
) -> np.ndarray:
    logits = _matrix(items, index) @ weights + bias
    return np.asarray(1 / (1 + np.exp(-logits)))


def _folds(items: Sequence[Example], k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    groups = [ex.group for ex in items]
    return list(GroupKFold(n_splits=k).split(np.zeros(len(items)), groups=groups))


def rule_examples() -> list[Example]:
    """The rules' own ``fire`` and ``pass`` examples and their rewrites: the reassurance a rule
    must pass ("you'll never be charged twice") teaches the model what an absolute is not."""
    out: list[Example] = []
    for rule in default_rules().rules:
        if "reply" not in rule.audience:
            continue
        for example, expect in [(e, (rule.category,)) for e in rule.fire] + [
            (e, ()) for e in rule.passes
        ]:
            row = Row(example.text, expect, dict(example.context) if example.context else None)
            ctx = CoachContext.coerce(row.context)
            found = {f.category for f in coach(row.text, row.context, learned=False)}
            names = feature_names(row.text, ctx)
            out.append(Example(row, "rule_examples", names, found, row.text))
    # the rewrites the coach offers are good replies: it must not flag its own advice
    offered = {r for rule in default_rules().rules for r in rule.rewrites if "{" not in r}
    for text in sorted(offered | {r for rs in REWRITES.values() for r in rs}):
        found = {f.category for f in coach(text, None, learned=False)}
        names = feature_names(text, CoachContext())
        out.append(Example(Row(text, ()), "rule_examples", names, found, text))
    return out


def guard_examples() -> list[Example]:
    """Real company replies (the public sample): good by assumption, never trained on.

    They only count against a threshold, as good replies it would newly flag: the public
    sample's harsh share must stay at most 3%, and tweets are unlike any written example.
    """
    out: list[Example] = []
    for reply in load_public(PUBLIC_SAMPLE):
        row = Row(reply.text, ())
        found = {f.category for f in coach(reply.text, None, learned=False)}
        out.append(Example(row, "public", feature_names(reply.text, CoachContext()), found, ""))
    return out


def choose_thresholds(
    items: Sequence[Example], probs: np.ndarray, guard: np.ndarray | None = None
) -> np.ndarray:
    """Per category, the cut-off where extra catches beat newly flagged good replies 4 to 1.

    ``guard`` holds the public replies' probabilities: each one over the cut-off counts as a
    good reply newly flagged.
    """
    out = np.ones(len(LEARNED))
    for col, category in enumerate(LEARNED):
        gain = [
            c in ex.row.expect and c not in ex.rule_categories for ex in items for c in [category]
        ]
        harm = [not ex.row.expect and not ex.rule_categories for ex in items]
        best, best_t = 0.0, 1.0
        for t in sorted(set(np.round(probs[:, col], 4)), reverse=True):
            if t < 0.5:
                break
            hit = probs[:, col] >= t
            harmed = float(np.sum(hit & harm))
            if guard is not None:
                harmed += float(np.sum(guard[:, col] >= t))
            score = float(np.sum(hit & gain)) - HARM_WEIGHT * harmed
            if score > best:
                best, best_t = score, float(t)
        out[col] = best_t
    return out


def fit(
    items: Sequence[Example],
    meta: dict[str, Any] | None = None,
    guard: Sequence[Example] = (),
) -> LearnedModel:
    """Weights on all ``items``; thresholds from an inner cross-validation over them."""
    oof = np.zeros((len(items), len(LEARNED)))
    for train_at, test_at in _folds(items, FOLDS):
        part = _fit_weights([items[i] for i in train_at])
        oof[test_at] = _probabilities(*part, [items[i] for i in test_at])
    index, weights, bias = _fit_weights(items)
    guarded = _probabilities(index, weights, bias, guard) if guard else None
    return LearnedModel(
        categories=LEARNED,
        index=index,
        weights=weights,
        bias=bias,
        thresholds=choose_thresholds(items, oof, guarded),
        reasons=dict(REASONS),
        rewrites=dict(REWRITES),
        meta=dict(meta or {}),
    )


def combined(model: LearnedModel, items: Sequence[Example]) -> list[set[str]]:
    """What rules and model together find on each example."""
    probs = _probabilities(model.index, model.weights, model.bias, items)
    out = []
    for ex, p in zip(items, probs, strict=True):
        extra = {c for c, v, t in zip(LEARNED, p, model.thresholds, strict=True) if v >= t}
        out.append(ex.rule_categories | extra)
    return out


def score(items: Sequence[Example], found: Sequence[set[str]]) -> dict[str, Any]:
    """Recall, false flags and per-category recall, as ``caredesk eval coach`` counts them."""
    flawed = [(ex, f) for ex, f in zip(items, found, strict=True) if ex.row.expect]
    good = [(ex, f) for ex, f in zip(items, found, strict=True) if not ex.row.expect]
    per: dict[str, list[int]] = {}
    for ex, f in flawed:
        for c in ex.row.expect:
            per.setdefault(c, [0, 0])
            per[c][0] += c in f
            per[c][1] += 1
    hits = sum(all(c in f for c in ex.row.expect) for ex, f in flawed)
    flags = sum(bool(f) for _, f in good)
    return {
        "flawed": len(flawed),
        "recall": round(hits / max(len(flawed), 1), 4),
        "good": len(good),
        "false_flags": round(flags / max(len(good), 1), 4),
        "per_category": {c: f"{v[0]}/{v[1]}" for c, v in sorted(per.items())},
    }


def cross_validate(items: Sequence[Example], guard: Sequence[Example] = ()) -> dict[str, Any]:
    """Outer k-fold by customer message: every figure comes from a model that never saw the row."""
    found: list[set[str]] = [set() for _ in items]
    for train_at, test_at in _folds(items, FOLDS):
        model = fit([items[i] for i in train_at], guard=guard)
        for i, f in zip(test_at, combined(model, [items[i] for i in test_at]), strict=True):
            found[i] = f
    out: dict[str, Any] = {}
    for source in sorted({ex.source for ex in items}):
        at = [i for i, ex in enumerate(items) if ex.source == source]
        out[source] = {
            "rules": score([items[i] for i in at], [items[i].rule_categories for i in at]),
            "rules+learned": score([items[i] for i in at], [found[i] for i in at]),
        }
    return out


def train(
    *, save: bool = True, report_cv: bool = True, paths: Sequence[Path] | None = None
) -> dict[str, Any]:
    """Fit on every training set, write ``learned.npz``/``learned.json``, return the figures."""
    paths = list(paths) if paths is not None else training_paths()
    items = examples(paths) + rule_examples()
    guard = guard_examples()
    figures: dict[str, Any] = {"training_sets": [p.name for p in paths], "rows": len(items)}
    if report_cv:
        figures["cross_validated"] = cross_validate(items, guard)
        without = [ex for ex in items if ex.source != DEV_SET_4.stem]
        dev4 = [ex for ex in items if ex.source == DEV_SET_4.stem]
        if without and dev4:
            held = fit(without, guard=guard)
            figures["dev4_trained_without_dev4"] = {
                "rules": score(dev4, [ex.rule_categories for ex in dev4]),
                "rules+learned": score(dev4, combined(held, dev4)),
            }
    model = fit(items, meta={"figures": figures, "C": C, "min_df": MIN_DF}, guard=guard)
    found = combined(model, items)
    figures["training_fit"] = {
        source: score(
            [ex for ex in items if ex.source == source],
            [f for ex, f in zip(items, found, strict=True) if ex.source == source],
        )
        for source in sorted({ex.source for ex in items})
    }
    if save:
        save_model(model, WEIGHTS, META)
    return figures


def _summary(figures: dict[str, Any]) -> str:
    lines = [f"trained on {', '.join(figures['training_sets'])} ({figures['rows']} replies)"]
    for title, key in (
        ("cross-validated (5 folds by customer message)", "cross_validated"),
        ("dev4, model trained without dev4", "dev4_trained_without_dev4"),
    ):
        block = figures.get(key)
        if not block:
            continue
        lines.append(title + ":")
        sets = block.items() if key == "cross_validated" else [("coach_dev4", block)]
        for source, pair in sets:
            for what, fig in pair.items():
                lines.append(
                    f"  {source:<14} {what:<14} recall {fig['recall']:.1%}  "
                    f"false flags {fig['false_flags']:.1%}"
                )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="caredesk eval coach --train",
        description="Train the coach's learned part and write its weights into the package.",
    )
    parser.add_argument("--train", action="store_true", help="(the command's own flag)")
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validated figures")
    parser.add_argument("--dry-run", action="store_true", help="report, write nothing")
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    args = parser.parse_args(argv)
    figures = train(save=not args.dry_run, report_cv=not args.no_cv)
    print(json.dumps(figures, indent=2) if args.json else _summary(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
