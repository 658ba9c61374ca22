"""Template helpers for readings: evidence marks and signal icons."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import escape, format_html, format_html_join, linebreaks
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Inline SVG (16×16, drawn with the text colour), never emoji: an emoji font is not on every
# machine, and a missing one showed empty boxes. Each icon stands beside its text label.
SIGNAL_ICONS = {
    "churn_intent": "M3 2h7v12H3zM10 8h4M12 6l2 2-2 2",  # a door and the way out
    "repeated_contact": "M3 7a5 5 0 0 1 9-2M13 9a5 5 0 0 1-9 2M12 2v3H9M4 14v-3h3",  # round again
    "long_wait": "M4 2h8M4 14h8M5 2c0 4 6 4 6 6s-6 2-6 6M11 2c0 4-6 4-6 6s6 2 6 6",  # hourglass
    "public_escalation": "M2 6v4h3l6 3V3L5 6zM13 6v4",  # a megaphone
    "legal_threat": "M8 2v12M4 14h8M3 4h10M3 4l-2 5h4zM13 4l-2 5h4z",  # scales
    "safety": "M8 2 1 14h14zM8 6v4M8 12v1",  # a warning triangle
    "urgency": "M8 3a6 6 0 1 0 0 12A6 6 0 0 0 8 3zM8 6v3l2 2M6 1h4",  # a clock
}
FLAG_ICON = "M3 14V2M3 2h9l-2 3 2 3H3"
PAGE_ICONS = {
    "attachment": "M11 5 6 10a1.5 1.5 0 0 0 2 2l5-5a3 3 0 0 0-4-4L4 8a4.5 4.5 0 0 0 6 6l4-4",
    "mail": "M2 4h12v8H2zM2 4l6 5 6-5",
    "done": "M3 8l3 3 7-7",
    "risk": "M8 2 1 14h14zM8 6v4M8 12v1",
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


def svg_icon(path: str, name: str) -> SafeString:
    """One inline icon; decorative (aria-hidden), since its label is always written beside it."""
    return format_html(
        '<svg class="icon icon-{}" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" '
        'focusable="false"><path d="{}"/></svg>',
        name,
        path,
    )


@register.filter
def signal_icon(signal: str) -> SafeString:
    return svg_icon(SIGNAL_ICONS.get(signal, FLAG_ICON), signal)


@register.simple_tag
def icon(name: str) -> SafeString:
    """A named icon for the pages (attachment, mail, done), with the same look as the signals."""
    return svg_icon(PAGE_ICONS[name], name)


@register.filter
def signal_label(signal: str) -> str:
    return SIGNAL_LABELS.get(signal, signal.replace("_", " "))


@register.filter
def finding_label(category: str) -> str:
    """A coach finding's category in words: "no_next_step" reads "Next step missing"."""
    missing = category.startswith("no_")
    words = category.removeprefix("no_").replace("_", " ").strip().capitalize()
    return f"{words} missing" if missing else words


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
def unclear_badge(emotion: str, confidence: float | None) -> SafeString:
    """A reading the engine is unsure of says so instead of showing its guess as a mood; the
    guess and the confidence stay in the tooltip for the agent who wants them."""
    sure = f"{round(100 * confidence)}% sure" if confidence is not None else "unsure"
    return format_html(
        '<span class="reading mood-unclear" title="Mood unclear: the reading is only {} '
        '(best guess: {})">mood unclear</span>',
        sure,
        emotion,
    )


@register.simple_tag
def conversation_reading(conversation: Any) -> SafeString:
    """The latest reading and the open risk signals of a conversation, as the inbox row shows
    them.

    Built in Python rather than an included template: the inbox renders one per row, and an
    include per row was most of the page's time.
    """
    emotion = conversation.emotion
    badge = SafeString("")
    if emotion and getattr(conversation, "low_confidence", False):
        badge = unclear_badge(emotion, conversation.confidence)
    elif emotion:
        intensity = float(conversation.intensity or 0)
        badge = format_html(
            '<span class="reading emo-{0}" title="Latest reading: {0}, intensity {1}">{0} '
            '<meter min="0" max="1" low="0.4" high="0.7" optimum="0" value="{2}"></meter></span>',
            emotion,
            floatformat(intensity, 2),
            intensity,
        )
    # The strongest open risk first (it stays after a calmer message), then the latest reading's.
    shown = [conversation.risk_signal] if getattr(conversation, "risk_signal", "") else []
    shown += [s for s in conversation.signals or () if s not in shown]
    signals = format_html_join(
        "",
        ' <span class="signal sig-{0}" title="Risk: {1}">{2} {1}</span>',
        ((s, signal_label(s), signal_icon(s)) for s in shown),
    )
    return badge + signals
