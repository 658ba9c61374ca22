"""The minilm engine: the rules on top of MiniLM fine-tuned on GoEmotions, blended with the linear
classifier; the network runs in ONNX Runtime, int8 (``MiniLMNumpyEngine``: the NumPy pass)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from caredesk.empathy.emotion.engines.linear import LinearEngine
from caredesk.empathy.emotion.engines.rules import CLASSIFIER_CHARS, score_within
from caredesk.empathy.emotion.lexicon import LexScore
from caredesk.empathy.emotion.minilm import TUNED, MiniLM
from caredesk.empathy.emotion.minilm_onnx import INT8, OnnxMiniLM
from caredesk.empathy.emotion.rules import RuleResult
from caredesk.empathy.emotion.text import Prepared, prepare

# The sentence-level pass reads each sentence up to this many tokens (a run-on "sentence" of a
# whole message would otherwise cost as much as the message).
SENTENCE_TOKENS = 64


class MiniLMEngine(LinearEngine):
    """The rules on top of MiniLM fine-tuned on GoEmotions (``emotion/minilm.py``), blended with
    the linear classifier: the most accurate engine on GoEmotions. Run by ONNX Runtime in int8
    on one thread (``minilm_onnx.py``) it reads over 200 typical messages a second on one core,
    fast enough to read each message as it arrives (docs/emotion.md, "Speed")."""

    name = "minilm"
    inline = True
    takes_model_dir = True  # `get_engine(..., model_dir=)`: where the base model's files are

    def __init__(
        self,
        path: Path | None = None,
        linear_path: Path | None = None,
        model_dir: Path | None = None,
        onnx: Path = INT8,
    ) -> None:
        super().__init__(linear_path)
        self.network = self._network(path or TUNED, model_dir, onnx)
        self._cache: dict[str, tuple[np.ndarray, float]] = {}

    @staticmethod
    def _network(tuned: Path, base: Path | None, onnx: Path) -> MiniLM:
        return OnnxMiniLM(tuned, base=base, model=onnx)

    @property
    def version(self) -> str:  # type: ignore[override]
        return f"{self.network.version} + {self.model['version']}"

    def ready(self) -> None:
        """Load the network now; raises ``ModelMissing`` with what to install if it cannot."""
        self.network.load()

    def prime(self, texts: list[str]) -> None:
        """Run the network over many messages at once; ``analyze`` then finds their logits here.
        Used by the evaluation and the sweep. The int8 network reads them one at a time
        (``prime_batch``), so a reading never depends on which messages shared its batch."""
        wanted = [prepare(t or "").live[:CLASSIFIER_CHARS] for t in texts]
        wanted = list(dict.fromkeys(w for w in wanted if w and w not in self._cache))
        for start in range(0, len(wanted), 512):
            chunk = wanted[start : start + 512]
            if len(self._cache) + len(chunk) > 50_000:
                self._cache.clear()
            rows, seen = self.network.read(chunk, batch_size=self.network.prime_batch)
            self._cache.update(zip(chunk, zip(rows, seen.tolist(), strict=True), strict=True))

    def logits(self, text: str, lex: LexScore) -> np.ndarray:
        tuned = self.network.tuned
        found = self._cache.get(text)
        if found is None:  # not primed: one message as it arrives (not kept, so benches stay fair)
            rows, seen = self.network.read([text])
            found = (rows[0], float(seen[0]))
        return mix(found[0], super().logits(text, lex), found[1], tuned)

    def _sentence_bases(
        self, prepared: Prepared, lex: LexScore, rules: RuleResult, spans: list[tuple[int, int]]
    ) -> list[np.ndarray]:
        """Every sentence of the message through the network in one padded batch, each cut to
        ``SENTENCE_TOKENS``: one call instead of one per sentence."""
        if not spans:
            return []
        texts = [prepared.live[a:b][:CLASSIFIER_CHARS] for a, b in spans]
        linear = [
            LinearEngine.logits(self, text, score_within(lex, rules, [span]))
            for text, span in zip(texts, spans, strict=True)
        ]
        rows, seen = self.network.read(texts, max_tokens=SENTENCE_TOKENS)
        tuned = self.network.tuned
        return [
            mix(row, lin, float(share), tuned)
            for lin, row, share in zip(linear, rows, seen, strict=True)
        ]


class MiniLMNumpyEngine(MiniLMEngine):
    """The same engine with the network's forward pass in NumPy (float32): what the ONNX model
    is checked against, and usable where ONNX Runtime is not installed; about four times slower,
    so the desk would read with it in the background."""

    inline = False

    @staticmethod
    def _network(tuned: Path, base: Path | None, onnx: Path) -> MiniLM:
        return MiniLM(tuned, base=base)


def mix(
    network: np.ndarray, linear: np.ndarray, seen: float | np.ndarray, tuned: dict[str, Any]
) -> np.ndarray:
    """The minilm engine's base log-odds: the network (scaled) with some of the linear classifier,
    and the linear classifier alone for what the network cannot see (emoji and symbols are [UNK]
    to it, so "😡😡" is all but invisible); ``seen`` is the share of tokens it can."""
    both = float(tuned["scale"]) * network + float(tuned["blend"]) * linear
    seen = np.asarray(seen)[..., None] if np.ndim(seen) else seen
    return np.asarray(seen * both + (1.0 - seen) * linear + tuned["offsets"])
