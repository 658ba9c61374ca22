"""The search index's shape (conversations/search_index.py): the search page takes the newest
matches without collecting every one, a bulk load can rebuild the index, and an id the index
cannot hold is refused, never indexed under another conversation."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from caredesk.conversations import search
from caredesk.conversations.models import Conversation, Direction, Message
from caredesk.conversations.search import SECTION_LIMIT, conversations_newest, desk_search
from caredesk.conversations.search_index import SEARCH_TRIGGERS, search_index_rebuild
from caredesk.conversations.services import customer_message_add
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 index")


def _ids(conversations: list[Conversation]) -> list[int]:
    return [c.pk for c in conversations]


def test_the_newest_matches_across_windows_only_those_the_user_may_open(
    team: Team, other_team: Team, agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows of 3 ids make the walk cross many of them: matches, other words and conversations
    of another team are interleaved, and exactly the newest visible matches come back."""
    monkeypatch.setattr(search, "_FIRST_WINDOW", 3)
    mine = []
    for _ in range(SECTION_LIMIT + 5):
        mine.append(
            make_conversation(team=team, subject="Parcel missing", text="The courier lost it.")
        )
        make_conversation(team=team, subject="Password reset", text="Locked out.")
        make_conversation(team=other_team, subject="Parcel not theirs", text="Courier?")
    visible = Conversation.objects.filter(team=team)
    newest = sorted(_ids(mine), reverse=True)
    assert (
        _ids(conversations_newest(visible, ["parcel"], include_notes=True, limit=21))
        == (newest[:21])
    )
    # Every word somewhere in the conversation: "courier" in the message, "parc" a prefix.
    found = conversations_newest(visible, ["courier", "parc"], include_notes=True, limit=100)
    assert _ids(found) == newest
    assert conversations_newest(visible, ["nothing"], include_notes=True, limit=5) == []
    number = conversations_newest(visible, [str(mine[0].pk)], include_notes=True, limit=5)
    assert _ids(number) == [mine[0].pk]


def test_a_common_word_is_answered_from_the_first_window(team: Team, agent: Agent) -> None:
    """The page asks for the newest 21 of the first window and stops: it never asks the index for
    the older matches (one query for the newest id, one for the window)."""
    for i in range(SECTION_LIMIT + 3):
        make_conversation(team=team, subject=f"Refund {i}")
    visible = Conversation.objects.filter(team=team)
    with CaptureQueriesContext(connection) as queries:
        found = conversations_newest(visible, ["refund"], include_notes=True, limit=21)
    assert len(found) == 21
    assert len(queries.captured_queries) == 2
    section = next(
        s for s in desk_search(user=agent.user, query="refund") if s.kind == "conversations"
    )
    assert len(section.hits) == SECTION_LIMIT and section.more


def test_notes_are_found_by_agents_only(team: Team, agent: Agent) -> None:
    c = make_conversation(team=team, subject="Invoice", text="Copy please.")
    Message.objects.create(
        conversation=c, direction=Direction.NOTE, text="Suspected fraud", created_at=c.created_at
    )
    visible = Conversation.objects.all()
    assert _ids(conversations_newest(visible, ["fraud"], include_notes=True, limit=5)) == [c.pk]
    assert conversations_newest(visible, ["fraud"], include_notes=False, limit=5) == []
    assert conversations_newest(visible, ["invoice", "copy"], include_notes=False, limit=5) == [c]


def _triggers() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


def _found(query: str) -> set[int]:
    qs = search.conversations_matching(Conversation.objects.all(), query, include_notes=True)
    return set(qs.values_list("pk", flat=True))


@sqlite_only
def test_a_bulk_load_without_triggers_is_found_after_the_rebuild(team: Team) -> None:
    """What the demo's bulk path does: drop the triggers, write rows directly, rebuild."""
    kept = make_conversation(team=team, subject="Parcel lost", text="Where is my parcel?")
    customer_trigger = "customers_customer_fts_ai"
    with connection.cursor() as cursor:
        for name in (*SEARCH_TRIGGERS, customer_trigger):
            cursor.execute(f"DROP TRIGGER {name}")
    loaded = Conversation.objects.get(pk=make_conversation(team=team, subject="Voucher").pk)
    Message.objects.bulk_create(
        [
            Message(
                conversation=loaded, direction="inbound", text="Gift", created_at=loaded.created_at
            )
        ]
    )
    ann = CustomerFactory(name="Annika Lindqvist")
    assert _found("voucher") == set() and _found("gift") == set()
    search_index_rebuild()
    assert set(SEARCH_TRIGGERS) | {customer_trigger} <= _triggers()
    assert _found("voucher gift") == {loaded.pk}
    assert _found("parcel") == {kept.pk}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM customers_customer_fts WHERE customers_customer_fts MATCH 'lindq*'"
        )
        assert cursor.fetchall() == [(ann.pk,)]
    search_index_rebuild()  # twice leaves it the same
    assert _found("voucher gift") == {loaded.pk}


def test_the_rebuild_is_harmless_on_every_database(team: Team) -> None:
    c = make_conversation(team=team, subject="Parcel lost")
    search_index_rebuild()
    assert _found("parcel") == {c.pk}


@sqlite_only
def test_an_id_beyond_the_index_range_is_refused_and_nothing_is_written(team: Team) -> None:
    c = make_conversation(team=team, subject="Parcel lost")
    big: dict[str, Any] = {"direction": "inbound", "text": "Too far", "created_at": c.created_at}
    with pytest.raises(IntegrityError, match="search index"), transaction.atomic():
        Message.objects.create(id=1 << 32, conversation=c, **big)
    assert not Message.objects.filter(text="Too far").exists()
    assert _found("far") == set()


