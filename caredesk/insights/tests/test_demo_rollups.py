"""`caredesk demo` shows data on the dashboards at once: the bulk path publishes no events, so
the seed rebuilds the rollups when it is done."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db.models import Sum

from caredesk.conversations.models import Conversation
from caredesk.demo.generator import demo_seed
from caredesk.insights.models import ConversationFact, DailyRollup

pytestmark = pytest.mark.django_db


def test_the_fast_demo_is_counted_in_the_rollups() -> None:
    demo_seed(size=80, seed=3, now=datetime(2026, 3, 2, 9, tzinfo=UTC), fast=True)
    assert ConversationFact.objects.count() == Conversation.objects.count() == 80
    sums = DailyRollup.objects.aggregate(opened=Sum("opened"), merged=Sum("merged"))
    assert sums["opened"] + sums["merged"] == 80
    assert sums["opened"] > 60
