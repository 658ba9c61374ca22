"""Template helpers for readings: evidence marks and signal icons."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import escape, format_html, format_html_join, linebreaks
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


@register.simple_tag
def conversation_reading(conversation: Any) -> SafeString:
    """The latest reading and the risk signals of a conversation, as the inbox row shows them.

    Built in Python rather than an included template: the inbox renders one per row, and an
    include per row was most of the page's time.
    """
    emotion = conversation.emotion
    badge = SafeString("")
    if emotion:
        intensity = float(conversation.intensity or 0)
        badge = format_html(
            '<span class="reading emo-{0}" title="Latest reading: {0}, intensity {1}">{0} '
            '<meter min="0" max="1" low="0.4" high="0.7" optimum="0" value="{2}"></meter></span>',
            emotion,
            floatformat(intensity, 2),
            intensity,
        )
    signals = format_html_join(
        "",
        ' <span class="signal sig-{0}" title="Risk: {1}">{2} {1}</span>',
        ((s, signal_label(s), signal_icon(s)) for s in conversation.signals or ()),
    )
    return badge + signals
