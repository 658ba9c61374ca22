"""One customer across channels: an integration's own id and the address find the same person."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from caredesk.customers.models import Customer, Identity, IdentityKind
from caredesk.customers.services import (
    customer_get_or_create_by_email,
    customer_get_or_create_by_identity,
)

pytestmark = pytest.mark.django_db


def test_an_external_id_seen_before_always_finds_its_customer() -> None:
    first = customer_get_or_create_by_identity(external_id="crm-42", email="pat@example.test")
    assert set(first.identities.values_list("kind", "value")) == {
        (IdentityKind.EXTERNAL, "crm-42"),
        (IdentityKind.EMAIL, "pat@example.test"),
    }
    # The id alone, or with the customer's new address, lands on the same person.
    assert customer_get_or_create_by_identity(external_id="crm-42") == first
    again = customer_get_or_create_by_identity(external_id="crm-42", email="Pat@Work.test")
    assert again == first
    assert first.identities.filter(kind=IdentityKind.EMAIL, value="pat@work.test").exists()
    assert Customer.objects.count() == 1


def test_a_new_external_id_joins_the_customer_the_address_already_found() -> None:
    by_mail = customer_get_or_create_by_email(email="sam@example.test", name="Sam")
    found = customer_get_or_create_by_identity(external_id="crm-7", email="sam@example.test")
    assert found == by_mail
    assert Identity.objects.get(kind=IdentityKind.EXTERNAL, value="crm-7").customer == by_mail


def test_an_address_of_another_customer_is_refused_and_nothing_is_written() -> None:
    customer_get_or_create_by_identity(external_id="crm-1", email="a@example.test")
    other = customer_get_or_create_by_email(email="b@example.test")
    with pytest.raises(ValidationError) as refused:
        customer_get_or_create_by_identity(external_id="crm-1", email="b@example.test")
    assert "merge the two customers" in str(refused.value)
    assert other.identities.count() == 1 and Customer.objects.count() == 2


def test_neither_an_address_nor_an_id_is_a_clear_error() -> None:
    with pytest.raises(ValidationError) as refused:
        customer_get_or_create_by_identity(external_id="  ", email=None)
    assert "customer_email" in refused.value.message_dict
    assert not Customer.objects.exists()
