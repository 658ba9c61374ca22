"""Fitting helpers of the coach's learned part (``train.py``): one logistic regression, and
the sentence-level fit that learns which sentence of a flawed reply carries the flaw."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

C = 1.0
SEED = 15


def logistic() -> LogisticRegression:
    return LogisticRegression(
        C=C, class_weight="balanced", solver="liblinear", random_state=SEED, max_iter=1000
    )


def sentence_matrix(
    replies: Sequence[Sequence[Sequence[str]]], index: dict[str, int]
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """One row per sentence (each reply a list of sentences' features), and its reply."""
    rows: list[int] = []
    cols: list[int] = []
    owner: list[int] = []
    for e, sentences in enumerate(replies):
        for names in sentences:
            ids = {index[n] for n in names if n in index}
            rows.extend([len(owner)] * len(ids))
            cols.extend(ids)
            owner.append(e)
    data = np.ones(len(rows))
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=(len(owner), len(index)))
    return matrix, np.array(owner)


def fit_sentences(sx: sparse.csr_matrix, owner: np.ndarray, y: np.ndarray) -> LogisticRegression:
    """A sentence-level model from reply-level labels (multiple-instance learning).

    A flawed reply says which category it shows, not which sentence: the first fit treats
    every sentence of it as a weak positive (weights summing to one per reply); the second
    keeps only its best-scoring sentence as the positive and leaves its other sentences out.
    Every sentence of a reply without the category is a negative.
    """
    positive = y[owner]
    sizes = np.bincount(owner, minlength=len(y))
    first = logistic().fit(sx, positive, sample_weight=np.where(positive, 1 / sizes[owner], 1.0))
    score = np.asarray(sx @ first.coef_[0]).ravel()
    keep = ~positive
    best: dict[int, int] = {}
    for row in np.flatnonzero(positive):
        e = int(owner[row])
        if e not in best or score[row] > score[best[e]]:
            best[e] = int(row)
    keep[list(best.values())] = True
    return logistic().fit(sx[keep], positive[keep])
