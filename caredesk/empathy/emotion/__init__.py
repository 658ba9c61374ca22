"""Reading a customer's emotion, polarity, intensity and risk signals from one message.

Engines are pluggable by dotted path (Django's habit): ``get_engine("pkg.module.Class")`` or a short
name from ``ENGINES``. ``analyze(text)`` uses the default engine, chosen on measured accuracy and
speed (see docs/emotion.md).
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

from caredesk.empathy.types import Reading

__all__ = ["DEFAULT_ENGINE", "ENGINES", "Engine", "analyze", "get_engine"]

ENGINES: dict[str, str] = {
    "rules": "caredesk.empathy.emotion.engines.RulesEngine",
    "linear": "caredesk.empathy.emotion.engines.LinearEngine",
    "minilm": "caredesk.empathy.emotion.engines.MiniLMEngine",
    "polar": "caredesk.empathy.emotion.engines.PolarEngine",
}
DEFAULT_ENGINE = ENGINES["polar"]


@runtime_checkable
class Engine(Protocol):
    name: str
    version: str

    def analyze(self, text: str) -> Reading: ...


def get_engine(dotted_path: str | None = None, *, model_dir: Path | None = None) -> Engine:
    """The engine at ``dotted_path`` (a class or a factory) or named in ENGINES, built once.

    ``model_dir`` is where an engine with downloaded weights finds them (the minilm engine's base
    model; None: the installed package's). The library never reads the environment: the desk
    passes what its configuration says. Only a factory marked ``takes_model_dir`` receives it.
    """
    return _build(ENGINES.get(dotted_path or "", dotted_path or DEFAULT_ENGINE), model_dir)


@lru_cache(maxsize=8)
def _build(path: str, model_dir: Path | None) -> Engine:
    module_name, _, attr = path.rpartition(".")
    if not module_name:
        raise ValueError(f"not a dotted path to an emotion engine: {path!r}")
    factory = getattr(importlib.import_module(module_name), attr)
    takes = model_dir is not None and getattr(factory, "takes_model_dir", False)
    engine = factory(model_dir=model_dir) if takes else factory()
    if not isinstance(engine, Engine):
        raise TypeError(f"{path} does not build an engine with name, version and analyze()")
    return engine


def analyze(text: str, engine: str | None = None, *, model_dir: Path | None = None) -> Reading:
    """Read one inbound message; quoted email history is ignored."""
    return get_engine(engine, model_dir=model_dir).analyze(text)
