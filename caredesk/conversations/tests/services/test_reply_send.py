"""reply_send: the first reply sets the response time and hands the turn to the customer."""

from __future__ import annotations

import pytest

from caredesk.conversations import services
from caredesk.conversations.models import EventKind, Status
from caredesk.conversations.tests.factories import make_conversation
from caredesk.conversations.tests.services.support import kinds
from caredesk.people.models import Agent, Team

pytestmark = pytest.mark.django_db


def test_reply_sets_first_response_and_waits_on_customer(agent: Agent, team: Team) -> None:
    c = make_conversation(team=team)
    services.reply_send(
        conversation=c, agent=agent, text="Thank you — I'm on it and will write by 5pm."
    )
    c.refresh_from_db()
    assert c.owner == agent
    assert c.first_response_at is not None
    assert c.status == Status.WAITING_ON_CUSTOMER
    assert EventKind.REPLIED in kinds(c)
