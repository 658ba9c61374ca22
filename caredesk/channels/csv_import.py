"""Importing conversations from CSV, one message per row, through the same services as the desk.

Columns (a header row names them; order is free):

- `external_id` (required): the row's own id in the source system, unique across every import;
  a row already imported is skipped, so importing the same file twice creates nothing twice.
- `conversation` (required): the conversation's key in the source; rows with the same key are one
  conversation, in file order. Its first row must be the customer's and carry `subject`.
- `customer_email` (required), `customer_name`: the customer, matched on the verified e-mail
  identity like mail and the API (`customer_get_or_create_by_email`).
- `at` (required): when it was written, ISO 8601 (`2026-03-01T09:30:00+01:00`; no zone means UTC).
- `direction` (required): `customer`, `agent` (a reply) or `note` (internal).
- `author_email`: the agent, for `agent` and `note` rows (an existing agent of this desk).
- `text` (required), `channel` (`email` by default, `portal` or `api`).
- `status`: `resolved` or `closed` after this row (the other states follow from the messages).
- `satisfaction`, `effort` (1–5, both or neither): the customer's rating of a resolved conversation;
  only a customer with a portal login can have rated.

Each row is its own unit and its own transaction: a bad row is reported with its line and reason
and never stops the others.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from caredesk.channels.csv_models import ImportedRow
from caredesk.conversations import reading, services
from caredesk.conversations.models import DONE_STATUSES, Channel, Conversation, Message, Status
from caredesk.customers.models import Customer
from caredesk.customers.services import customer_get_or_create_by_email
from caredesk.people.models import Agent

REQUIRED = ("external_id", "conversation", "customer_email", "at", "direction", "text")
DIRECTIONS = ("customer", "agent", "note")
MAX_KEY = 100
# A row's fields may be long (a message), but not unbounded.
csv.field_size_limit(1_000_000)


class RowError(ValueError):
    """Why one row was not imported, in a sentence for the person who made the file."""


@dataclass
class ImportReport:
    created: int = 0
    skipped: int = 0  # already imported
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    @property
    def rows(self) -> int:
        return self.created + self.skipped + len(self.errors)


def csv_decode(raw: bytes) -> str:
    """The file as text: UTF-8 (with or without a byte-order mark), or a clear refusal."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"The file is not UTF-8 (byte {exc.start}); save it as CSV UTF-8 and try again."
        ) from exc


def csv_rows(stream: TextIO) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    """(line, row) for every data row; a row the CSV reader cannot read comes as a `RowError`."""
    reader = csv.DictReader(stream)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationError(f"The header row lacks these columns: {', '.join(missing)}.")
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, RowError(f"This row cannot be read as CSV: {exc}.")
            continue
        if None in row:
            yield reader.line_num, RowError("This row has more fields than the header.")
            continue
        yield reader.line_num, {k: (v or "").strip() for k, v in row.items()}


def conversations_import(
    rows: Iterable[tuple[int, dict[str, str] | RowError]],
    *,
    on_row: Callable[[], None] | None = None,
) -> ImportReport:
    report = ImportReport()
    for line, row in rows:
        try:
            if isinstance(row, RowError):
                raise row
            if row_import(row):
                report.created += 1
            else:
                report.skipped += 1
        except RowError as exc:
            report.errors.append((line, str(exc)))
        except (ValidationError, PermissionDenied) as exc:
            report.errors.append((line, " ".join(_messages(exc))))
        if on_row is not None:
            on_row()
    return report


