"""conversation_resolve and conversation_reopen: no double resolve; a customer's reply reopens."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from caredesk.conversations import services
from caredesk.conversations.models import EventKind, Status
from caredesk.conversations.tests.factories import make_conversation
from caredesk.conversations.tests.services.support import kinds
from caredesk.people.models import Agent, Team

pytestmark = pytest.mark.django_db


def test_resolve_reopen_and_customer_reply_reopens(agent: Agent, team: Team) -> None:
    c = make_conversation(team=team)
    services.conversation_resolve(conversation=c, agent=agent)
    c.refresh_from_db()
    assert c.status == Status.RESOLVED and c.resolved_at is not None
    with pytest.raises(ValidationError):
        services.conversation_resolve(conversation=c, agent=agent)
    services.customer_message_add(conversation=c, text="It broke again.", author=c.customer.user)
    c.refresh_from_db()
    assert c.status in (Status.OPEN, Status.NEW)
    assert EventKind.REOPENED in kinds(c)
    services.conversation_resolve(conversation=c, agent=agent)
    services.conversation_reopen(conversation=c, actor=agent.user)
    c.refresh_from_db()
    assert c.resolved_at is None
