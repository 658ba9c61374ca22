"""Conversations are made through the real service, so tests see what the desk would make."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from caredesk.conversations.models import Conversation, Severity
from caredesk.conversations.services import conversation_create
from caredesk.customers.models import Customer
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.models import Team


def make_conversation(
    *,
    customer: Customer | None = None,
    subject: str = "My order has not arrived",
    text: str = "Hello, could you change the delivery address on my order to 5 Elm Street?",
    team: Team | None = None,
    severity: int = Severity.NORMAL,
    at: datetime | None = None,
    **kwargs: Any,
) -> Conversation:
    customer = customer or CustomerFactory.create()
    return conversation_create(
        customer=customer,
        subject=subject,
        text=text,
        team=team,
        severity=severity,
        author=customer.user,
        at=at,
        **kwargs,
    )
