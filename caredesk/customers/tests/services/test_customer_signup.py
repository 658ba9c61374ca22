"""customer_signup: a new login never reaches the history of whoever wrote from the address."""

from __future__ import annotations

import pytest

from caredesk.customers.models import Customer
from caredesk.customers.selectors import email_awaits_verification, email_verified
from caredesk.customers.services import (
    customer_get_or_create_by_email,
    customer_signup,
)
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

PASSWORD = "plum-orchard-lantern"


def test_signup_never_links_to_the_customer_who_wrote_from_the_address() -> None:
    earlier = customer_get_or_create_by_email(email="Kim@Example.test", name="Kim")
    outcome = customer_signup(email=" kim@example.TEST ", password=PASSWORD, name="Kim  Park")
    assert outcome.created and outcome.user.email == "kim@example.test"
    own = Customer.objects.get(user=outcome.user)
    assert own.pk != earlier.pk and own.name == "Kim Park" and not own.identities.exists()
    assert email_awaits_verification(outcome.user) and not email_verified(outcome.user)
    # Mail from the address keeps landing on the customer who wrote from it, not on the new login.
    assert customer_get_or_create_by_email(email="kim@example.test") == earlier


def test_signup_for_an_address_with_a_login_creates_nothing() -> None:
    existing = CustomerFactory.create()
    outcome = customer_signup(email=existing.user.email, password=PASSWORD, name="Someone Else")
    assert not outcome.created and outcome.user == existing.user
    assert Customer.objects.count() == 1
    existing.refresh_from_db()
    assert existing.name != "Someone Else"


def test_agents_are_never_waiting_for_verification() -> None:
    assert not email_awaits_verification(AgentFactory.create().user)