def test_an_outsider_finds_nothing_in_any_window(team: Team, other_team: Team) -> None:
    make_conversation(team=team, subject="Parcel lost")
    outsider = AgentFactory(teams=[other_team])
    section = next(
        s for s in desk_search(user=outsider.user, query="parcel") if s.kind == "conversations"
    )
    assert section.hits == [] and not section.more


def test_every_way_of_intersecting_words_finds_the_same_conversations(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading each word's matches whole, or looking the commoner words up in each conversation
    of the rarest (forced here both ways), find exactly the conversations holding every word,
    wherever in the conversation each word is; a customer's search never sees a note's words."""
    both = make_conversation(team=team, subject="Parcel missing", text="Courier lost it.")
    Message.objects.create(
        conversation=both, direction="inbound", text="Refund please", created_at=both.created_at
    )
    noted = make_conversation(team=team, subject="Parcel late", text="Refund?")
    Message.objects.create(
        conversation=noted,
        direction=Direction.NOTE,
        text="Courier called",
        created_at=noted.created_at,
    )
    for _ in range(3):
        make_conversation(team=team, subject="Parcel", text="Where is the courier?")
    make_conversation(team=team, subject="Refund", text="For the parcel.")
    for cost in (0, 10**9):
        monkeypatch.setattr(search, "_PROBE_COST", cost)
        assert _found("courier refund parcel") == {both.pk, noted.pk}
        customer_side = search.conversations_matching(
            Conversation.objects.all(), "courier refund", include_notes=False
        )
        assert set(customer_side.values_list("pk", flat=True)) == {both.pk}
        visible = Conversation.objects.all()
        newest = conversations_newest(visible, ["refund", "courier"], include_notes=True, limit=5)
        assert _ids(newest) == [noted.pk, both.pk]


@sqlite_only
def test_a_rare_word_is_looked_up_without_reading_the_common_one_whole(team: Team) -> None:
    """One conversation holds "voucher", 45 hold "parcel": the search takes the voucher's
    conversation and looks "parcel" up in it alone, never collecting the parcel's matches."""
    for _ in range(45):
        make_conversation(team=team, subject="Parcel lost", text="Where is my parcel?")
    rare = make_conversation(team=team, subject="Parcel lost", text="A voucher for it?")
    with CaptureQueriesContext(connection) as queries:
        assert _found("voucher parcel lost") == {rare.pk}  # "lost", a prefix, is read whole
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "EXISTS" in sql


def test_a_word_found_nowhere_ends_the_page_search_at_once(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No conversation can hold every word when one is in none: after the first window no other
    is read (on SQLite: the newest id, the first window, the top id and one bounded estimate, the
    word found nowhere's; the last word, a prefix, needs none), however many windows remain."""
    for _ in range(5):
        make_conversation(team=team, subject="Parcel lost")
    monkeypatch.setattr(search, "_FIRST_WINDOW", 1)
    visible = Conversation.objects.all()
    with CaptureQueriesContext(connection) as queries:
        found = conversations_newest(visible, ["zyxw", "parcel"], include_notes=True, limit=21)
    assert found == []
    if connection.vendor == "sqlite":
        assert len(queries.captured_queries) == 4


def test_two_common_words_in_different_messages_newest_first(
    team: Team, other_team: Team, agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both words in most conversations, each in its own message: the page lists the newest
    conversations holding both, newest first, only those the agent may open, across windows;
    a message written after the rest (the index already holding the conversation) counts at once,
    under the conversation's own place in the order, not as a newer one."""
    monkeypatch.setattr(search, "_FIRST_WINDOW", 3)
    both, order_only = [], []
    for i in range(12):
        c = make_conversation(team=team, subject=f"Order {i}", text="Where is my order?")
        if i % 3:
            customer_message_add(conversation=c, text="The delivery never came.", author=None)
            both.append(c)
        else:
            order_only.append(c)
        theirs = make_conversation(team=other_team, subject="Order", text="Delivery late")
    late = order_only[1]
    customer_message_add(conversation=late, text="Any delivery news?", author=None)
    newest = sorted([*both, late], key=lambda c: c.pk, reverse=True)
    visible = Conversation.objects.filter(team=team)
    found = conversations_newest(visible, ["order", "delivery"], include_notes=True, limit=5)
    assert _ids(found) == _ids(newest[:5])
    every = conversations_newest(visible, ["order", "deliv"], include_notes=True, limit=100)
    assert _ids(every) == _ids(newest)  # the last word a prefix
    section = next(
        s for s in desk_search(user=agent.user, query="order delivery") if s.kind == "conversations"
    )
    assert [h.url for h in section.hits] == [c.get_absolute_url() for c in newest]
    assert theirs.get_absolute_url() not in {h.url for h in section.hits}
    assert not section.more


def test_an_agent_finds_customers_of_conversations_they_may_open_once_each(
    team: Team, other_team: Team, agent: Agent
) -> None:
    """Who may see a customer is asked of each matching customer: one with conversations in
    both teams is found once, one with only an unteamed conversation too, one with only another
    team's conversation not; a customer with no conversation at all is nobody's to look up."""
    both = CustomerFactory(name="Lindqvist Anna")
    make_conversation(customer=both, team=team)
    make_conversation(customer=both, team=other_team)
    unteamed = CustomerFactory(name="Lindqvist Bo")
    make_conversation(customer=unteamed, team=None)
    theirs = CustomerFactory(name="Lindqvist Cai")
    make_conversation(customer=theirs, team=other_team)
    CustomerFactory(name="Lindqvist Dag")
    assert list(search.customers_matching(agent.user, "lindq").order_by("name")) == [both, unteamed]
    outsider = AgentFactory(teams=[other_team])
    found = search.customers_matching(outsider.user, "lindqvist").order_by("name")
    assert list(found) == [both, unteamed, theirs]
