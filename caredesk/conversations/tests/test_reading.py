"""Every inbound message is read; risk raises severity and tells the leads; nothing is lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.utils.html import escape
from pytest_django import DjangoCaptureOnCommitCallbacks

from caredesk.conversations import reading
from caredesk.conversations.models import EventKind, Message, Severity
from caredesk.conversations.tasks import read_unread_messages
from caredesk.conversations.templatetags.desk import with_evidence
from caredesk.conversations.tests.factories import make_conversation
from caredesk.empathy.emotion.engines import MiniLMEngine
from caredesk.people.models import Agent, Team

pytestmark = pytest.mark.django_db

LEGAL = "I have been waiting three weeks for my refund. My lawyer will be in touch!"


def _to_leads(lead: Any) -> list[Any]:
    return [m for m in mail.outbox if lead.user.email in m.to]


def test_legal_threat_goes_urgent_and_emails_the_leads(
    team: Team, lead: Agent, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        c = make_conversation(team=team, text=LEGAL)
    c.refresh_from_db()
    assert "legal_threat" in c.signals and c.severity == Severity.URGENT
    assert c.events.filter(kind=EventKind.ESCALATED).exists()
    (alert,) = _to_leads(lead)  # the customer's portal confirmation goes out too
    assert f"#{c.pk}" in alert.subject


def test_slow_engines_read_in_the_background_and_nothing_is_lost(
    monkeypatch: pytest.MonkeyPatch,
    team: Team,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
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


def stored(message: Message) -> dict:
    assert message.reading is not None
    return message.reading


def test_the_refine_engine_reads_each_message_again_and_its_reading_replaces_the_first(
    settings: Any, team: Team, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    settings.CAREDESK_EMOTION_REFINE_ENGINE = "minilm"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        c = make_conversation(team=team, text=LEGAL)
    first = c.messages.get().reading
    assert first is not None and first["engine"] == "polar"  # read inline, at once
    for callback in queued:
        callback()
    message = c.messages.get()
    assert stored(message)["engine"] == "minilm" and "legal_threat" in stored(message)["signals"]
    c.refresh_from_db()
    assert c.emotion == stored(message)["emotion"] and c.severity == Severity.URGENT
    assert reading.unrefined_message_ids(limit=10) == []


def test_the_sweep_refines_messages_the_task_missed(settings: Any, team: Team) -> None:
    c = make_conversation(team=team, text="Still no refund. Where is my money?")
    message = c.messages.get()
    assert stored(message)["engine"] == "polar"
    settings.CAREDESK_EMOTION_REFINE_ENGINE = "minilm"
    assert reading.unrefined_message_ids(limit=10) == [message.pk]
    read_unread_messages.call_local()
    message.refresh_from_db()
    assert stored(message)["engine"] == "minilm" and stored(message)["polarity"] == "negative"


def engine_without_weights() -> MiniLMEngine:
    return MiniLMEngine(model_dir=Path(__file__).parent / "no-model-here")  # no weights there


def test_refining_does_not_undo_an_agents_severity_or_tell_the_leads_again(
    settings: Any,
    team: Team,
    lead: Agent,
    agent: Agent,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    from caredesk.conversations.services import severity_change

    with django_capture_on_commit_callbacks(execute=True):
        c = make_conversation(team=team, text=LEGAL)
    c.refresh_from_db()
    assert c.severity == Severity.URGENT and len(_to_leads(lead)) == 1
    severity_change(conversation=c, actor=agent.user, severity=Severity.NORMAL, reason="spoke")
    settings.CAREDESK_EMOTION_REFINE_ENGINE = "minilm"
    with django_capture_on_commit_callbacks(execute=True):
        read_unread_messages.call_local()
    c.refresh_from_db()
    assert stored(c.messages.get())["engine"] == "minilm"
    assert c.severity == Severity.NORMAL and len(_to_leads(lead)) == 1


def test_the_sweep_looks_only_at_the_newest_messages(
    settings: Any, monkeypatch: pytest.MonkeyPatch, team: Team
) -> None:
    old = make_conversation(team=team, text="Still no refund.").messages.get()
    new = make_conversation(team=team, text="Where is my parcel?").messages.get()
    settings.CAREDESK_EMOTION_REFINE_ENGINE = "minilm"
    monkeypatch.setattr(reading, "REFINE_WINDOW", 1)
    assert reading.unrefined_message_ids(limit=10) == [new.pk]
    monkeypatch.setattr(reading, "REFINE_WINDOW", 2)
    assert reading.unrefined_message_ids(limit=10) == [new.pk, old.pk]


def test_without_the_model_files_messages_keep_their_first_reading(
    settings: Any,
    team: Team,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.CAREDESK_EMOTION_REFINE_ENGINE = f"{__name__}.engine_without_weights"
    with django_capture_on_commit_callbacks(execute=True):
        c = make_conversation(team=team, text=LEGAL)
    assert stored(c.messages.get())["engine"] == "polar"
    assert "not refined" in caplog.text and "pip install --no-deps" in caplog.text


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
