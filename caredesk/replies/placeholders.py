"""The placeholders of a saved reply: only ``{name}`` from a fixed list, never a format spec.

``str.format`` would also accept ``{customer_first_name:>5000000}`` (a 5 MB padding),
``{team!r}`` or ``{subject.__class__}``; a saved reply is written by agents and filled into a page,
so it gets a much smaller language: ``{name}``, ``{{`` and ``}}``. No Django models here, so the
model's ``clean`` and the services share one parser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.core.exceptions import ValidationError

PLACEHOLDERS = {
    "customer_name": "the customer's full name",
    "customer_first_name": "the customer's first name",
    "agent_name": "your name",
    "agent_first_name": "your first name",
    "conversation_id": "the conversation number",
    "subject": "the conversation's subject",
    "team": "the conversation's team",
}

# A doubled brace is a literal brace; `{…}` is a placeholder; a lone brace is a mistake.
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def _known() -> str:
    return ", ".join("{" + p + "}" for p in PLACEHOLDERS)


def placeholders_check(body: str, *, field: str = "body") -> set[str]:
    """The placeholders a body uses; anything but a known ``{name}`` is a clear error."""
    used: set[str] = set()
    for m in _TOKEN.finditer(body):
        token, name = m.group(), m.group(1)
        if token in ("{{", "}}"):
            continue
        if name is None:
            raise ValidationError(
                {
                    field: f"A “{token}” at position {m.start() + 1} has no partner. "
                    "Write {{ or }} for a literal brace."
                }
            )
        if name not in PLACEHOLDERS:
            base = re.split(r"[:!.\[]", name, maxsplit=1)[0].strip()
            if base in PLACEHOLDERS:
                problem = f"{token} adds formatting to a placeholder; write just {{{base}}}."
            else:
                problem = f"Unknown placeholder {token}."
            raise ValidationError({field: f"{problem} You can use {_known()}."})
        used.add(name)
    return used


def placeholders_fill(body: str, values: Mapping[str, str]) -> str:
    """Fill the known placeholders; anything else (a body saved before the check) stays as text."""

    def fill(m: re.Match[str]) -> str:
        token, name = m.group(), m.group(1)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        if name in PLACEHOLDERS:
            return str(values.get(name, ""))
        return token

    return _TOKEN.sub(fill, body)
