"""rating_submit: only the customer rates, only after resolution, within range."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from caredesk.conversations import services
from caredesk.conversations.models import EventKind
from caredesk.conversations.tests.factories import make_conversation
from caredesk.conversations.tests.services.support import kinds
from caredesk.customers.models import Customer
from caredesk.people.models import Agent

pytestmark = pytest.mark.django_db


def test_rating_needs_resolution_range_and_the_owner(agent: Agent, customer: Customer) -> None:
    c = make_conversation(customer=customer)
    with pytest.raises(ValidationError, match="once it is resolved"):
        services.rating_submit(conversation=c, user=customer.user, satisfaction=5, effort=1)
    services.conversation_resolve(conversation=c, agent=agent)
    with pytest.raises(ValidationError):
        services.rating_submit(conversation=c, user=customer.user, satisfaction=9, effort=1)
    with pytest.raises(PermissionDenied):
        services.rating_submit(conversation=c, user=agent.user, satisfaction=5, effort=1)
    rating = services.rating_submit(
        conversation=c, user=customer.user, satisfaction=4, effort=2, comment="Quick and kind."
    )
    assert rating.satisfaction == 4 and EventKind.RATED in kinds(c)
