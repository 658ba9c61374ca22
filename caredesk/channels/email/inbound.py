"""Writes for inbound mail: store it, decide what it is, thread it into a conversation.

The order is what makes acknowledging safe. The raw mail is written first (content-addressed, so a
re-delivery writes nothing new), then its `InboundMail` row, unique per Message-ID: a second copy
finds the row and stops there. The message is then created through the conversation services and
the row marked stored in ONE transaction, so a crash anywhere leaves either nothing or both, and
the row in `received` is taken up again by the next delivery or by the sweep. Only then does the
listener answer 250 (or IMAP set \\Seen).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from caredesk.channels.email.models import InboundKind, InboundMail, InboundStatus, raw_path
from caredesk.channels.email.parse import ParsedMail, parse_mail, synthetic_message_id
from caredesk.conversations import reading
from caredesk.conversations.models import Channel, Conversation, Message
from caredesk.conversations.services import conversation_create, customer_message_add
from caredesk.customers.models import Customer, Identity, IdentityKind
from caredesk.customers.services import customer_get_or_create_by_email
from caredesk.people.models import User

log = logging.getLogger(__name__)

FLOOD_LIMIT = 20  # mails from one sender within FLOOD_WINDOW; more go to the quarantine
FLOOD_WINDOW = timedelta(minutes=1)
STALE_AFTER = timedelta(minutes=10)  # a row still `received` this long after arrival was orphaned
CUT_NOTE = "\n\n[The rest of this mail was cut here; the whole original is kept with it.]"


class MailTooLarge(ValueError):
    """The mail is larger than CAREDESK_EMAIL_MAX_BYTES (SMTP answers 552)."""


class NotStored(Exception):
    """The mail cannot become a message; the reason goes to the quarantine."""


def _reason(text: str) -> str:
    return text[:500]


def inbound_mail_receive(*, raw: bytes, source: str, null_sender: bool = False) -> InboundMail:
    """Take one raw mail: stored as a message, or quarantined with the reason; never raises for
    the mail's content (only MailTooLarge, and database errors, which the caller must not ack)."""
    if len(raw) > settings.CAREDESK_EMAIL_MAX_BYTES:
        raise MailTooLarge(
            f"{len(raw):,} bytes; the limit is {settings.CAREDESK_EMAIL_MAX_BYTES:,}"
        )
    parsed = parse_mail(raw)
    if null_sender and not parsed.loop_kind:
        parsed.loop_kind, parsed.loop_reason = InboundKind.BOUNCE, "null envelope sender (<>)"
    message_id = parsed.message_id or synthetic_message_id(raw)
    mail = InboundMail.objects.filter(message_id=message_id).first()
    if mail is not None and mail.status != InboundStatus.RECEIVED:
        return mail  # a re-delivery: already stored, quarantined or discarded
    if mail is None:
        name = f"{hashlib.sha256(raw).hexdigest()}.eml"
        path = raw_path(InboundMail(), name)
        if not default_storage.exists(path):
            path = default_storage.save(path, ContentFile(raw))
        try:
            with transaction.atomic():
                mail = InboundMail.objects.create(
                    message_id=message_id[:255],
                    raw=path,
                    size=len(raw),
                    sender=parsed.sender,
                    subject=parsed.subject[:200],
                    source=source,
                    kind=parsed.loop_kind or InboundKind.MAIL,
                    received_at=timezone.now(),
                )
        except IntegrityError:  # the same mail arrived twice at the same moment
            return InboundMail.objects.get(message_id=message_id[:255])
    return _mail_process(mail=mail, parsed=parsed, checks=True)


def _flooding(mail: InboundMail) -> bool:
    if not mail.sender:
        return False
    since = mail.received_at - FLOOD_WINDOW
    earlier = InboundMail.objects.filter(
        sender=mail.sender, received_at__gte=since, received_at__lte=mail.received_at
    ).exclude(pk=mail.pk)
    return earlier.count() >= FLOOD_LIMIT


def _quarantine(mail: InboundMail, reason: str, *, kind: str = "") -> InboundMail:
    with transaction.atomic():
        updated = InboundMail.objects.filter(
            pk=mail.pk, status__in=[InboundStatus.RECEIVED, InboundStatus.QUARANTINED]
        ).update(
            status=InboundStatus.QUARANTINED,
            reason=_reason(reason),
            kind=kind or mail.kind,
            handled_at=timezone.now(),
        )
    if not updated:
        log.info("mail %s was handled meanwhile; left as it is", mail.message_id)
    mail.refresh_from_db()
    return mail


