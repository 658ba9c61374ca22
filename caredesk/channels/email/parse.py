"""Reading a raw mail into what the desk stores: never raises, whatever arrives.

Mail is written by every program on earth, and some of it by hostile ones: a wrong or missing
charset falls back (UTF-8, then Windows-1252, which decodes any byte), a header that does not parse
is read raw, and what cannot be used at all is named in `problem` so the mail goes to the quarantine
instead of crashing the listener. No Django here beyond plain text helpers: the decisions (what is
a loop, who is the customer, which conversation) are made from a `ParsedMail`.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import Message
from email.utils import getaddresses, parseaddr

import html2text
from mailparser_reply import EmailReplyParser

from caredesk.text import scrub

REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "sv", "pl"]
TOKEN = re.compile(r"\[#(\d{1,12})\]")
_MSGID = re.compile(r"<[^<>\s]{1,250}>")
_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|antw|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_ANGLE_ADDRESS = re.compile(r"<([^<>\s@]+@[^<>\s@]+)>\s*$")
_LINE_BREAKS = re.compile(r"[\r\n\x00]+")
_UNSAFE_NAME = re.compile(r"[^\w.\- ()+]+", re.UNICODE)
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesenheit|"
    r"r[ée]ponse automatique|vacation|autoreply)\b",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliverable|undelivered mail|delivery status notification|"
    r"mail delivery (failed|subsystem)|returned mail|failure notice|delivery failure|"
    r"message not delivered|nicht zustellbar)",
    re.IGNORECASE,
)
_DAEMONS = ("mailer-daemon", "postmaster", "mail-daemon", "bounce", "bounces")


@dataclass(frozen=True)
class Part:
    """An attachment or inline image, decoded."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    sender: str = ""
    sender_name: str = ""
    text: str = ""  # the new part only: quoted history and signature removed
    full_text: str = ""
    html: str = ""
    attachments: list[Part] = field(default_factory=list)
    loop_kind: str = ""  # "auto_reply", "bounce" or "list" when no one should ever answer it
    loop_reason: str = ""
    problem: str = ""  # why it cannot become a message, if it cannot

    @property
    def token(self) -> int | None:
        found = TOKEN.search(self.subject)
        return int(found.group(1)) if found else None

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this mail answers, the nearest first."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.append(mid)
        return seen[:50]

    @property
    def topic(self) -> str:
        """The subject for a new conversation: no Re:/Fwd: prefixes and no conversation token."""
        topic = _PREFIX.sub("", TOKEN.sub("", self.subject)).strip()
        return " ".join(topic.split())[:200] or "(no subject)"


# The domain of the ids the desk makes up for mail that came without one (RFC 2606's .invalid).
SYNTHETIC_DOMAIN = "no-message-id.caredesk.invalid"


def synthetic_message_id(raw: bytes) -> str:
    """A stable id for a mail without one, so that its re-delivery is still recognised. Only the
    desk knows it: replies never quote it back (`outbound.thread_ids`)."""
    return f"<{hashlib.sha256(raw).hexdigest()}@{SYNTHETIC_DOMAIN}>"


def _header(msg: Message, name: str) -> str:
    """A header as one clean line; a header that does not parse is read raw, never raises."""
    try:
        value = msg.get(name)
        text = "" if value is None else str(value)
    except Exception:  # the policy's header parser fails on some hostile values
        raw = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), "")
        text = str(raw)
    return " ".join(_LINE_BREAKS.sub(" ", scrub(text)).split())


def _message_ids(value: str) -> list[str]:
    return [m for m in _MSGID.findall(value) if "@" in m][:100]


def _sender(msg: Message) -> tuple[str, str]:
    """The From address (lower case) and display name; ("", "") when there is no usable one.

    The address is taken from the raw header, before encoded words are decoded: a name that
    decodes to a line break and another header (injection) must not change who wrote."""
    raw = next((str(v) for k, v in msg.raw_items() if k.lower() == "from"), "")
    raw = " ".join(raw.split())
    angle = _ANGLE_ADDRESS.search(raw)  # "name <addr>": whatever the name holds, addr is last
    pairs = getaddresses([raw])
    address = angle.group(1) if angle else (pairs[0][1] if pairs else "")
    address = address.strip().strip("<>").lower()
    if "@" not in address:
        address = parseaddr(_header(msg, "From"))[1].lower()
    address = scrub(address)
    if "@" not in address or any(c in address for c in " ,;\"'\\<>\ufffd"):
        return "", ""
    name = ""
    try:
        addresses: tuple[Address, ...] = getattr(msg.get("From"), "addresses", ())
        name = addresses[0].display_name if addresses else ""
    except Exception:  # a From the policy cannot parse: the address alone will do
        name = ""
    return " ".join(_LINE_BREAKS.sub(" ", scrub(name)).split())[:200], address[:254]


def decode_text(data: bytes, charset: str | None) -> str:
    """Bytes in the charset the part claims; a wrong or unknown one falls back, never raises."""
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("cp1252", errors="replace")


def safe_filename(name: str, fallback: str) -> str:
    """A name that is safe on disk and in a page: no path, no control or shell characters."""
    name = scrub(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" ._")
    return (name or fallback)[-120:]


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # broken base64 or quoted-printable: keep what is there, undecoded
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "replace") if isinstance(raw, str) else b""


def _filename(part: Message) -> str:
    try:
        return part.get_filename() or ""
    except Exception:
        return ""


