"""Reading a customer's emotion, polarity, intensity and risk signals from one message.

Engines are pluggable by dotted path (Django's habit): ``get_engine("pkg.module.Class")`` or a short
name from ``ENGINES``. ``analyze(text)`` uses the default engine, chosen on measured accuracy and
speed (see docs/emotion.md).
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Protocol, runtime_checkable

from caredesk.empathy.types import Reading

__all__ = ["DEFAULT_ENGINE", "ENGINES", "Engine", "analyze", "get_engine"]

ENGINES: dict[str, str] = {
    "rules": "caredesk.empathy.emotion.engines.RulesEngine",
    "linear": "caredesk.empathy.emotion.engines.LinearEngine",
    "minilm": "caredesk.empathy.emotion.engines.MiniLMEngine",
}
DEFAULT_ENGINE = ENGINES["linear"]


@runtime_checkable
class Engine(Protocol):
    name: str
    version: str

    def analyze(self, text: str) -> Reading: ...


def get_engine(dotted_path: str | None = None) -> Engine:
    """The engine at ``dotted_path`` (a class or a factory) or named in ENGINES, built once."""
    return _build(ENGINES.get(dotted_path or "", dotted_path or DEFAULT_ENGINE))


@lru_cache(maxsize=8)
def _build(path: str) -> Engine:
    module_name, _, attr = path.rpartition(".")
    if not module_name:
        raise ValueError(f"not a dotted path to an emotion engine: {path!r}")
    factory = getattr(importlib.import_module(module_name), attr)
    engine = factory()
    if not isinstance(engine, Engine):
        raise TypeError(f"{path} does not build an engine with name, version and analyze()")
    return engine


def analyze(text: str, engine: str | None = None) -> Reading:
    """Read one inbound message; quoted email history is ignored."""
    return get_engine(engine).analyze(text)
