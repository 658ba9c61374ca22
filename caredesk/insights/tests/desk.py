"""Test helpers for goals and the review: daily rollup rows as data, and a real SMTP server.

Goals and the review read only the rollups, so their tests give them rollup rows directly (the
rollups' own tests prove the rows equal what the events say); mail goes to aiosmtpd on 127.0.0.1.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db.models import Sum

from caredesk.insights.models import SUMMED, DailyRollup, TeamRollup
from caredesk.tests.smtp import Capture


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


@pytest.fixture
def smtp(smtp_server: Capture) -> Capture:
    return smtp_server
