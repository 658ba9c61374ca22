"""Saved replies through the real service (they carry the coach's findings); coach rules as the
rows a lead adds in the admin, checked against their own examples."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import factory
from django.utils import timezone

from caredesk.people.models import Team, User
from caredesk.people.tests.factories import UserFactory
from caredesk.replies.models import CoachOutcome, CoachRule, SavedReply
from caredesk.replies.services import coach_outcomes_record, saved_reply_save


class SavedReplyFactory(factory.django.DjangoModelFactory[SavedReply]):
    class Meta:
        model = SavedReply

    title = factory.Sequence(lambda n: f"Refund on its way {n}")
    body = "Hello {customer_first_name}, your refund is on its way and lands within 3 days."
    team = None
    author = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class: type[SavedReply], *args: Any, **kwargs: Any) -> SavedReply:
        team: Team | None = kwargs.pop("team")
        author: User = kwargs.pop("author")
        return saved_reply_save(team=team, author=author, **kwargs)


class CoachRuleFactory(factory.django.DjangoModelFactory[CoachRule]):
    class Meta:
        model = CoachRule

    rule_id = factory.Sequence(lambda n: f"jargon.internal_queue_{n}")
    definition = factory.LazyFunction(
        lambda: {
            "category": "jargon",
            "reason": "Customers don't know our internal queue names; say what happens next.",
            "keywords": ["queue"],
            "patterns": ["(?:the )?L[123] queue"],
            "rewrites": ["the specialist team, who will reply within a day"],
            "examples": {
                "fire": ["Your ticket sits in the L2 queue now."],
                "pass": ["You are number 3 in the queue."],
            },
        }
    )

    @classmethod
    def _create(cls, model_class: type[CoachRule], *args: Any, **kwargs: Any) -> CoachRule:
        rule = model_class(**kwargs)
        rule.full_clean()  # a rule must pass its own examples, as in the admin
        rule.save()
        return rule


class CoachOutcomeFactory(factory.django.DjangoModelFactory[CoachOutcome]):
    """One ignored finding on a sent reply, recorded as the reply path records it."""

    class Meta:
        model = CoachOutcome

    author = factory.SubFactory(UserFactory)
    at = factory.LazyFunction(timezone.now)
    rule = "indifference.not_my_job"
    category = "indifference"

    @classmethod
    def _create(cls, model_class: type[CoachOutcome], *args: Any, **kwargs: Any) -> CoachOutcome:
        at: datetime = kwargs["at"]
        finding = {"rule": kwargs["rule"], "category": kwargs["category"]}
        (outcome,) = coach_outcomes_record(author=kwargs["author"], at=at, findings=[finding])
        return outcome
