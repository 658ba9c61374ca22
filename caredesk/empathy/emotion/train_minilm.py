"""Train the minilm engine's adapters and head on GoEmotions train.tsv (torch needed here only).

    python -m caredesk.empathy.emotion.train_minilm fit      # writes data/minilm.npz
    python -m caredesk.empathy.emotion.train_minilm calibrate

``fit`` trains low-rank (LoRA) updates to every dense layer of all-MiniLM-L6-v2, its biases and
layer norms, and a seven-class head on the mean-pooled tokens, and keeps the epoch with the best
macro-F1 on dev.tsv. It is the network of ``minilm.py`` written in torch; a GPU makes it two
minutes, the CPU over an hour. ``calibrate`` (NumPy only) then fits, on dev.tsv with the rules'
boosts added as the engine adds them, how much of the linear classifier to blend in and the
per-class offsets that maximise macro-F1, and stores them in the same file. test.tsv is never read.
The defaults are the settings of the shipped file (chosen on dev among four; docs/emotion.md).
After retraining, update the reference logits in ``tests/test_minilm.py`` from ``build``.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from caredesk.empathy.emotion.datasets import load_goemotions
from caredesk.empathy.emotion.minilm import (
    BASE_SHA256,
    HEADS,
    HIDDEN,
    LAYERS,
    NORMS,
    PARTS,
    TUNED,
    base_dir,
    read_safetensors,
)
from caredesk.empathy.types import EMOTIONS

VERSION = "minilm-1"


def lora_layer(
    torch: Any, tensor: Callable[[str], Any], rank: int, alpha: float, dropout: float
) -> Any:
    """A dense layer of the base model (frozen) with a trainable low-rank update and bias."""
    nn, F = torch.nn, torch.nn.functional
    scale = alpha / rank

    class Lora(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, prefix: str) -> None:
            super().__init__()
            weight = tensor(f"{prefix}.weight")
            self.register_buffer("weight", weight)
            self.bias = nn.Parameter(tensor(f"{prefix}.bias"))
            self.A = nn.Parameter(torch.empty(rank, weight.shape[1]))
            nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))
            self.B = nn.Parameter(torch.zeros(weight.shape[0], rank))
            self.drop = nn.Dropout(dropout)

        def forward(self, x: Any) -> Any:
            low = F.linear(F.linear(self.drop(x), self.A), self.B)
            return F.linear(x, self.weight, self.bias) + scale * low

    return Lora


def build(torch: Any, base: dict[str, np.ndarray], rank: int, alpha: float, dropout: float) -> Any:
    """The network of ``minilm.MiniLM`` in torch, with trainable adapters."""
    nn, F = torch.nn, torch.nn.functional

    def tensor(name: str) -> Any:
        return torch.tensor(np.asarray(base[name], dtype=np.float32))

    def norm(prefix: str) -> Any:
        layer = nn.LayerNorm(HIDDEN, eps=1e-12)
        layer.weight.data.copy_(tensor(f"{prefix}.weight"))
        layer.bias.data.copy_(tensor(f"{prefix}.bias"))
        return layer

    Lora = lora_layer(torch, tensor, rank, alpha, dropout)

    class Net(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("word", tensor("embeddings.word_embeddings.weight"))
            self.register_buffer("position", tensor("embeddings.position_embeddings.weight"))
            self.register_buffer("type0", tensor("embeddings.token_type_embeddings.weight")[0])
            self.emb_norm = norm("embeddings.LayerNorm")
            self.blocks = nn.ModuleList()
            for i in range(LAYERS):
                block = nn.ModuleDict(
                    {part: Lora(f"encoder.layer.{i}.{name}") for part, name in PARTS.items()}
                )
                for key, name in NORMS.items():
                    block[key] = norm(f"encoder.layer.{i}.{name}")
                self.blocks.append(block)
            self.head = nn.Linear(HIDDEN, len(EMOTIONS))
            self.drop = nn.Dropout(dropout)

        def forward(self, ids: Any, mask: Any) -> Any:
            n, length = ids.shape
            size = HIDDEN // HEADS
            x = self.drop(self.emb_norm(self.word[ids] + self.position[:length] + self.type0))
            blocked = ((1.0 - mask) * -1e9)[:, None, None, :]
            for block in self.blocks:

                def heads(y: Any) -> Any:
                    return y.view(n, length, HEADS, size).transpose(1, 2)

                q, k, v = heads(block["query"](x)), heads(block["key"](x)), heads(block["value"](x))
                scores = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(size) + blocked, -1)
                context = (self.drop(scores) @ v).transpose(1, 2).reshape(n, length, HIDDEN)
                x = block["ln1"](x + self.drop(block["attn_out"](context)))
                hidden = F.gelu(block["ffn_in"](x), approximate="tanh")
                x = block["ln2"](x + self.drop(block["ffn_out"](hidden)))
            pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
            return self.head(self.drop(pooled))

    return Net()


def export(net: Any, rank: int, alpha: float, max_tokens: int, note: str) -> dict[str, np.ndarray]:
    """The trained parameters in ``minilm.npz``'s layout (adapters as float16)."""
    out: dict[str, np.ndarray] = {}

    def cpu(t: Any, dtype: Any = np.float32) -> np.ndarray:
        array: np.ndarray = t.detach().float().cpu().numpy().astype(dtype)
        return array

    for i, block in enumerate(net.blocks):
        for part in PARTS:
            out[f"{i}.{part}.A"] = cpu(block[part].A, np.float16)
            out[f"{i}.{part}.B"] = cpu(block[part].B, np.float16)
            out[f"{i}.{part}.bias"] = cpu(block[part].bias)
        for key in NORMS:
            out[f"{i}.{key}.weight"] = cpu(block[key].weight)
            out[f"{i}.{key}.bias"] = cpu(block[key].bias)
    out["emb_norm.weight"] = cpu(net.emb_norm.weight)
    out["emb_norm.bias"] = cpu(net.emb_norm.bias)
    out["head.weight"] = cpu(net.head.weight)
    out["head.bias"] = cpu(net.head.bias)
    out["lora_scale"] = np.array(alpha / rank, dtype=np.float32)
    out["max_tokens"] = np.array(max_tokens)
    out["base_sha256"] = np.array(BASE_SHA256)
    out["version"] = np.array(f"{VERSION} {note}")
    # Until ``calibrate`` runs: the network alone, no offsets.
    out["scale"] = np.array(1.0, dtype=np.float32)
    out["blend"] = np.array(0.0, dtype=np.float32)
    out["offsets"] = np.zeros(len(EMOTIONS), dtype=np.float32)
    return out


def macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    from caredesk.empathy.emotion.train import macro_f1 as f1

    return f1(gold, pred)


def padded(torch: Any, seqs: list[list[int]], device: str) -> tuple[Any, Any]:
    """Token ids padded to the longest sequence, and the mask of the real tokens."""
    length = max(len(s) for s in seqs)
    ids = torch.zeros((len(seqs), length), dtype=torch.long)
    mask = torch.zeros((len(seqs), length))
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1.0
    return ids.to(device), mask.to(device)


def training_setup(
    torch: Any, net: Any, y: np.ndarray, n_train: int, args: argparse.Namespace, device: str
) -> tuple[Any, list[Any], Any, Any]:
    """The class-weighted loss, the trainable parameters, AdamW and its warm-up-then-linear
    schedule."""
    counts = np.bincount(y, minlength=len(EMOTIONS)).astype(np.float64)
    weights = (counts.max() / counts) ** args.class_power
    loss_fn = torch.nn.CrossEntropyLoss(
        weight=torch.tensor(weights / weights.mean(), dtype=torch.float32, device=device)
    )
    params = [p for p in net.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    steps = args.epochs * math.ceil(n_train / args.batch)
    warm = max(1, int(0.06 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm)))
    )
    return loss_fn, params, optimiser, schedule


