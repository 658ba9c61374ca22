from __future__ import annotations

import hashlib

import factory

from caredesk.people.models import Agent, ApiToken, Presence, Role, Team, User

PASSWORD = "a-long-test-password"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @classmethod
    def _create(cls, model_class: type[User], *args: object, **kwargs: object) -> User:
        return model_class.objects.create_user(password=PASSWORD, **kwargs)  # type: ignore[arg-type]


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class AgentFactory(factory.django.DjangoModelFactory[Agent]):
    class Meta:
        model = Agent
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    role = Role.AGENT
    presence = Presence.ONLINE
    capacity = 8

    @factory.post_generation
    def teams(obj: Agent, create: bool, extracted: list[Team] | None, **kwargs: object) -> None:
        if create and extracted:
            obj.teams.set(extracted)


class ApiTokenFactory(factory.django.DjangoModelFactory[ApiToken]):
    """A token row; `api_token_issue` makes real ones and shows their secret once."""

    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Token {n}")
    digest = factory.Sequence(lambda n: hashlib.sha256(f"token-{n}".encode()).hexdigest())
