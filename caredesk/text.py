"""Turning what people type into safe, bounded message text and HTML.

Every write path runs its text through here, so nothing that cannot be encoded as UTF-8 (a lone
surrogate from a JSON ``\\ud800`` escape) or that breaks a page (NUL and other control characters)
is ever stored. A person or client that sent a broken character gets a 400 naming the field;
control characters are invisible junk (pasted from terminals, PDFs) and are removed. Text delivered
by machines we cannot answer (e-mail) goes through ``scrub``, which replaces what it cannot keep.
"""

from __future__ import annotations

import re
from typing import Any

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import escape, linebreaks

SUBJECT_MAX = 200

# C0 controls except tab and newline (carriage returns become newlines first), and DEL.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_encodable(text: str, field: str) -> None:
    found = _SURROGATE.search(text)
    if found:
        raise ValidationError(
            {
                field: f"This text has a broken character (U+{ord(found.group()):04X}, half of a "
                f"UTF-16 pair) at position {found.start() + 1}, so it cannot be stored. "
                "Send it as proper UTF-8 or remove that character."
            }
        )


def clean_text(text: str | None, *, field: str) -> str:
    """Any text someone typed, safe to store: refuse broken characters, drop control characters.

    Newlines and tabs stay; the result is stripped. Says nothing about empty or long text: the
    callers know their own limits.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        raise ValidationError({field: "Send this as text."})
    _check_encodable(text, field)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def clean_line(text: str | None, *, field: str, max_chars: int, required: str = "") -> str:
    """A short one-line field (a name, a title, a reason): whitespace collapsed, length bounded.

    ``required`` is the message for an empty value; without it, empty is allowed.
    """
    text = " ".join(clean_text(text, field=field).split())
    if not text and required:
        raise ValidationError({field: required})
    if len(text) > max_chars:
        raise ValidationError(
            {field: f"This is {len(text):,} characters long; keep it to {max_chars:,}."}
        )
    return text


def clean_body(text: str | None, *, field: str = "text") -> str:
    """Refuse empty or oversized text with a message a person can act on."""
    text = clean_text(text, field=field)
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


def clean_subject(subject: str | None, *, field: str = "subject") -> str:
    return clean_line(
        subject,
        field=field,
        max_chars=SUBJECT_MAX,
        required="Give the conversation a short subject.",
    )


def check_encodable(value: Any, *, field: str) -> None:
    """Refuse a JSON value (rule definitions, contexts) with a broken character anywhere inside."""
    if isinstance(value, str):
        _check_encodable(value, field)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_encodable(key, field=field)
            check_encodable(item, field=field)
    elif isinstance(value, list | tuple):
        for item in value:
            check_encodable(item, field=field)


def scrub(text: str) -> str:
    """Machine-delivered text we cannot send back: broken characters become U+FFFD, controls go."""
    text = _SURROGATE.sub("\ufffd", text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def text_to_html(text: str) -> str:
    """Plain text becomes paragraphs; everything is escaped, so a script is only ever text."""
    return nh3.clean(linebreaks(escape(text)))


def sanitize_html(html: str) -> str:
    """HTML from email or the API, with scripts, handlers and styles removed."""
    return nh3.clean(scrub(html), link_rel="noopener noreferrer nofollow")
