"""Exporting an inbox view to CSV: the same conversations the agent sees there, in its order."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from caredesk.conversations import queue, selectors
from caredesk.conversations.models import Conversation
from caredesk.people.models import Agent

VIEWS = ("queue", "mine", "team", "waiting")
EXPORT_MAX = 50_000
COLUMNS = (
    "id",
    "subject",
    "status",
    "severity",
    "channel",
    "customer",
    "customer_email",
    "team",
    "owner",
    "created_at",
    "last_message_at",
    "first_response_at",
    "resolved_at",
    "emotion",
)


def inbox_for_export(agent: Agent, view: str) -> QuerySet[Conversation]:
    if view not in VIEWS:
        raise ValueError(f"unknown inbox view {view!r}")
    qs = queue.queue_for_agent(agent) if view == "queue" else selectors.inbox_queryset(agent, view)
    return qs.select_related("customer", "team", "owner__user").prefetch_related(
        "customer__identities"
    )


def _cell(value: Any) -> str:
    """A spreadsheet runs a cell that starts with = + - @ (or a tab or CR) as a formula: such text
    is quoted with a leading apostrophe, so an exported subject cannot run on a lead's machine."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(conversations: Iterable[Conversation]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for c in conversations:
        yield writer.writerow(
            [
                _cell(v)
                for v in (
                    c.pk,
                    c.subject,
                    c.status,
                    c.severity,
                    c.channel,
                    c.customer.name,
                    c.customer.email,
                    c.team.name if c.team else "",
                    c.owner.name if c.owner else "",
                    c.created_at,
                    c.last_message_at,
                    c.first_response_at,
                    c.resolved_at,
                    c.emotion,
                )
            ]
        )


def inbox_csv(agent: Agent, view: str) -> Iterator[str]:
    """The view's rows, at most `EXPORT_MAX`, read in chunks (never all in memory)."""
    return csv_lines(inbox_for_export(agent, view)[:EXPORT_MAX].iterator(chunk_size=500))