def predict(
    torch: Any,
    net: Any,
    seqs: list[list[int]],
    batch: Callable[[list[list[int]]], tuple[Any, Any]],
) -> np.ndarray:
    """The network's logits for many sequences, in eval mode, shortest first (less padding)."""
    net.eval()
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    out = np.zeros((len(seqs), len(EMOTIONS)), dtype=np.float32)
    with torch.no_grad():
        for s in range(0, len(order), 256):
            rows = order[s : s + 256]
            out[rows] = net(*batch([seqs[i] for i in rows])).float().cpu().numpy()
    net.train()
    return out


def fit(args: argparse.Namespace) -> int:
    import torch
    from tokenizers import Tokenizer

    torch.manual_seed(args.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cuda.matmul.allow_tf32 = True
    folder = args.base or base_dir()
    base = read_safetensors(folder / "model.safetensors")
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=args.max_tokens)
    train, dev = load_goemotions("train"), load_goemotions("dev")
    if args.limit:
        train, dev = train[: args.limit], dev[: args.limit]

    def encode(rows: list[Any]) -> tuple[list[list[int]], np.ndarray]:
        ids = [e.ids for e in tokenizer.encode_batch([r.text for r in rows])]
        return ids, np.array([EMOTIONS.index(r.label) for r in rows])

    train_ids, y = encode(train)
    dev_ids, y_dev = encode(dev)

    batch = partial(padded, torch, device=device)
    net = build(torch, base, args.rank, args.alpha, args.dropout).to(device)
    loss_fn, params, optimiser, schedule = training_setup(
        torch, net, y, len(train_ids), args, device
    )

    rng = np.random.default_rng(args.seed)
    best: tuple[float, int, dict[str, np.ndarray], np.ndarray] | None = None
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(train_ids))
        total = 0.0
        for s in range(0, len(order), args.batch):
            rows = order[s : s + args.batch]
            ids, mask = batch([train_ids[i] for i in rows])
            loss = loss_fn(net(ids, mask), torch.tensor(y[rows], device=device))
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(rows)
        logits = predict(torch, net, dev_ids, batch)
        score = macro_f1(y_dev, logits.argmax(1))
        print(f"epoch {epoch}: loss {total / len(order):.4f} dev macro-F1 {score:.4f} "
              f"({time.time() - started:.0f}s)", flush=True)  # fmt: skip
        if best is None or score > best[0]:
            note = f"r={args.rank} lr={args.lr} epoch={epoch} devF1={score:.4f}"
            best = (score, epoch, export(net, args.rank, args.alpha, args.max_tokens, note), logits)
    assert best is not None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **best[2])  # type: ignore[arg-type]
    np.save(args.out.with_suffix(".dev.npy"), best[3])
    print(f"kept epoch {best[1]} (dev macro-F1 {best[0]:.4f}); wrote {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m caredesk.empathy.emotion.train_minilm")
    sub = parser.add_subparsers(dest="command", required=True)
    fit_args = sub.add_parser("fit", help="train adapters and head (torch)")
    fit_args.add_argument("--out", type=Path, default=TUNED)
    fit_args.add_argument("--base", type=Path, help="folder with model.safetensors, tokenizer.json")
    fit_args.add_argument("--rank", type=int, default=64)
    fit_args.add_argument("--alpha", type=float, default=128.0)
    fit_args.add_argument("--lr", type=float, default=4e-4)
    fit_args.add_argument("--epochs", type=int, default=5)
    fit_args.add_argument("--batch", type=int, default=32)
    fit_args.add_argument("--dropout", type=float, default=0.1)
    fit_args.add_argument(
        "--class-power", type=float, default=0.3, help="class weights (max/count) ** power"
    )
    fit_args.add_argument("--max-tokens", type=int, default=128)
    fit_args.add_argument("--seed", type=int, default=13)
    fit_args.add_argument("--limit", type=int, default=0, help="first N rows only (smoke test)")
    cal = sub.add_parser("calibrate", help="fit the linear blend and class offsets on dev")
    cal.add_argument("--model", type=Path, default=TUNED)
    args = parser.parse_args(argv)
    if args.command == "fit":
        return fit(args)
    return calibrate(args.model)


