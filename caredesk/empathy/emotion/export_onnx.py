"""Build the minilm engine's ONNX model: the network ``minilm.py`` computes, int8, for ONNX Runtime.

    python -m caredesk.empathy.emotion.export_onnx            # writes data/minilm-int8.onnx
    python -m caredesk.empathy.emotion.export_onnx --fp32     # also data/minilm-fp32.onnx

The graph is written op by op (``onnx.helper``, no torch) from the same folded weights as the
NumPy forward pass (``minilm.merge``: the installed base package with our adapters in
``data/minilm.npz``), then the dense layers and the word embeddings are quantized to int8 with
ONNX Runtime's dynamic quantization. It is built at install time (``bin/caredesk`` runs this when
the file is missing or stale) rather than shipped: the base weights already come from a package,
the build takes seconds and is deterministic, and a retrained ``minilm.npz`` then never meets an
old graph. The file records the sha256 of the npz and of the base it was built from; the engine
refuses a file that does not match (``minilm_onnx.py``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from caredesk.empathy.emotion.minilm import (
    HEADS,
    HIDDEN,
    TUNED,
    MiniLM,
    file_sha256,
)
from caredesk.empathy.emotion.minilm_onnx import INT8, ONNX_FP32, OPSET

EPS = 1e-12


class _Graph:
    """Nodes and initializers of one graph, with fresh names for intermediate values."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.weights: list[Any] = []
        self._count = 0

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.weights.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, kind: str, *inputs: str, name: str = "", **attrs: Any) -> str:
        from onnx import helper

        self._count += 1
        out = name or f"{kind.lower()}_{self._count}"
        self.nodes.append(helper.make_node(kind, list(inputs), [out], name=out, **attrs))
        return out

    def dense(self, x: str, name: str, weight: np.ndarray, bias: np.ndarray) -> str:
        """x @ weight + bias; the MatMul is named after the layer ("3.ffn_out")."""
        product = self.op("MatMul", x, self.const(f"{name}.w", weight), name=name)
        return self.op("Add", product, self.const(f"{name}.b", bias))

    def norm(self, x: str, name: str, weight: np.ndarray, bias: np.ndarray) -> str:
        w, b = self.const(f"{name}.g", weight), self.const(f"{name}.beta", bias)
        return self.op("LayerNormalization", x, w, b, axis=-1, epsilon=EPS)