def _mail_process(*, mail: InboundMail, parsed: ParsedMail, checks: bool) -> InboundMail:
    """Store the mail as a message, or quarantine it; `checks` off when a lead re-processes."""
    if parsed.problem:
        return _quarantine(mail, f"unparseable: {parsed.problem}")
    if checks and parsed.loop_kind:
        # Recorded, and never answered: answering a machine is how mail loops start.
        return _quarantine(mail, f"{parsed.loop_kind}: {parsed.loop_reason}", kind=parsed.loop_kind)
    if checks and _flooding(mail):
        return _quarantine(mail, f"rate limited: more than {FLOOD_LIMIT} mails a minute from it")
    try:
        files, dropped = _files(parsed)
        # Read before the transaction: the engine's time never holds the write lock.
        ahead = reading.read_ahead(_body(parsed, dropped))
        with transaction.atomic():
            locked = InboundMail.objects.select_for_update().get(pk=mail.pk)
            if locked.status not in (InboundStatus.RECEIVED, InboundStatus.QUARANTINED):
                return locked
            message = _deliver(parsed, message_id=locked.message_id, files=files, ahead=ahead)
            locked.status = InboundStatus.STORED
            locked.reason = ""
            locked.stored_message = message
            locked.conversation_id = message.conversation_id
            locked.handled_at = timezone.now()
            locked.save(
                update_fields=["status", "reason", "stored_message", "conversation", "handled_at"]
            )
            return locked
    except NotStored as exc:
        return _quarantine(mail, str(exc))
    except ValidationError as exc:
        return _quarantine(mail, f"refused by the desk: {'; '.join(exc.messages)}")


def _customer(parsed: ParsedMail) -> Customer:
    """The customer behind the From address. An address never lands on a customer with a portal
    login unless it is that customer's verified identity: anyone can write any From."""
    identity = (
        Identity.objects.select_related("customer")
        .filter(kind=IdentityKind.EMAIL, value=parsed.sender)
        .first()
    )
    if identity is not None and identity.customer.user_id and not identity.verified:
        raise NotStored(
            "spoofing guard: the address belongs to a customer with a portal login but is not "
            "verified; check with the customer before re-processing"
        )
    return customer_get_or_create_by_email(email=parsed.sender, name=parsed.sender_name)


def _thread(parsed: ParsedMail, customer: Customer) -> Conversation | None:
    """The conversation this mail continues: by the Message-IDs it answers, else by the subject's
    token; only ever one of the sender's own conversations."""
    ids = parsed.thread_ids
    if ids:
        found = (
            InboundMail.objects.filter(message_id__in=ids, conversation__customer=customer)
            .values_list("conversation_id", flat=True)
            .first()
        )
        found = found or (
            Message.objects.filter(external_id__in=ids, conversation__customer=customer)
            .values_list("conversation_id", flat=True)
            .first()
        )
        if found:
            return Conversation.objects.get(pk=found)
    token = parsed.token
    if token is not None:
        return Conversation.objects.filter(pk=token, customer=customer).first()
    return None


def _files(parsed: ParsedMail) -> tuple[list[SimpleUploadedFile], list[str]]:
    """Attachments within the size limit, and a line for each one too large to keep."""
    limit = settings.CAREDESK_MAX_ATTACHMENT_BYTES
    kept: list[SimpleUploadedFile] = []
    dropped: list[str] = []
    for part in parsed.attachments:
        if len(part.data) > limit:
            dropped.append(
                f"[Attachment “{part.filename}” ({len(part.data):,} bytes) is over the limit of "
                f"{limit:,} bytes; it is kept only in the original mail.]"
            )
            continue
        kept.append(SimpleUploadedFile(part.filename, part.data, content_type=part.content_type))
    return kept, dropped


def _body(parsed: ParsedMail, dropped: list[str]) -> str:
    text = parsed.text or "(The mail has no text; see its attachments.)"
    limit = settings.CAREDESK_MAX_MESSAGE_CHARS
    notes = "\n\n".join(dropped)
    room = limit - len(notes) - len(CUT_NOTE) - 4
    if len(text) + len(notes) + 2 > limit:
        text = text[: max(room, 0)] + CUT_NOTE
    return f"{text}\n\n{notes}" if notes else text


