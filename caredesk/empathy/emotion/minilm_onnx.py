"""The fine-tuned MiniLM run by ONNX Runtime, int8: the same network as ``minilm.py``, about
four times faster on one core, so the minilm engine can read each message as it arrives.

The model file is built from the installed base package and ``data/minilm.npz`` by
``export_onnx.py`` (at install time, by ``bin/caredesk``); it is not in the repository. One
thread inside an operator and one across them, set explicitly: the desk runs one reader per
worker process, and more threads on a busy machine made each reading slower, not faster
(issue 14: 1.2 s a message with NumPy's default threads against 82 ms with one).
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from caredesk.empathy.emotion.lexicon import DATA
from caredesk.empathy.emotion.minilm import TUNED, MiniLM, ModelMissing, file_sha256, padded

log = logging.getLogger(__name__)

OPSET = 20  # LayerNormalization (17) and Gelu with the tanh form (20)
INT8 = DATA / "minilm-int8.onnx"
ONNX_FP32 = DATA / "minilm-fp32.onnx"  # only written on request, to compare
BUILD = "python -m caredesk.empathy.emotion.export_onnx"


def stale_reason(path: Path = INT8, tuned: Path = TUNED) -> str | None:
    """Why the model file at ``path`` cannot be used with ``tuned``, or None when it can."""
    if not path.exists():
        return f"{path} is missing: run `{BUILD}` (bin/caredesk does)"
    return _mismatch(_session(path, threads=1, optimize=False), path, tuned)


def _session(path: Path, threads: int, optimize: bool = True) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = (
        onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        if optimize
        else onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    )
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _mismatch(session: Any, path: Path, tuned: Path) -> str | None:
    if session.get_modelmeta().custom_metadata_map.get("tuned_sha256") != file_sha256(tuned):
        return f"{path} was built from another {tuned.name}: run `{BUILD}` again"
    return None


class OnnxMiniLM(MiniLM):
    """``MiniLM`` with the forward pass and head in ONNX Runtime; tokens and padding as there."""

    # Dynamic int8 quantization scales each layer's input by its largest value across the whole
    # batch, so a text's logits move (up to ~0.6) with its batch-mates; batching gains 1.7x.
    prime_batch = 1

    def __init__(
        self,
        tuned: Path = TUNED,
        base: Path | None = None,
        model: Path = INT8,
        threads: int = 1,
    ) -> None:
        super().__init__(tuned, base)
        self.model_path = model
        self.threads = threads

    @cached_property
    def session(self) -> Any:
        """The ONNX Runtime session; raises ``ModelMissing`` saying how to build the file."""
        _ = self.folder  # the tokenizer comes from the base package: say so first if it is not
        if not self.model_path.exists():
            raise ModelMissing(str(stale_reason(self.model_path, self.tuned_path)))
        session = _session(self.model_path, self.threads)
        reason = _mismatch(session, self.model_path, self.tuned_path)
        if reason is not None:
            raise ModelMissing(reason)
        return session

    def load(self) -> None:
        _ = self.session

    def batch_logits(self, batch: list[list[int]]) -> np.ndarray:
        ids, mask = padded(batch)
        out = self.session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
        return np.asarray(out)
