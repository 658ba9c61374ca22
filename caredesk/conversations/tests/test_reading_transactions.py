"""The emotion engines never run inside a write transaction, and a customer's message is stored
whatever happens to its reading.

The engines here are real engine classes (the linear engine, changed where a test needs it),
selected through the settings as the desk selects any engine: fault injection, not mocks.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import pytest
from django.db import connection, transaction
from django.test import Client, RequestFactory
from pytest_django import DjangoCaptureOnCommitCallbacks

from caredesk.channels.email.inbound import inbound_mail_receive
from caredesk.channels.email.models import InboundStatus
from caredesk.channels.tests.email.inbound_support import mail, wire
from caredesk.conversations import reading
from caredesk.conversations.models import Conversation, Direction, Message, Severity
from caredesk.conversations.services import reply_send
from caredesk.conversations.tasks import read_unread_messages
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.empathy.emotion.engines import LinearEngine
from caredesk.empathy.types import Reading
from caredesk.people.models import Agent, Team

HERE = __name__
LEGAL = "I have been waiting three weeks for my refund. My lawyer will be in touch!"


class FailingEngine(LinearEngine):
    """An engine that breaks on every message (a model that failed to load, a bug)."""

    name = "failing"
    calls: ClassVar[list[str]] = []

    def analyze(self, text: str) -> Reading:
        self.calls.append(text)
        raise RuntimeError("the engine broke")


class GarbageEngine(LinearEngine):
    """An engine that answers, but with something no one can store or show."""

    name = "garbage"

    def analyze(self, text: str) -> Reading:
        good = super().analyze(text)
        return Reading(**{**good.to_dict(), "evidence": (), "intensity": math.nan})


class OutsideEngine(LinearEngine):
    """Notes every call made inside a transaction, and refuses to read there."""

    name = "outside"
    calls: ClassVar[list[bool]] = []  # True for each call made inside an atomic block

    def analyze(self, text: str) -> Reading:
        inside = connection.in_atomic_block
        self.calls.append(inside)
        assert not inside, "an emotion engine ran inside a transaction"
        return super().analyze(text)


class OutsideSlowEngine(OutsideEngine):
    """The same, but read in the background (as a large model would be)."""

    name = "outside-slow"
    inline = False


class OutsideRefineEngine(OutsideEngine):
    """The same, as the refine engine, with a batch path."""

    name = "outside-refine"
    primed: ClassVar[list[bool]] = []

    def prime(self, texts: list[str]) -> None:
        self.primed.append(connection.in_atomic_block)


def use(settings: Any, engine: type | None, refine: type | None = None) -> None:
    settings.CAREDESK_EMOTION_ENGINE = f"{HERE}.{engine.__name__}" if engine else ""
    settings.CAREDESK_EMOTION_REFINE_ENGINE = f"{HERE}.{refine.__name__}" if refine else ""


def customer_writes_everywhere(client: Client) -> list[int]:
    """Open and answer a conversation through the portal and through the API, as a customer
    would; each must get the normal confirmation. Returns the conversations' ids."""
    r = client.post("/portal/new/", {"subject": "Lamp", "text": "My lamp arrived broken."})
    assert r.status_code == 302, r.content
    portal = Conversation.objects.latest("pk")
    r = client.post(f"/portal/c/{portal.pk}/", {"text": LEGAL})
    assert r.status_code == 302, r.content
    r = client.post(
        "/api/conversations",
        {"subject": "Order 1043", "text": "Where is my parcel?"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    api = r.json()["id"]
    r = client.post(
        f"/api/conversations/{api}/messages", {"text": "Any news?"}, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    return [portal.pk, api]


def inbound(ids: list[int]) -> list[Message]:
    return list(
        Message.objects.filter(conversation__in=ids, direction=Direction.INBOUND).order_by("pk")
    )


@pytest.mark.django_db
@pytest.mark.parametrize("broken", [FailingEngine, GarbageEngine])
def test_a_broken_engine_loses_no_message_and_the_sweep_reads_them_later(
    settings: Any, customer_client: Client, broken: type, caplog: pytest.LogCaptureFixture
) -> None:
    use(settings, broken)
    ids = customer_writes_everywhere(customer_client)
    messages = inbound(ids)
    assert len(messages) == 4  # every message stored, though none could be read
    assert all(m.reading is None for m in messages)
    assert "could not read a message" in caplog.text
    use(settings, None)  # the engine is fixed (here: the default one)
    read_unread_messages.call_local()
    assert all(m.reading and m.reading["engine"] == "polar" for m in inbound(ids))
    portal = Conversation.objects.get(pk=ids[0])
    assert "legal_threat" in inbound(ids)[1].reading["signals"]  # type: ignore[index]
    assert portal.severity == Severity.URGENT  # the risk still counts, read late


@pytest.mark.django_db
def test_a_broken_refine_engine_leaves_the_first_reading(
    settings: Any, team: Team, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    use(settings, None, FailingEngine)
    FailingEngine.calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        c = make_conversation(team=team, text=LEGAL)
    assert FailingEngine.calls == [LEGAL]  # the refine task ran, and failed quietly
    message = c.messages.get()
    assert message.reading and message.reading["engine"] == "polar"
    read_unread_messages.call_local()  # the sweep tries again, and fails quietly too
    message.refresh_from_db()
    assert message.reading and message.reading["engine"] == "polar"


@pytest.mark.django_db
def test_a_refine_engine_that_cannot_load_loses_nothing(
    settings: Any, customer_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    settings.CAREDESK_EMOTION_REFINE_ENGINE = f"{HERE}.NoSuchEngine"  # a typo in the settings
    ids = customer_writes_everywhere(customer_client)
    assert all(m.reading and m.reading["engine"] == "polar" for m in inbound(ids))
    assert "refine engine could not be loaded" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_no_engine_reads_inside_a_transaction(
    settings: Any, customer: Customer, agent: Agent, team: Team
) -> None:
    OutsideEngine.calls.clear()
    OutsideRefineEngine.primed.clear()
    use(settings, OutsideEngine, OutsideRefineEngine)
    with transaction.atomic():  # the engine does tell: read inside one, it refuses
        assert reading.text_read("hello") is None
    assert OutsideEngine.calls.pop() is True
    client = Client()
    assert customer.user is not None
    client.force_login(customer.user)
    ids = customer_writes_everywhere(client)
    messages = inbound(ids)
    assert all(m.reading and m.reading["engine"] == "outside-refine" for m in messages)
    conversation = Conversation.objects.get(pk=ids[0])
    assert conversation.severity == Severity.URGENT  # the signal policy still acted
    reply_send(conversation=conversation, agent=agent, text="Sorry, I'm on it now.")
    # Inbound mail stores its row and the message in one transaction of its own: read ahead.
    mail_in = inbound_mail_receive(raw=wire(mail(text=LEGAL)), source="127.0.0.1")
    assert mail_in.status == InboundStatus.STORED
    assert mail_in.stored_message_id is not None
    by_mail = Message.objects.get(pk=mail_in.stored_message_id)
    assert by_mail.reading and by_mail.reading["engine"] == "outside-refine"
    # Background paths: a slow engine's task, the sweep, and the sweep's refining in batches.
    use(settings, OutsideSlowEngine, OutsideRefineEngine)
    c = make_conversation(team=team, text="Where is my parcel?")
    assert c.messages.get().reading["engine"] == "outside-refine"  # type: ignore[index]
    Message.objects.filter(direction=Direction.INBOUND).update(reading=None)
    read_unread_messages.call_local()
    assert all(m.reading and m.reading["engine"] == "outside-refine" for m in inbound(ids))
    assert reading.messages_refine([m.pk for m in messages], batch=2) == 0  # nothing left to do
    assert OutsideEngine.calls and not any(OutsideEngine.calls)
    assert OutsideRefineEngine.primed and not any(OutsideRefineEngine.primed)


class RacedEngine(LinearEngine):
    """While this engine reads, another worker stores its own reading of the same message."""

    name = "raced"
    inline = False

    def analyze(self, text: str) -> Reading:
        theirs = {**super().analyze(text).to_dict(), "engine": self.name, "extra": {"by": "them"}}
        Message.objects.filter(text=text).update(reading=theirs)
        return super().analyze(text)


@pytest.mark.django_db
def test_a_reading_stored_meanwhile_by_another_worker_is_kept(
    settings: Any, team: Team, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    use(settings, RacedEngine)
    with django_capture_on_commit_callbacks(execute=False):
        c = make_conversation(team=team, text="Where is my parcel?")
    message = c.messages.get()
    assert message.reading is None  # a background engine: read after the commit
    assert reading.message_read_by_id(message.pk) is None  # someone was faster
    message.refresh_from_db()
    assert message.reading and message.reading["extra"] == {"by": "them"}
    use(settings, None, RacedEngine)  # the same race between two refining workers
    Message.objects.filter(pk=message.pk).update(reading=None)
    assert reading.message_refine_by_id(message.pk) is None
    message.refresh_from_db()
    assert message.reading and message.reading["extra"] == {"by": "them"}


def test_the_error_page_promises_nothing_it_cannot_know(rf: RequestFactory) -> None:
    from django.views.defaults import server_error

    page = server_error(rf.post("/portal/new/")).content.decode()
    assert "lost" not in page and "may not have been saved" in page


@pytest.mark.django_db
def test_a_risk_in_an_older_message_read_late_still_raises_severity(
    settings: Any, customer_client: Client
) -> None:
    use(settings, FailingEngine)
    r = customer_client.post("/portal/new/", {"subject": "Refund", "text": LEGAL})
    assert r.status_code == 302, r.content
    conversation = Conversation.objects.latest("pk")
    use(settings, None)  # the desk's own engine works again
    r = customer_client.post(f"/portal/c/{conversation.pk}/", {"text": "Any update?"})
    assert r.status_code == 302, r.content
    conversation.refresh_from_db()
    assert conversation.severity < Severity.URGENT  # the threat is still unread

    read_unread_messages.call_local()

    conversation.refresh_from_db()
    assert conversation.severity == Severity.URGENT
    first, second = inbound([conversation.pk])
    assert "legal_threat" in (first.reading or {})["signals"]
    assert (
        conversation.signals == (second.reading or {})["signals"]
    )  # the newest reading stays on show