def _messages(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return [
                f"{k}: {m}" if k != "__all__" else m
                for k, ms in exc.message_dict.items()
                for m in ms
            ]
        return list(exc.messages)
    return [str(exc) or "Not allowed."]


@dataclass(frozen=True)
class _Row:
    external_id: str
    key: str
    customer: Customer
    at: datetime
    direction: str
    text: str
    subject: str
    channel: str
    agent: Agent | None
    status: str
    rating: tuple[int, int] | None


class _AlreadyImported(Exception):
    """The row's `ImportedRow` could not be inserted; its transaction is rolled back."""


def row_import(raw: dict[str, str]) -> bool:
    """Import one row; False if it was imported before. Raises `RowError` or `ValidationError`.

    The row's message, its status and rating, and its `ImportedRow` are written in one
    transaction: a crash between them leaves nothing, so importing the file again imports the row
    once. The customer's text is read before that transaction opens (`reading.read_ahead`), so a
    slow engine never holds the write lock."""
    external_id = _key(raw, "external_id")
    if ImportedRow.objects.filter(external_id=external_id).exists():
        return False
    row = _parse(raw, external_id)
    ahead = reading.read_ahead(row.text) if row.direction == "customer" else None
    try:
        with transaction.atomic():
            _row_write(row, ahead)
    except _AlreadyImported as exc:
        if ImportedRow.objects.filter(external_id=row.external_id).exists():
            return False  # the same row, imported at this moment by another import
        raise RowError(f"This row could not be stored: {exc.__cause__}.") from exc
    return True


def _row_write(row: _Row, ahead: reading.ReadAhead | None) -> None:
    imported = ImportedRow.objects.filter(conversation_key=row.key).select_related("conversation")
    first = imported.first()
    conversation = first.conversation if first is not None else None
    tag = f"csv:{row.external_id}"
    if conversation is None:
        if row.direction != "customer":
            raise RowError("A conversation's first row must be the customer's message.")
        if not row.subject:
            raise RowError("A conversation's first row needs a subject.")
        conversation = services.conversation_create(
            customer=row.customer,
            subject=row.subject,
            text=row.text,
            channel=row.channel,
            author=row.customer.user,
            external_id=tag,
            at=row.at,
            ahead=ahead,
        )
        message = conversation.messages.earliest("pk")
    else:
        if conversation.customer_id != row.customer.pk:
            raise RowError(f"Conversation {row.key} belongs to another customer.")
        message = _add(conversation, row, tag, ahead)
    try:
        ImportedRow.objects.create(
            external_id=row.external_id,
            conversation_key=row.key,
            conversation=conversation,
            message=message,
            imported_at=timezone.now(),
        )
    except IntegrityError as exc:
        raise _AlreadyImported from exc
    _finish(conversation, row)


def _add(
    conversation: Conversation, row: _Row, tag: str, ahead: reading.ReadAhead | None
) -> Message:
    if row.direction == "customer":
        return services.customer_message_add(
            conversation=conversation,
            text=row.text,
            author=row.customer.user,
            channel=row.channel,
            external_id=tag,
            at=row.at,
            ahead=ahead,
        )
    assert row.agent is not None  # checked by `_parse`
    if row.direction == "agent":
        return services.reply_send(
            conversation=conversation, agent=row.agent, text=row.text, at=row.at
        )
    return services.note_add(conversation=conversation, agent=row.agent, text=row.text, at=row.at)


def _finish(conversation: Conversation, row: _Row) -> None:
    """The row's status and rating, after its message."""
    conversation.refresh_from_db()
    if row.status in (Status.RESOLVED, Status.CLOSED) and conversation.status not in DONE_STATUSES:
        if row.agent is None:
            raise RowError("Resolving needs the agent who did it in author_email.")
        services.conversation_resolve(conversation=conversation, agent=row.agent, at=row.at)
        conversation.refresh_from_db()
    if row.status == Status.CLOSED and conversation.status != Status.CLOSED:
        services.conversation_close(conversation=conversation, at=row.at)
    if row.rating is not None:
        user = row.customer.user
        assert user is not None  # checked by `_parse`
        satisfaction, effort = row.rating
        services.rating_submit(
            conversation=conversation,
            user=user,
            satisfaction=satisfaction,
            effort=effort,
            at=row.at,
        )


def _key(raw: dict[str, str], name: str) -> str:
    value = raw.get(name, "")
    if not value:
        raise RowError(f"{name} is empty.")
    if len(value) > MAX_KEY:
        raise RowError(f"{name} is longer than {MAX_KEY} characters.")
    return value


def _parse(raw: dict[str, str], external_id: str) -> _Row:
    key = _key(raw, "conversation")
    direction = raw.get("direction", "").lower()
    if direction not in DIRECTIONS:
        raise RowError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}.")
    at = _time(raw.get("at", ""))
    channel = raw.get("channel", "").lower() or Channel.EMAIL
    if channel not in Channel.values:
        raise RowError(f"channel must be one of {', '.join(Channel.values)}, not {channel!r}.")
    agent = _agent(raw.get("author_email", ""))
    if direction != "customer" and agent is None:
        raise RowError("An agent or note row needs author_email, the agent's address.")
    status = raw.get("status", "").lower()
    if status not in ("", *Status.values):
        raise RowError(f"status must be one of {', '.join(Status.values)}, not {status!r}.")
    if not raw.get("customer_email"):
        raise RowError("customer_email is empty.")
    customer = customer_get_or_create_by_email(
        email=raw["customer_email"], name=raw.get("customer_name", "")
    )
    rating = _rating(raw)
    if rating is not None and customer.user is None:
        raise RowError(
            "Only a customer with a portal login can have rated; leave the rating empty."
        )
    return _Row(
        external_id=external_id,
        key=key,
        customer=customer,
        at=at,
        direction=direction,
        text=raw.get("text", ""),
        subject=raw.get("subject", ""),
        channel=channel,
        agent=agent,
        status=status,
        rating=rating,
    )


def _time(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise RowError(
            f"at must be a date and time like 2026-03-01T09:30:00+01:00, not {value!r}."
        ) from exc
    if timezone.is_naive(at):
        at = at.replace(tzinfo=UTC)
    if at > timezone.now():
        raise RowError("at is in the future.")
    return at


def _agent(email: str) -> Agent | None:
    if not email:
        return None
    agent = (
        Agent.objects.select_related("user")
        .filter(user__email__iexact=email, user__is_active=True)
        .first()
    )
    if agent is None:
        raise RowError(f"No active agent has the address {email}.")
    return agent


def _rating(raw: dict[str, str]) -> tuple[int, int] | None:
    satisfaction, effort = raw.get("satisfaction", ""), raw.get("effort", "")
    if not satisfaction and not effort:
        return None
    try:
        values = int(satisfaction), int(effort)
    except ValueError as exc:
        raise RowError("satisfaction and effort must both be whole numbers from 1 to 5.") from exc
    if not all(1 <= v <= 5 for v in values):
        raise RowError("satisfaction and effort must both be from 1 to 5.")
    return values


def csv_import_text(text: str, *, on_row: Callable[[], None] | None = None) -> ImportReport:
    return conversations_import(csv_rows(io.StringIO(text, newline="")), on_row=on_row)
