"""Test helpers for goals and the review: daily rollup rows as data, and a real SMTP server.

Goals and the review read only the rollups, so their tests give them rollup rows directly (the
rollups' own tests prove the rows equal what the events say); mail goes to aiosmtpd on 127.0.0.1.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.db.models import Sum

from caredesk.insights.models import SUMMED, DailyRollup, TeamRollup
from caredesk.tests.ports import free_port


def rollup_row(day: date, *, team: int = 0, agent: int = 0, **counts: Any) -> DailyRollup:
    """A rollup row, and its team row made the sum over agents again (as the refresh keeps it)."""
    key = {"day": day, "team_id": team, "channel": "email", "severity": 2}
    row = DailyRollup.objects.create(agent_id=agent, **key, **counts)
    sums = DailyRollup.objects.filter(**key).aggregate(**{n: Sum(n) for n in SUMMED})
    TeamRollup.objects.update_or_create(**key, defaults=sums)
    return row


def fcr_day(day: date, *, resolved: int, fcr: int, team: int = 0) -> DailyRollup:
    """A day on which `resolved` conversations were first resolved, `fcr` of them at once."""
    return rollup_row(day, team=team, opened=resolved, first_resolved=resolved, fcr=fcr)


@dataclass
class Capture:
    mails: list[EmailMessage] = field(default_factory=list)
    rcpt: list[list[str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.mails.append(parsed)
            self.rcpt.append(list(envelope.rcpt_tos))
        return "250 OK"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Capture]:
    capture = Capture()
    controller = Controller(capture, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.DEFAULT_FROM_EMAIL = "support@desk.example.com"
    try:
        yield capture
    finally:
        controller.stop()
