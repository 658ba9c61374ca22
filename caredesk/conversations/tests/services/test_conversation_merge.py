"""conversation_merge: both histories are kept; the merged one points to the survivor."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from caredesk.conversations import services
from caredesk.conversations.models import EventKind, Message, Status
from caredesk.conversations.tests.factories import make_conversation
from caredesk.conversations.tests.services.support import kinds
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.models import Agent

pytestmark = pytest.mark.django_db


def test_merge_keeps_messages_and_events_and_points_to_the_survivor(agent: Agent) -> None:
    customer = CustomerFactory()
    first = make_conversation(customer=customer, subject="Router broken")
    second = make_conversation(customer=customer, subject="Still no internet", text="Any news?")
    survivor = services.conversation_merge(source=second, target=first, agent=agent)
    second.refresh_from_db()
    assert survivor == first and second.merged_into == first and second.status == Status.CLOSED
    assert Message.objects.filter(conversation=first).count() == 2
    assert EventKind.MERGED in kinds(first) and EventKind.MERGED in kinds(second)
    assert EventKind.CREATED in kinds(second)  # its own history stays with it
    with pytest.raises(ValidationError, match="same customer"):
        services.conversation_merge(source=make_conversation(), target=first, agent=agent)
    # A customer writing to the merged conversation lands in the one that remains.
    message = services.customer_message_add(
        conversation=second, text="Hello?", author=customer.user
    )
    assert message.conversation_id == first.pk