class _Walk:
    """Collects the first plain and HTML bodies and every attachment, depth-first."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Part] = []

    def visit(self, part: Message, depth: int = 0) -> None:
        if depth > 30:  # a hostile nesting: stop, the raw original is kept anyway
            return
        ctype = part.get_content_type()
        if part.is_multipart() and ctype.startswith("multipart/"):
            for sub in part.get_payload() or []:
                if isinstance(sub, Message):
                    self.visit(sub, depth + 1)
            return
        disposition = (part.get_content_disposition() or "").lower()
        name = _filename(part)
        is_body = ctype in ("text/plain", "text/html")
        if ctype.startswith("message/") or disposition == "attachment" or (name and not is_body):
            self._attach(part, ctype, name)
            return
        if ctype == "text/plain" and not name:
            self.plain.append(decode_text(_payload(part), part.get_content_charset()))
        elif ctype == "text/html" and not name:
            self.html.append(decode_text(_payload(part), part.get_content_charset()))
        elif ctype.startswith("text/") and not name:
            self.plain.append(decode_text(_payload(part), part.get_content_charset()))
        else:
            self._attach(part, ctype, name)

    def _attach(self, part: Message, ctype: str, name: str) -> None:
        if ctype.startswith("message/") and part.is_multipart():
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            data = first.as_bytes() if isinstance(first, Message) else b""
        else:
            data = _payload(part)
        extension = {"message/rfc822": ".eml", "text/html": ".html", "text/plain": ".txt"}.get(
            ctype, ""
        )
        fallback = f"attachment-{len(self.attachments) + 1}{extension}"
        self.attachments.append(Part(safe_filename(name, fallback), ctype[:100], data))


def html_to_text(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    # html2text keeps what is inside <script> and <style> as text; they are never content.
    html = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", " ", html)
    try:
        return converter.handle(html)
    except Exception:  # html2text on hostile markup: fall back to the tags stripped
        return re.sub(r"<[^>]*>", " ", html)


def strip_reply(text: str) -> str:
    """The new part of a reply: quoted history and the signature removed (mail-parser-reply)."""
    try:
        replies = EmailReplyParser(languages=REPLY_LANGUAGES).read(text=text).replies
        body = replies[0].body.strip() if replies else ""
    except Exception:  # the parser on hostile text: keep the whole text rather than nothing
        body = ""
    return body or text.strip()


def _loop(msg: Message, sender: str, subject: str) -> tuple[str, str]:
    """Whether a mail was written by a machine that must never be answered, and why."""
    auto = _header(msg, "Auto-Submitted").lower()
    ctype = msg.get_content_type()
    report = (msg.get_param("report-type") or "") if ctype == "multipart/report" else ""
    local = sender.split("@", 1)[0]
    if ctype == "multipart/report" and str(report).lower() in (
        "delivery-status",
        "disposition-notification",
    ):
        return "bounce", f"delivery report ({report})"
    if local in _DAEMONS or local.startswith(("mailer-daemon", "postmaster")):
        return "bounce", f"sent by {local}"
    if _header(msg, "Return-Path") == "<>":
        return "bounce", "null Return-Path (<>)"
    if _header(msg, "X-Failed-Recipients"):
        return "bounce", "X-Failed-Recipients"
    if _BOUNCE_SUBJECT.match(subject):
        return "bounce", "subject of a delivery failure"
    if auto and auto != "no":
        return "auto_reply", f"Auto-Submitted: {auto[:60]}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponse"):
        if _header(msg, name):
            return "auto_reply", name
    if _AUTO_SUBJECT.match(subject):
        return "auto_reply", "subject of an automatic reply"
    precedence = _header(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return "list", f"Precedence: {precedence}"
    for name in ("List-Id", "List-Unsubscribe"):
        if _header(msg, name):
            return "list", f"{name} header (mailing list)"
    return "", ""


def parse_mail(raw: bytes) -> ParsedMail:
    """Everything the desk needs from a raw mail; `problem` says why it cannot be a message."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:  # the stdlib parser is lenient; this is a last resort
        return ParsedMail(problem=f"not a mail: {type(exc).__name__}")
    parsed = ParsedMail()
    try:
        _fill(parsed, msg, raw)
    except Exception as exc:  # a part we did not foresee: quarantine, never crash the listener
        parsed.problem = f"could not be read: {type(exc).__name__}: {str(exc)[:200]}"
    return parsed


def _fill(parsed: ParsedMail, msg: Message, raw: bytes) -> None:
    ids = _message_ids(_header(msg, "Message-ID"))
    parsed.message_id = ids[0] if ids else ""
    parsed.in_reply_to = _message_ids(_header(msg, "In-Reply-To"))[:5]
    parsed.references = _message_ids(_header(msg, "References"))
    parsed.subject = _header(msg, "Subject")[:500]
    parsed.sender_name, parsed.sender = _sender(msg)
    parsed.loop_kind, parsed.loop_reason = _loop(msg, parsed.sender, parsed.subject)
    if not any(k.lower() in ("from", "subject", "date") for k in msg):
        parsed.problem = "not a mail: no From, Subject or Date header"
        return
    walk = _Walk()
    walk.visit(msg)
    parsed.attachments = walk.attachments
    html = next((h for h in walk.html if h.strip()), "")
    plain = next((p for p in walk.plain if p.strip()), "")
    parsed.html = scrub(html)
    parsed.full_text = scrub(plain or (html_to_text(html) if html else "")).strip()
    parsed.text = strip_reply(parsed.full_text) if parsed.full_text else ""
    if not parsed.sender:
        parsed.problem = "no sender address in From"
    elif not parsed.text and not parsed.attachments:
        parsed.problem = "no text and no attachment"
