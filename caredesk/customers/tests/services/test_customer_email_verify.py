"""customer_email_verify: a proven address folds the login into the customer who has it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from caredesk.conversations.models import Conversation
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer, Identity, IdentityKind
from caredesk.customers.selectors import email_awaits_verification, email_verified
from caredesk.customers.services import (
    customer_email_verify,
    customer_get_or_create_by_email,
    customer_signup,
)
from caredesk.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

PASSWORD = "plum-orchard-lantern"


def test_verify_folds_the_new_record_into_the_customer_with_the_address() -> None:
    earlier = customer_get_or_create_by_email(email="kim@example.test", name="Kim")
    Identity.objects.create(customer=earlier, kind=IdentityKind.EXTERNAL, value="crm-1")
    old = make_conversation(customer=earlier)
    user = customer_signup(email="kim@example.test", password=PASSWORD, name="Kim Park").user
    own = Customer.objects.get(user=user)
    new = make_conversation(customer=own, subject="Written before verifying")

    customer = customer_email_verify(user=user)

    assert customer.pk == earlier.pk and customer.user == user and customer.name == "Kim Park"
    assert set(Conversation.objects.filter(customer=customer)) == {old, new}
    assert not Customer.objects.filter(pk=own.pk).exists()
    assert set(customer.identities.values_list("kind", "value", "verified")) == {
        (IdentityKind.EMAIL, "kim@example.test", True),
        (IdentityKind.EXTERNAL, "crm-1", False),
    }
    assert email_verified(user) and not email_awaits_verification(user)
    assert customer_email_verify(user=user) == customer  # twice is harmless


def test_an_address_held_by_another_login_is_not_taken_over() -> None:
    holder = (
        CustomerFactory.create()
    )  # their login has another address; this one is a second identity
    Identity.objects.create(customer=holder, kind=IdentityKind.EMAIL, value="shared@example.test")
    user = customer_signup(email="shared@example.test", password=PASSWORD, name="Pat Doe").user
    with pytest.raises(ValidationError, match="belongs to another account"):
        customer_email_verify(user=user)
    holder.refresh_from_db()
    assert holder.user != user and not email_verified(user)
