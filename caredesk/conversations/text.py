"""Turning what people type into safe, bounded message text and HTML."""

from __future__ import annotations

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import escape, linebreaks

SUBJECT_MAX = 200


def clean_body(text: str | None, *, field: str = "text") -> str:
    """Refuse empty or oversized text with a message a person can act on."""
    text = (text or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if not text:
        raise ValidationError({field: "Write a message before sending — it is empty."})
    limit = settings.CAREDESK_MAX_MESSAGE_CHARS
    if len(text) > limit:
        raise ValidationError(
            {
                field: f"This message is {len(text):,} characters long; the limit is {limit:,}. "
                "Please shorten it or attach the rest as a file."
            }
        )
    return text


def clean_subject(subject: str | None) -> str:
    subject = " ".join((subject or "").split())
    if not subject:
        raise ValidationError({"subject": "Give the conversation a short subject."})
    if len(subject) > SUBJECT_MAX:
        raise ValidationError(
            {"subject": f"The subject is {len(subject)} characters; keep it under {SUBJECT_MAX}."}
        )
    return subject


def text_to_html(text: str) -> str:
    """Plain text becomes paragraphs; everything is escaped, so a script is only ever text."""
    return nh3.clean(linebreaks(escape(text)))


def sanitize_html(html: str) -> str:
    """HTML from email or the API, with scripts, handlers and styles removed."""
    return nh3.clean(html, link_rel="noopener noreferrer nofollow")