def build_model(network: MiniLM) -> Any:
    """The ONNX model of ``network``'s forward pass and head: ``input_ids`` (int64, batch x
    tokens) and ``attention_mask`` (float32, 1 for a token, 0 for padding) in, ``logits`` out."""
    from onnx import TensorProto, helper

    top, blocks = network.weights
    g = _Graph()
    size = HIDDEN // HEADS
    one = g.const("one", np.array([1], dtype=np.int64))
    zero = g.const("zero", np.array([0], dtype=np.int64))
    length = g.op("Slice", g.op("Shape", "input_ids"), one, g.const("two", np.array([2])))
    positions = g.op("Slice", g.const("position", top["position"]), zero, length, zero)
    x = g.op("Add", g.op("Gather", g.const("word", top["word"]), "input_ids"), positions)
    x = g.norm(g.op("Add", x, g.const("type", top["type"])), "emb", *top["emb_norm"])
    # (1 - mask) * -1e9 over the keys, as the NumPy pass adds it: [batch, 1, 1, tokens].
    padding = g.op("Sub", g.const("fone", np.array(1.0, dtype=np.float32)), "attention_mask")
    blocked = g.op("Mul", padding, g.const("minus", np.array(-1e9, dtype=np.float32)))
    blocked = g.op("Unsqueeze", blocked, g.const("axes12", np.array([1, 2])))
    split = g.const("heads", np.array([0, 0, HEADS, size]))
    joined = g.const("joined", np.array([0, 0, HIDDEN]))
    scale = np.float32(1.0 / np.sqrt(size))
    for i, block in enumerate(blocks):
        d = block.dense

        def heads(part: str, perm: list[int], x: str = x, i: int = i,
                  d: dict[str, tuple[np.ndarray, np.ndarray]] = d) -> str:  # fmt: skip
            w, b = d[part]
            if part == "query":  # the 1/sqrt(head size) of the scores, folded in
                w, b = w * scale, b * scale
            return g.op("Transpose", g.op("Reshape", g.dense(x, f"{i}.{part}", w, b), split),
                        perm=perm)  # fmt: skip

        scores = g.op("MatMul", heads("query", [0, 2, 1, 3]), heads("key", [0, 2, 3, 1]))
        probs = g.op("Softmax", g.op("Add", scores, blocked), axis=-1)
        context = g.op("MatMul", probs, heads("value", [0, 2, 1, 3]))
        context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), joined)
        x = g.norm(g.op("Add", x, g.dense(context, f"{i}.attn_out", *d["attn_out"])),
                   f"{i}.ln1", *block.norms["ln1"])  # fmt: skip
        hidden = g.op("Gelu", g.dense(x, f"{i}.ffn_in", *d["ffn_in"]), approximate="tanh")
        x = g.norm(g.op("Add", x, g.dense(hidden, f"{i}.ffn_out", *d["ffn_out"])),
                   f"{i}.ln2", *block.norms["ln2"])  # fmt: skip
    mask = g.op("Unsqueeze", "attention_mask", g.const("axis2", np.array([2])))
    total = g.op("ReduceSum", g.op("Mul", x, mask), one, keepdims=0)
    pooled = g.op("Div", total, g.op("ReduceSum", "attention_mask", one, keepdims=1))
    logits = g.dense(pooled, "head", top["head_w"], top["head_b"])
    g.nodes.append(helper.make_node("Identity", [logits], ["logits"]))
    graph = helper.make_graph(
        g.nodes,
        "minilm",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.FLOAT, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 7])],
        g.weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 10
    return model


def stamp(model: Any, network: MiniLM) -> None:
    """Record what the file was built from; the engine compares it with what is installed."""
    meta = {
        "version": network.version,
        "tuned_sha256": file_sha256(network.tuned_path),
        "base_sha256": str(network.tuned["base_sha256"]),
    }
    del model.metadata_props[:]
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value


def export(
    out: Path = INT8,
    *,
    base: Path | None = None,
    tuned: Path = TUNED,
    fp32: Path | None = None,
) -> Path:
    """Write the int8 model to ``out`` (and the float one to ``fp32`` when given); the base
    must be the one the adapters were trained on (``MiniLM.weights`` checks its sha256)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    network = MiniLM(tuned, base=base)
    model = build_model(network)
    stamp(model, network)
    onnx.checker.check_model(model)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        plain = Path(work) / "fp32.onnx"
        onnx.save(model, plain)
        if fp32 is not None:
            _replace(fp32, plain.read_bytes())
        quantized = Path(work) / "int8.onnx"
        quantize_dynamic(
            plain,
            quantized,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul", "Gather"],
            per_channel=True,  # per output column: a third of the error of one scale a tensor
            extra_options={"MatMulConstBOnly": True},
        )
        built = onnx.load(quantized)
        stamp(built, network)  # the quantizer keeps metadata in some versions, not in others
        _replace(out, built.SerializeToString())
    return out


def _replace(path: Path, data: bytes) -> None:
    """Write next to ``path`` and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{os.getpid()}")
    part.write_bytes(data)
    part.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=INT8)
    parser.add_argument("--base", type=Path, default=None, help="the base model's folder")
    parser.add_argument("--fp32", action="store_true", help=f"also write {ONNX_FP32.name}")
    parser.add_argument("--if-stale", action="store_true", help="only when missing or stale")
    args = parser.parse_args(argv)
    if args.if_stale:
        from caredesk.empathy.emotion.minilm_onnx import stale_reason

        if stale_reason(args.out) is None:
            return 0
    path = export(args.out, base=args.base, fp32=ONNX_FP32 if args.fp32 else None)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
