"""One factory per insights model. Goals and review schedules are made through their services;
a conversation's facts through the rollup refresh; rollup rows, the fill state and a sent
review are plain rows, for tests of what reads them (the rollup and the review sweep write the
real ones)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import factory
from django.utils import timezone

from caredesk.conversations.models import Channel, Conversation, Severity
from caredesk.conversations.tests.factories import ConversationFactory
from caredesk.insights.goals import goal_change, goal_create
from caredesk.insights.models import (
    Cadence,
    Checkpoint,
    CoachDay,
    ConversationFact,
    DailyRollup,
    DirtyConversation,
    Goal,
    GoalChange,
    ReviewSchedule,
    ReviewSent,
    RollupState,
    TeamRollup,
)
from caredesk.insights.review import review_schedule_create
from caredesk.insights.rollup import conversation_mark, conversations_refresh
from caredesk.people.models import Role
from caredesk.people.tests.factories import AgentFactory


class DailyRollupFactory(factory.django.DjangoModelFactory[DailyRollup]):
    """One day's sums for the desk (no team, no agent): one conversation opened and answered."""

    class Meta:
        model = DailyRollup

    day = factory.Sequence(lambda n: date(2026, 1, 1) + timedelta(days=n))
    channel = Channel.EMAIL
    severity = Severity.NORMAL
    opened = 1
    first_responses = 1
    frt_b07 = 1  # a ten-minute wait: the bucket (7.5 min, 10 min]


class TeamRollupFactory(factory.django.DjangoModelFactory[TeamRollup]):
    """The same day's sums without the agent (the rows every read not about agents sums)."""

    class Meta:
        model = TeamRollup

    day = factory.Sequence(lambda n: date(2026, 1, 1) + timedelta(days=n))
    channel = Channel.EMAIL
    severity = Severity.NORMAL
    opened = 1
    first_responses = 1
    frt_b07 = 1


class ConversationFactFactory(factory.django.DjangoModelFactory[ConversationFact]):
    """What a new conversation adds to the rollups, computed by the real refresh."""

    class Meta:
        model = ConversationFact

    conversation = factory.SubFactory(ConversationFactory)

    @classmethod
    def _create(
        cls, model_class: type[ConversationFact], *args: Any, **kwargs: Any
    ) -> ConversationFact:
        conversation: Conversation = kwargs["conversation"]
        conversations_refresh(conversation_ids=[conversation.pk])
        return ConversationFact.objects.get(conversation_id=conversation.pk)


class CoachDayFactory(factory.django.DjangoModelFactory[CoachDay]):
    """One agent's replies on one day (the category "": all of them), for what reads them."""

    class Meta:
        model = CoachDay

    day = factory.Sequence(lambda n: date(2026, 1, 1) + timedelta(days=n))
    author_id = 1
    category = ""
    replies = 3


class DirtyConversationFactory(factory.django.DjangoModelFactory[DirtyConversation]):
    """A conversation's mark, made as an event's handler makes it."""

    class Meta:
        model = DirtyConversation

    conversation = factory.SubFactory(ConversationFactory)
    kind = "replied"

    @classmethod
    def _create(
        cls, model_class: type[DirtyConversation], *args: Any, **kwargs: Any
    ) -> DirtyConversation:
        conversation: Conversation = kwargs["conversation"]
        conversation_mark(conversation=conversation.pk, kind=kwargs["kind"])
        return DirtyConversation.objects.get(pk=conversation.pk)


class RollupStateFactory(factory.django.DjangoModelFactory[RollupState]):
    class Meta:
        model = RollupState

    name = factory.Sequence(lambda n: f"state-{n}")
    last_event_id = 0


class GoalFactory(factory.django.DjangoModelFactory[Goal]):
    """A lead's desk-wide monthly goal on first-response time, set through the service."""

    class Meta:
        model = Goal

    actor = factory.SubFactory(AgentFactory, role=Role.LEAD)
    metric = "first_response_median"
    team = None
    target = 3600.0
    start = date(2026, 1, 1)
    end = date(2026, 3, 31)
    cadence = Cadence.MONTHLY
    at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class: type[Goal], *args: Any, **kwargs: Any) -> Goal:
        return goal_create(**kwargs)


class CheckpointFactory(factory.django.DjangoModelFactory[Checkpoint]):
    """A goal's first checkpoint, made with the goal."""

    class Meta:
        model = Checkpoint

    @classmethod
    def _create(cls, model_class: type[Checkpoint], *args: Any, **kwargs: Any) -> Checkpoint:
        return GoalFactory.create(**kwargs).checkpoints.order_by("start").first()  # type: ignore[return-value]


class GoalChangeFactory(factory.django.DjangoModelFactory[GoalChange]):
    """A lead moves a new goal's target: the change that keeps what it was."""

    class Meta:
        model = GoalChange

    goal = factory.SubFactory(GoalFactory)
    target = 1800.0

    @classmethod
    def _create(cls, model_class: type[GoalChange], *args: Any, **kwargs: Any) -> GoalChange:
        goal: Goal = kwargs["goal"]
        assert goal.created_by is not None
        goal_change(
            goal=goal,
            actor=goal.created_by,
            target=kwargs["target"],
            end=goal.end,
            note=goal.note,
            at=timezone.now(),
        )
        return goal.changes.order_by("at", "pk").last()  # type: ignore[return-value]


class ReviewScheduleFactory(factory.django.DjangoModelFactory[ReviewSchedule]):
    """A lead's weekly review by e-mail, set through the service."""

    class Meta:
        model = ReviewSchedule

    actor = factory.SubFactory(AgentFactory, role=Role.LEAD)
    cadence = Cadence.WEEKLY
    to = factory.Sequence(lambda n: f"lead{n}@example.test")
    at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(
        cls, model_class: type[ReviewSchedule], *args: Any, **kwargs: Any
    ) -> ReviewSchedule:
        return review_schedule_create(**kwargs)


class ReviewSentFactory(factory.django.DjangoModelFactory[ReviewSent]):
    """A schedule's review marked sent for one week."""

    class Meta:
        model = ReviewSent

    schedule = factory.SubFactory(ReviewScheduleFactory)
    period_start = factory.Sequence(lambda n: date(2026, 1, 5) + timedelta(weeks=n))
    sent_at = factory.LazyFunction(timezone.now)
