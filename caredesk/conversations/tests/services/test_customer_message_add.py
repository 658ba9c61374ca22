"""customer_message_add: a customer's message costs no lookup of the newest inbound message unless
it is back-dated, and a back-dated one never takes the place of the newest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from caredesk.conversations.models import Direction, Message
from caredesk.conversations.services import customer_message_add
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Team

pytestmark = pytest.mark.django_db

CALM = "Hello, could you tell me when my parcel will arrive?"
ANGRY = "This is outrageous. I am furious, nobody has answered me for days!"


def _newest_inbound_lookups(queries: list[dict[str, str]]) -> list[str]:
    """The query the service used to make for every message: the newest inbound message's time."""
    lookup = 'SELECT "conversations_message"."created_at"'
    return [q["sql"] for q in queries if q["sql"].startswith(lookup) and "DESC" in q["sql"]]


def test_a_message_written_now_costs_no_lookup_of_the_newest(team: Team) -> None:
    conversation = make_conversation(team=team, text=CALM, at=timezone.now() - timedelta(hours=1))
    with CaptureQueriesContext(connection) as now:
        customer_message_add(conversation=conversation, text=ANGRY, author=None)
    assert _newest_inbound_lookups(now.captured_queries) == []

    back_dated = timezone.now() - timedelta(minutes=30)
    with CaptureQueriesContext(connection) as late:
        customer_message_add(conversation=conversation, text=CALM, author=None, at=back_dated)
    assert len(_newest_inbound_lookups(late.captured_queries)) == 1  # the test sees the lookup
    assert len(late.captured_queries) == len(now.captured_queries) + 1


def test_a_back_dated_message_never_replaces_the_newest_reading(team: Team) -> None:
    start = timezone.now() - timedelta(hours=3)
    conversation = make_conversation(team=team, text=CALM, at=start)
    newest = customer_message_add(
        conversation=conversation, text=ANGRY, author=None, at=start + timedelta(hours=2)
    )
    conversation.refresh_from_db()
    emotion = conversation.emotion
    assert newest.reading is not None and emotion == newest.reading["emotion"]

    late = customer_message_add(
        conversation=conversation, text=CALM, author=None, at=start + timedelta(hours=1)
    )
    conversation.refresh_from_db()
    assert late.reading is not None and late.reading["emotion"] != emotion
    assert conversation.emotion == emotion
    assert conversation.last_message_at == start + timedelta(hours=2)  # not moved back
    inbound = Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
    assert inbound.count() == 3
