"""The demo mailbox: the mails the desk sent, read back, and the customer's answer sent in.

The demo's backend (`backends.MaildirBackend`) writes every outgoing mail into a Maildir; this
reads it for the page at /demo/mailbox/ and lets the person trying the demo answer a mail as the
customer. The answer goes by SMTP to the desk's own listener (`caredesk smtpd`,
`CAREDESK_SMTPD`) with In-Reply-To and References set, exactly as a mail program would send it,
so it threads into the conversation through the same path as any customer's e-mail.
"""

from __future__ import annotations

import mailbox
import smtplib
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from django.conf import settings
from django.core.exceptions import ValidationError

from caredesk.channels.email.outbound import new_message_id
from caredesk.text import sanitize_html

# The page lists the newest mails only; a demo that ran for weeks stays quick to open.
LIST_LIMIT = 200
SHOWN_HEADERS = (
    "From",
    "To",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Auto-Submitted",
)
ANSWER_MAX_CHARS = 20_000


@dataclass(frozen=True)
class MailSummary:
    key: str
    to: str
    sender: str
    subject: str
    at: datetime | None


@dataclass(frozen=True)
class MailView:
    key: str
    subject: str
    headers: list[tuple[str, str]]
    text: str
    html: str  # sanitized again here: the page shows it as HTML
    attachments: list[str] = field(default_factory=list)


def demo_mailbox() -> mailbox.Maildir | None:
    """The demo's Maildir, or None when there is none (then the pages do not exist)."""
    path = getattr(settings, "CAREDESK_DEMO_MAILBOX", None)
    return mailbox.Maildir(str(path), create=True) if path else None


def _when(value: str | None) -> datetime | None:
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None


def mailbox_list(box: mailbox.Maildir, *, limit: int = LIST_LIMIT) -> list[MailSummary]:
    """The newest mails first (Maildir names begin with the delivery time); headers only."""
    found = []
    for key in sorted(box.keys(), reverse=True)[:limit]:
        with box.get_file(key) as f:
            head = BytesHeaderParser(policy=policy.default).parse(f)  # type: ignore[arg-type]
        found.append(
            MailSummary(
                key=key,
                to=str(head.get("To", "")),
                sender=str(head.get("From", "")),
                subject=str(head.get("Subject", "")),
                at=_when(head.get("Date")),
            )
        )
    return found


def _parsed(box: mailbox.Maildir, key: str) -> EmailMessage | None:
    try:
        f = box.get_file(key)
    except KeyError:
        return None
    with f:
        parsed = BytesParser(policy=policy.default).parse(f)  # type: ignore[arg-type]
    assert isinstance(parsed, EmailMessage)
    return parsed


def _content(part: Message | None) -> str:
    if part is None:
        return ""
    try:
        return str(part.get_content())  # type: ignore[attr-defined]
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def mailbox_get(box: mailbox.Maildir, key: str) -> MailView | None:
    mail = _parsed(box, key)
    if mail is None:
        return None
    html = _content(mail.get_body(preferencelist=("html",)))
    return MailView(
        key=key,
        subject=str(mail.get("Subject", "")),
        headers=[(name, str(mail[name])) for name in SHOWN_HEADERS if mail[name] is not None],
        text=_content(mail.get_body(preferencelist=("plain",))),
        html=sanitize_html(html) if html else "",
        attachments=[part.get_filename() or "attachment" for part in mail.iter_attachments()],
    )


def smtpd_address() -> tuple[str, int]:
    host, _, port = str(settings.CAREDESK_SMTPD).rpartition(":")
    return host or "127.0.0.1", int(port)


def answer_mail(original: EmailMessage, text: str) -> EmailMessage:
    """The customer's answer, as a mail program writes one: to the Reply-To, threaded."""
    customer = getaddresses([str(original.get("To", ""))])
    to = str(original.get("Reply-To") or original.get("From") or "")
    subject = str(original.get("Subject", ""))
    message_id = str(original.get("Message-ID", "")).strip()
    references = " ".join([*str(original.get("References", "")).split(), message_id]).strip()
    answer = EmailMessage()
    answer["From"] = customer[0][1] if customer else ""
    answer["To"] = to
    answer["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    answer["Message-ID"] = new_message_id().replace("@", "@customer.", 1)
    if message_id:
        answer["In-Reply-To"] = message_id
    if references:
        answer["References"] = references
    answer.set_content(text)
    return answer


def mailbox_answer(*, box: mailbox.Maildir, key: str, text: str) -> str:
    """Answer a mail in the demo mailbox as its recipient; returns the answer's Message-ID.

    Raises ValidationError with what to do when the answer is empty or the listener refuses it
    or is not running: nothing is sent then, and the page keeps the text."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write an answer first."})
    if len(text) > ANSWER_MAX_CHARS:
        raise ValidationError(
            {"text": f"An answer may be at most {ANSWER_MAX_CHARS:,} characters."}
        )
    original = _parsed(box, key)
    if original is None:
        raise ValidationError("That mail is no longer in the mailbox.")
    answer = answer_mail(original, text)
    if not answer["From"] or not answer["To"]:
        raise ValidationError("That mail has no address to answer from or to.")
    host, port = smtpd_address()
    try:
        with smtplib.SMTP(host, port, timeout=30) as smtp:
            smtp.send_message(answer)
    except smtplib.SMTPResponseException as exc:
        reason = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        raise ValidationError(
            f"The desk's mail listener refused the answer ({exc.smtp_code} {reason})."
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise ValidationError(
            f"The desk's mail listener at {host}:{port} did not answer ({exc}); "
            "is `caredesk smtpd` running?"
        ) from exc
    return str(answer["Message-ID"])
