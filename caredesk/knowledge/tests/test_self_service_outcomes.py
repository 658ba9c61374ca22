"""Whether "This solved it" held: no new conversation from that customer within 7 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.knowledge.selectors import SelfServiceOutcomes, self_service_outcomes
from caredesk.knowledge.services import self_service_resolve
from caredesk.knowledge.tests.factories import make_article

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_resolutions_hold_return_or_wait(lead: object) -> None:
    article = make_article()
    held, returned, late, pending, other = (CustomerFactory.create() for _ in range(5))
    with time_machine.travel(MONDAY, tick=False):
        for customer in (held, returned, late):
            self_service_resolve(customer=customer, article=article, question="Refund?")
    # Back within the week: it did not really help. Back after the week: it did.
    make_conversation(customer=returned, at=MONDAY + timedelta(days=6, hours=23))
    make_conversation(customer=late, at=MONDAY + timedelta(days=7, minutes=1))
    make_conversation(customer=other, at=MONDAY + timedelta(days=1))  # someone else's
    with time_machine.travel(MONDAY + timedelta(days=5), tick=False):
        self_service_resolve(customer=pending, article=article, question="Address?")

    now = MONDAY + timedelta(days=8)
    outcomes = self_service_outcomes(since=MONDAY, until=now, now=now)
    assert outcomes == SelfServiceOutcomes(resolutions=4, held=2, returned=1, pending=1)
    assert outcomes.held_rate == pytest.approx(2 / 3)
    # Only resolutions made in the period count.
    later = self_service_outcomes(since=MONDAY + timedelta(days=1), until=now, now=now)
    assert later == SelfServiceOutcomes(resolutions=1, held=0, returned=0, pending=1)
    assert later.held_rate is None


def test_a_conversation_from_before_the_resolution_does_not_count(lead: object) -> None:
    customer = CustomerFactory.create()
    make_conversation(customer=customer, at=MONDAY - timedelta(hours=1))
    with time_machine.travel(MONDAY, tick=False):
        self_service_resolve(customer=customer, article=make_article(), question="")
    now = MONDAY + timedelta(days=7)
    assert self_service_outcomes(since=MONDAY, until=now, now=now).held == 1
