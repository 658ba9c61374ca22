"""The minilm engine: the rules on top of MiniLM fine-tuned on GoEmotions, blended with the linear
classifier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from caredesk.empathy.emotion.engines.linear import LinearEngine
from caredesk.empathy.emotion.engines.rules import CLASSIFIER_CHARS
from caredesk.empathy.emotion.lexicon import LexScore
from caredesk.empathy.emotion.text import prepare


class MiniLMEngine(LinearEngine):
    """The rules on top of MiniLM fine-tuned on GoEmotions (``emotion/minilm.py``), blended with the
    linear classifier: the most accurate engine, and about 50 messages a second on one core, so
    the desk reads with it in the background (docs/emotion.md)."""

    name = "minilm"
    inline = False
    takes_model_dir = True  # `get_engine(..., model_dir=)`: where the base model's files are

    def __init__(
        self,
        path: Path | None = None,
        linear_path: Path | None = None,
        model_dir: Path | None = None,
    ) -> None:
        from caredesk.empathy.emotion.minilm import TUNED, MiniLM

        super().__init__(linear_path)
        self.network = MiniLM(path or TUNED, base=model_dir)
        self._cache: dict[str, tuple[np.ndarray, float]] = {}

    @property
    def version(self) -> str:  # type: ignore[override]
        return f"{self.network.version} + {self.model['version']}"

    def ready(self) -> None:
        """Load the network now; raises ``ModelMissing`` with what to install if it cannot."""
        _ = self.network.weights

    def prime(self, texts: list[str]) -> None:
        """Run the network over many messages at once (batched, several times faster than one by
        one); ``analyze`` then finds their logits here. Used by the evaluation and the sweep."""
        wanted = [prepare(t or "").live[:CLASSIFIER_CHARS] for t in texts]
        wanted = list(dict.fromkeys(w for w in wanted if w and w not in self._cache))
        for start in range(0, len(wanted), 512):
            chunk = wanted[start : start + 512]
            if len(self._cache) + len(chunk) > 50_000:
                self._cache.clear()
            rows, seen = self.network.read(chunk)
            self._cache.update(zip(chunk, zip(rows, seen.tolist(), strict=True), strict=True))

    def logits(self, text: str, lex: LexScore) -> np.ndarray:
        tuned = self.network.tuned
        found = self._cache.get(text)
        if found is None:  # not primed: one message as it arrives (not kept, so benches stay fair)
            rows, seen = self.network.read([text])
            found = (rows[0], float(seen[0]))
        return mix(found[0], super().logits(text, lex), found[1], tuned)


def mix(
    network: np.ndarray, linear: np.ndarray, seen: float | np.ndarray, tuned: dict[str, Any]
) -> np.ndarray:
    """The minilm engine's base log-odds: the network (scaled) with some of the linear classifier,
    and the linear classifier alone for what the network cannot see (emoji and symbols are [UNK]
    to it, so "😡😡" is all but invisible); ``seen`` is the share of tokens it can."""
    both = float(tuned["scale"]) * network + float(tuned["blend"]) * linear
    seen = np.asarray(seen)[..., None] if np.ndim(seen) else seen
    return np.asarray(seen * both + (1.0 - seen) * linear + tuned["offsets"])
