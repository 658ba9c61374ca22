"""Template helpers for readings: evidence marks and signal icons."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

SIGNAL_ICONS = {
    "churn_intent": "🚪",
    "repeated_contact": "🔁",
    "long_wait": "⏳",
    "public_escalation": "📣",
    "legal_threat": "⚖️",
    "safety": "⚠️",
    "urgency": "⏰",
}
SIGNAL_LABELS = {
    "churn_intent": "may leave us",
    "repeated_contact": "had to repeat themselves",
    "long_wait": "waited long",
    "public_escalation": "going public",
    "legal_threat": "legal threat",
    "safety": "safety risk",
    "urgency": "urgent loss or deadline",
}


@register.filter
def signal_icon(signal: str) -> str:
    return SIGNAL_ICONS.get(signal, "⚑")


@register.filter
def signal_label(signal: str) -> str:
    return SIGNAL_LABELS.get(signal, signal.replace("_", " "))


@register.filter
def with_evidence(text: str, reading: dict[str, Any] | None) -> SafeString:
    """The message text, escaped, with the words behind the reading marked."""
    spans = sorted(
        (int(e["start"]), int(e["end"]), str(e.get("label", "")))
        for e in (reading or {}).get("evidence", [])
        if 0 <= int(e["start"]) < int(e["end"]) <= len(text)
    )
    parts: list[str] = []
    pos = 0
    for start, end, label in spans:
        if start < pos:
            continue
        parts.append(escape(text[pos:start]))
        kind = "signal-ev" if label in SIGNAL_ICONS else "emotion-ev"
        parts.append(
            f'<mark class="evidence {kind}" data-label="{escape(label)}" '
            f'title="{escape(signal_label(label) if label in SIGNAL_ICONS else label)}">'
            f"{escape(text[start:end])}</mark>"
        )
        pos = end
    parts.append(escape(text[pos:]))
    return mark_safe(linebreaks("".join(parts), autoescape=False))  # noqa: S308 - parts escaped