def calibrate(path: Path) -> int:
    """Choose the network's scale, the linear blend and the class offsets.

    The network is far surer of itself than the linear classifier ("neutral" at 0.95 for "The
    'express' delivery took 12 days."), so at full scale the customer-service rules, weighted for
    the linear classifier, can no longer turn a factual complaint negative. Each scale and blend
    gets the offsets that maximise macro-F1 on GoEmotions dev (rules applied); the one kept is the
    best on dev among those that read our own written customer-service set (the rules' development
    set) at least as well as the linear engine does, less a point. The held-out set is not read.
    """
    from caredesk.empathy.emotion.datasets import load_customer_messages
    from caredesk.empathy.emotion.engines import CLASSIFIER_CHARS, LinearEngine, MiniLMEngine, mix
    from caredesk.empathy.emotion.train import decide, rule_pass, tune_offsets

    started = time.time()
    engine = MiniLMEngine(path)
    tuned = engine.network.tuned
    linear = LinearEngine()
    dev = load_goemotions("dev")
    gold = np.array([EMOTIONS.index(r.label) for r in dev])
    texts, linear_logits, boosts = [], [], []
    for prepared, lex, rules in rule_pass([r.text for r in dev]):
        texts.append(prepared.live[:CLASSIFIER_CHARS])
        linear_logits.append(linear.logits(texts[-1], lex))
        boosts.append(linear.rule_adjustment(rules))
    network, seen = engine.network.read(texts)
    own = load_customer_messages()
    engine.prime([m.text for m in own])

    def own_figures(reader: Any) -> tuple[float, float]:
        found = [(m.polarity, reader.analyze(m.text).polarity) for m in own]
        negatives = [p for g, p in found if g == "negative"]
        accuracy = sum(g == p for g, p in found) / len(found)
        return accuracy, sum(p == "negative" for p in negatives) / len(negatives)

    floor = tuple(x - 0.01 for x in own_figures(linear))
    print(f"dev and own set read in {time.time() - started:.0f}s; linear on the own set "
          f"{floor[0] + 0.01:.3f} / {floor[1] + 0.01:.3f}")  # fmt: skip
    candidates = []
    for scale in (0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 1.0):
        for blend in (0.0, 0.125, 0.25, 0.375, 0.5, 0.75, 1.0):
            plain = {"scale": scale, "blend": blend, "offsets": np.zeros(len(EMOTIONS))}
            logits = mix(network, np.array(linear_logits), seen, plain) + np.array(boosts)
            offsets = tune_offsets(logits, gold)
            score = macro_f1(gold, decide(logits + offsets))
            tuned.update(scale=np.array(scale), blend=np.array(blend), offsets=offsets)
            figures = own_figures(engine)
            fits = figures[0] >= floor[0] and figures[1] >= floor[1]
            print(f"scale {scale} blend {blend}: dev macro-F1 {score:.4f}; own set "
                  f"{figures[0]:.3f} / {figures[1]:.3f}{'' if fits else ' (below linear)'}",
                  flush=True)  # fmt: skip
            candidates.append((fits, score, scale, blend, offsets))
    fits, score, scale, blend, offsets = max(candidates, key=lambda c: (c[0], c[1]))
    save_calibration(path, tuned, scale=scale, blend=blend, offsets=offsets, score=score)
    return 0


def save_calibration(
    path: Path, tuned: dict[str, Any], *, scale: float, blend: float, offsets: Any, score: float
) -> None:
    """Store the chosen scale, blend and offsets in the model file, and say so in its version."""
    tuned.update(
        scale=np.array(scale, dtype=np.float32),
        blend=np.array(blend, dtype=np.float32),
        offsets=offsets.astype(np.float32),
        version=np.array(
            f"{str(tuned['version']).split(' cal')[0]} cal scale={scale} blend={blend} "
            f"devF1={score:.4f}"
        ),
    )
    np.savez_compressed(path, **tuned)
    print(f"chose scale {scale}, blend {blend} (dev macro-F1 {score:.4f}); wrote {path}")


if __name__ == "__main__":
    raise SystemExit(main())