def _deliver(
    parsed: ParsedMail,
    *,
    message_id: str,
    files: list[SimpleUploadedFile],
    ahead: reading.ReadAhead,
) -> Message:
    """Create the message through the conversation services, with its reading made ahead."""
    customer = _customer(parsed)
    text = ahead.text
    # The HTML shows the mail as written; when its quoted history was cut from the text, the
    # HTML (which still has it) is left out, and the text is shown instead.
    html = parsed.html if parsed.html and parsed.text == parsed.full_text else ""
    author: User | None = customer.user
    conversation = _thread(parsed, customer)
    if conversation is None:
        created = conversation_create(
            customer=customer,
            subject=parsed.topic,
            text=text,
            channel=Channel.EMAIL,
            author=author,
            html=html,
            external_id=message_id,
            attachments=files,
            ahead=ahead,
        )
        return created.messages.order_by("pk").first() or _missing(created)
    return customer_message_add(
        conversation=conversation,
        text=text,
        author=author,
        channel=Channel.EMAIL,
        html=html,
        external_id=message_id,
        attachments=files,
        ahead=ahead,
    )


def _missing(conversation: Conversation) -> Message:
    raise NotStored(f"conversation #{conversation.pk} was created without its message")


def inbound_mail_reprocess(*, mail: InboundMail, actor: User) -> InboundMail:
    """A lead takes a quarantined mail in after all: loop and flood checks are skipped (the lead
    decided), everything else (parsing, the spoofing guard, the limits) still holds."""
    if mail.status not in (InboundStatus.QUARANTINED, InboundStatus.RECEIVED):
        raise ValidationError({"status": f"This mail is {mail.get_status_display().lower()}."})
    raw = _raw(mail)
    mail = _mail_process(mail=mail, parsed=parse_mail(raw), checks=False)
    InboundMail.objects.filter(pk=mail.pk).update(handled_by=actor)
    return mail


def inbound_mail_discard(*, mail: InboundMail, actor: User) -> InboundMail:
    """A lead drops a quarantined mail; the row and the original stay, so it is never lost."""
    with transaction.atomic():
        updated = InboundMail.objects.filter(
            pk=mail.pk, status__in=[InboundStatus.QUARANTINED, InboundStatus.RECEIVED]
        ).update(status=InboundStatus.DISCARDED, handled_at=timezone.now(), handled_by=actor)
    if not updated:
        raise ValidationError({"status": "Only a quarantined mail can be discarded."})
    mail.refresh_from_db()
    return mail


def _raw(mail: InboundMail) -> bytes:
    if not mail.raw:
        raise ValidationError({"raw": "The original of this mail was not kept."})
    with mail.raw.open("rb") as f:
        return f.read()


def inbound_mail_sweep() -> int:
    """Take up mails left `received` by a process that died between storing the raw mail and
    the message: the next delivery would, but a sender that got no answer may never retry."""
    cutoff = timezone.now() - STALE_AFTER
    done = 0
    for mail in InboundMail.objects.filter(status=InboundStatus.RECEIVED, received_at__lte=cutoff)[
        :200
    ]:
        _mail_process(mail=mail, parsed=parse_mail(_raw(mail)), checks=True)
        done += 1
    return done


def inbound_mail_too_large(*, headers: bytes, size: int, source: str) -> InboundMail:
    """Record a mail too large to take (IMAP: it is in the mailbox, the SMTP path answers 552):
    its headers only, quarantined, so a lead sees that it came."""
    parsed = parse_mail(headers + b"\r\n")
    message_id = parsed.message_id or synthetic_message_id(headers)
    limit = settings.CAREDESK_EMAIL_MAX_BYTES
    mail, _ = InboundMail.objects.get_or_create(
        message_id=message_id[:255],
        defaults={
            "size": size,
            "sender": parsed.sender,
            "subject": parsed.subject[:200],
            "source": source,
            "status": InboundStatus.QUARANTINED,
            "reason": f"too large: {size:,} bytes; the limit is {limit:,}. It stays in the mailbox",
            "received_at": timezone.now(),
            "handled_at": timezone.now(),
        },
    )
    return mail
