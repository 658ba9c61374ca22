"""conversation_create: a new conversation is read, scored and refused when empty or too long."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from caredesk.conversations.models import Conversation, EventKind, Severity, Status
from caredesk.conversations.tests.factories import make_conversation
from caredesk.conversations.tests.services.support import kinds
from caredesk.customers.models import Customer
from caredesk.people.models import Team

pytestmark = pytest.mark.django_db


def test_create_records_event_and_reads_the_message(team: Team) -> None:
    c = make_conversation(team=team, text="Hello, I'd like to change the address on my account.")
    assert c.status == Status.NEW
    assert kinds(c) == [EventKind.CREATED]
    message = c.messages.get()
    assert message.reading is not None
    c.refresh_from_db()
    assert c.emotion == message.reading["emotion"]


def test_a_risk_signal_raises_severity_by_the_team_policy(team: Team) -> None:
    text = "This is the THIRD time I'm writing about this. Where is my refund?!"
    c = make_conversation(team=team, text=text)
    c.refresh_from_db()
    assert "repeated_contact" in c.signals
    assert c.severity == Severity.HIGH
    assert kinds(c) == [EventKind.CREATED, EventKind.SEVERITY_CHANGED]
    team.signal_policy = {"repeated_contact": Severity.NORMAL}
    team.save()
    calm = make_conversation(team=team, text=text)
    assert calm.severity == Severity.NORMAL


def test_empty_and_oversized_messages_are_refused_with_a_clear_reason(
    settings: Any, customer: Customer
) -> None:
    with pytest.raises(ValidationError, match="empty"):
        make_conversation(customer=customer, text="   ")
    settings.CAREDESK_MAX_MESSAGE_CHARS = 50
    with pytest.raises(ValidationError, match="limit is 50"):
        make_conversation(customer=customer, text="x" * 51)
    assert not Conversation.objects.exists()


def test_script_payloads_are_stored_as_inert_text(customer: Customer) -> None:
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    c = make_conversation(customer=customer, subject=payload, text=payload)
    html = c.messages.get().html
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
