"""Every inbound message is read; risk raises severity and tells the leads; nothing is lost."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils.html import escape

from caredesk.conversations import reading
from caredesk.conversations.models import EventKind, Message, Severity
from caredesk.conversations.tasks import read_unread_messages
from caredesk.conversations.templatetags.desk import with_evidence
from caredesk.conversations.tests.factories import make_conversation

pytestmark = pytest.mark.django_db

LEGAL = "I have been waiting three weeks for my refund. My lawyer will be in touch!"


def test_legal_threat_goes_urgent_and_emails_the_leads(
    team, lead, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        c = make_conversation(team=team, text=LEGAL)
    c.refresh_from_db()
    assert "legal_threat" in c.signals and c.severity == Severity.URGENT
    assert c.events.filter(kind=EventKind.ESCALATED).exists()
    assert len(mail.outbox) == 1 and lead.user.email in mail.outbox[0].to
    assert f"#{c.pk}" in mail.outbox[0].subject


def test_slow_engines_read_in_the_background_and_nothing_is_lost(
    monkeypatch, team, django_capture_on_commit_callbacks
) -> None:
    monkeypatch.setattr(reading, "reads_inline", lambda: False)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        c = make_conversation(team=team, text=LEGAL)
    assert c.messages.get().reading is None  # stored first, read after the commit
    for callback in queued:
        callback()
    message = c.messages.get()
    message.refresh_from_db()
    assert message.reading is not None  # the task ran (immediate mode in tests)
    Message.objects.filter(pk=message.pk).update(reading=None)  # as if the queue had lost it
    read_unread_messages.call_local()
    message.refresh_from_db()
    assert message.reading is not None and reading.unread_message_ids(limit=10) == []


def test_evidence_is_marked_and_everything_else_escaped() -> None:
    text = "<b>Furious</b>: this is the third time I'm writing"
    start = text.index("third time")
    html = with_evidence(
        text,
        {
            "evidence": [
                {
                    "start": start,
                    "end": start + 10,
                    "text": "third time",
                    "label": "repeated_contact",
                },
                {"start": 999, "end": 1000, "text": "x", "label": "anger"},  # out of range: ignored
            ]
        },
    )
    assert escape("<b>Furious</b>") in html and "<b>" not in html
    assert 'data-label="repeated_contact"' in html and ">third time</mark>" in html
