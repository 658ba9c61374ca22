"""Articles and self-service resolutions, made through the knowledge base's services."""

from __future__ import annotations

from typing import Any

import factory

from caredesk.customers.tests.factories import CustomerFactory
from caredesk.knowledge.models import Article, ArticleStatus, SelfServiceResolution
from caredesk.knowledge.services import article_save, self_service_resolve
from caredesk.people.models import Role, Team
from caredesk.people.tests.factories import AgentFactory


def make_article(
    *,
    title: str = "Where is my refund?",
    body: str = "Refunds reach your card within **5 working days**.",
    team: Team | None = None,
    status: str = ArticleStatus.PUBLISHED,
    **kwargs: Any,
) -> Article:
    """An article written through the service, by a lead unless an actor is given."""
    actor = kwargs.pop("actor", None) or AgentFactory.create(role=Role.LEAD)
    return article_save(actor=actor, title=title, body=body, team=team, status=status, **kwargs)


class ArticleFactory(factory.django.DjangoModelFactory[Article]):
    """`make_article` as a factory: a published article written by a lead."""

    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Where is my refund? ({n})")
    body = "Refunds reach your card within **5 working days**."
    status = ArticleStatus.PUBLISHED

    @classmethod
    def _create(cls, model_class: type[Article], *args: Any, **kwargs: Any) -> Article:
        return make_article(**kwargs)


class SelfServiceResolutionFactory(factory.django.DjangoModelFactory[SelfServiceResolution]):
    """A customer's "This solved it" on a published article."""

    class Meta:
        model = SelfServiceResolution

    customer = factory.SubFactory(CustomerFactory)
    article = factory.SubFactory(ArticleFactory)
    question = "When will my refund arrive?"

    @classmethod
    def _create(
        cls, model_class: type[SelfServiceResolution], *args: Any, **kwargs: Any
    ) -> SelfServiceResolution:
        return self_service_resolve(**kwargs)
