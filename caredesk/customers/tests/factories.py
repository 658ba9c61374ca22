from __future__ import annotations

import factory

from caredesk.customers.models import Customer, Identity, IdentityKind, Organisation
from caredesk.people.tests.factories import UserFactory


class OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    plan = "standard"


class CustomerFactory(factory.django.DjangoModelFactory[Customer]):
    """A customer with a portal login and an email identity."""

    class Meta:
        model = Customer
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    name = factory.LazyAttribute(lambda o: f"{o.user.first_name} {o.user.last_name}")

    @factory.post_generation
    def email(obj: Customer, create: bool, extracted: str | None, **kwargs: object) -> None:
        if create:
            value = extracted or (obj.user.email if obj.user else f"c{obj.pk}@example.test")
            Identity.objects.create(customer=obj, kind=IdentityKind.EMAIL, value=value)


class IdentityFactory(factory.django.DjangoModelFactory[Identity]):
    """A further way to recognise a customer (the CustomerFactory already adds their email)."""

    class Meta:
        model = Identity

    customer = factory.SubFactory(CustomerFactory)
    kind = IdentityKind.EXTERNAL
    value = factory.Sequence(lambda n: f"crm-{n}")
