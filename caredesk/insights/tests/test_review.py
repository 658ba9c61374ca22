"""The review: presets, its figures, coaching needs from the reply coach, and the schedule."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from caredesk.conversations import services
from caredesk.conversations.tests.factories import make_conversation
from caredesk.insights import goals, review, rollup
from caredesk.insights.models import CoachDay, DirtyConversation, ReviewSent
from caredesk.insights.tests.desk import Capture, fcr_day, rollup_row, smtp
from caredesk.people.models import Role
from caredesk.people.tests.factories import AgentFactory, TeamFactory

pytestmark = pytest.mark.django_db
__all__ = ["smtp"]

RUDE = "Calm down. That is our policy, nothing I can do."  # the coach finds indifference
KIND = "Thanks for waiting. I fixed it."  # the coach finds nothing


@pytest.mark.parametrize(
    ("name", "span"),
    [
        ("week", (date(2026, 4, 6), date(2026, 4, 12))),
        ("month", (date(2026, 3, 1), date(2026, 3, 31))),
        ("quarter", (date(2026, 1, 1), date(2026, 3, 31))),
    ],
)
def test_presets_are_the_last_full_period(name: str, span: tuple[date, date]) -> None:
    assert review.preset(name, date(2026, 4, 15)) == span


def test_an_unknown_preset_is_refused() -> None:
    with pytest.raises(ValidationError):
        review.preset("year", date(2026, 4, 15))


def test_the_review_reports_resolution_complaints_goals_and_csv() -> None:
    lead = AgentFactory(role=Role.LEAD)
    rollup_row(
        date(2026, 3, 10),
        opened=30,
        resolved=24,
        first_resolved=24,
        fcr=18,
        complaints=6,
        complaints_resolved=3,
        complaints_reopened=1,
        complaints_open=2,
        rated=10,
        satisfaction_sum=42,
    )
    rollup_row(date(2026, 4, 2), opened=99, resolved=99)  # after the period: not counted
    goals.goal_create(
        actor=lead,
        metric="first_contact_resolution",
        team=None,
        target=0.7,
        start=date(2026, 3, 1),
        end=date(2026, 3, 31),
        cadence="month",
        at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    found = review.review_for(start=date(2026, 3, 1), end=date(2026, 3, 31), today=date(2026, 4, 5))
    values = {v.metric.name: v for vs in found.sections.values() for v in vs}
    assert (values["opened"].value, values["first_contact_resolution"].value) == (30, 0.75)
    assert values["satisfaction"].thin and values["satisfaction"].cases == 10
    assert found.complaint_outcomes == {
        "resolved for good": 3,
        "resolved after coming back": 1,
        "still open": 2,
    }
    (progress,) = found.goals
    assert [c.state for c in progress.checkpoints] == ["reached (to be confirmed)"]
    rows = list(csv.reader(io.StringIO(review.review_csv(found))))
    assert rows[2][:5] == ["Problems resolved", "First-contact resolution", "75%", "24", "False"]
    assert rows[-2][:3] == ["Complaints: how they ended", "still open", "2"]
    assert rows[-1][0] == "Goals" and rows[-1][2] == "75%"


def _replies(agent: Any, team: Any, texts: list[str], at: datetime) -> None:
    for text in texts:
        conversation = make_conversation(team=team, at=at)
        services.reply_send(conversation=conversation, agent=agent, text=text, at=at)


def test_coaching_needs_recur_per_agent_and_show_who_improved(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Read from `CoachDay`, which the events' marks and the drain keep (no message is read)."""
    team = TeamFactory()
    improving, steady = AgentFactory(teams=[team]), AgentFactory(teams=[team])
    before, during = datetime(2026, 2, 10, 12, tzinfo=UTC), datetime(2026, 3, 10, 12, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        _replies(improving, team, [RUDE] * 4, before)
        _replies(improving, team, [RUDE] * 3 + [KIND] * 5, during)
        _replies(steady, team, [RUDE] * 2, before)
        _replies(steady, team, [RUDE] * 3, during)
    assert not DirtyConversation.objects.exists()  # every mark drained
    counted = sorted(CoachDay.objects.values_list("day", "author_id", "category", "replies"))
    rollup.rollups_rebuild()
    assert sorted(CoachDay.objects.values_list("day", "author_id", "category", "replies")) == (
        counted
    )
    needs = {n.agent: n for n in review.coaching_needs(date(2026, 3, 1), date(2026, 3, 31))}
    first, second = needs[improving.user.email], needs[steady.user.email]
    assert (first.category, first.count, first.replies, first.before) == ("indifference", 3, 8, 4)
    assert first.improved  # 3 in 8 replies, down from 4 in 4
    assert (second.count, second.replies, second.before, second.improved) == (3, 3, 2, False)


def test_a_scheduled_review_is_mailed_once_per_period(smtp: Capture) -> None:
    lead = AgentFactory(role=Role.LEAD)
    fcr_day(date(2026, 4, 7), resolved=20, fcr=15)
    schedule = review.review_schedule_create(
        actor=lead, cadence="week", to="lead@desk.example.com", at=datetime(2026, 4, 1, tzinfo=UTC)
    )
    assert review.reviews_send_due(today=date(2026, 4, 13)) == 1
    assert review.reviews_send_due(today=date(2026, 4, 15)) == 0  # same week: not again
    assert review.reviews_send_due(today=date(2026, 4, 20)) == 1  # the next week
    assert list(ReviewSent.objects.values_list("period_start", flat=True).order_by("pk")) == [
        date(2026, 4, 6),
        date(2026, 4, 13),
    ]
    first = smtp.mails[0]
    assert first["Subject"] == "Caredesk review: 6 Apr – 12 Apr 2026"
    assert smtp.envelopes[0] == ["lead@desk.example.com"]
    body = first.get_body(("plain",))
    assert body is not None and "First-contact resolution: 75%, 20 cases" in body.get_content()
    (attachment,) = list(first.iter_attachments())
    assert attachment.get_filename() == "review-2026-04-06-2026-04-12.csv"
    review.review_schedule_stop(schedule=schedule)
    assert review.reviews_send_due(today=date(2026, 4, 27)) == 0
