"""Emotion and risk reading of customer messages, and the reply coach.

Pure Python with no Django import, so it can be used, tested and benchmarked on its own.
The rules and lexicons live as data files beside the code.
"""

from __future__ import annotations

from caredesk.empathy.types import EMOTIONS, POLARITIES, SIGNALS, Evidence, Reading

__all__ = ["EMOTIONS", "POLARITIES", "SIGNALS", "Evidence", "Reading", "analyze", "coach"]


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    # Lazy so that importing the types does not load lexicons or model weights.
    if name == "analyze":
        from caredesk.empathy.emotion import analyze

        return analyze
    if name == "coach":
        from caredesk.empathy.coaching import coach

        return coach
    raise AttributeError(name)
