"""The desk's one search (conversations/search.py) on SQLite FTS5 and PostgreSQL full-text search:
what it finds, that the index follows every write, and that nobody finds what they cannot open."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from caredesk.conftest import login
from caredesk.conversations import search_index as _index
from caredesk.conversations.models import Conversation, Direction, Message
from caredesk.conversations.search import (
    SECTION_LIMIT,
    conversations_matching,
    customers_matching,
    desk_search,
    marked,
    search_terms,
)
from caredesk.conversations.services import (
    conversation_merge,
    customer_message_add,
    note_add,
    reply_send,
)
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.customers.tests.factories import CustomerFactory, OrganisationFactory
from caredesk.knowledge.models import ArticleStatus
from caredesk.knowledge.tests.factories import make_article
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def _found(user: Any, query: str, *, include_notes: bool = True) -> set[int]:
    qs = Conversation.objects.all()
    return set(
        conversations_matching(qs, query, include_notes=include_notes).values_list("pk", flat=True)
    )


def _section(sections: list[Any], kind: str) -> Any:
    return next(s for s in sections if s.kind == kind)


def test_words_anywhere_in_the_conversation_stemmed_last_one_a_prefix(
    team: Team, agent: Agent, customer: Customer
) -> None:
    c = make_conversation(customer=customer, team=team, subject="Order 17", text="Hello there.")
    reply_send(conversation=c, agent=agent, text="We are looking into it.", resolve=False)
    customer_message_add(
        conversation=c, text="The courier refunded the shipping, not the parcel.", author=None
    )
    other = make_conversation(team=team, subject="Password reset")
    assert _found(agent.user, "courier") == {c.pk}  # a word in the third message
    assert _found(agent.user, "refunds") == {c.pk}  # stemmed: refunds ~ refunded
    assert _found(agent.user, "order cour") == {c.pk}  # subject and message, still typing
    assert _found(agent.user, "reset password") == {other.pk}  # every word, any order
    assert _found(agent.user, "courier password") == set()
    # Stop words are left out alike on both databases (PostgreSQL drops them itself).
    assert _found(agent.user, "what about the courier") == {c.pk}
    assert _found(agent.user, str(other.pk)) >= {other.pk}  # a number finds the conversation
    assert _found(agent.user, "") == {c.pk, other.pk}  # no query narrows nothing


def test_hostile_queries_are_only_text(team: Team) -> None:
    c = make_conversation(team=team, subject="Password reset")
    for query in ('"* OR NEAR( AND', "'; DROP TABLE conversations_message; --", "the of"):
        assert _found(None, query) == set(), query
    assert _found(None, 'password" OR *') == {c.pk}
    assert search_terms('Pass_word "NEAR" the refund refund') == ["pass", "word", "near", "refund"]


def test_the_index_follows_edits_deletes_and_bulk_writes(team: Team) -> None:
    """Kept in step by the database itself; fails if a migration dropped the SQLite triggers."""
    c = make_conversation(team=team, subject="Parcel lost", text="Where is my parcel?")
    Conversation.objects.filter(pk=c.pk).update(subject="Invoice copy")
    assert _found(None, "invoice") == {c.pk}
    assert _found(None, "lost") == set()
    message = c.messages.get()
    Message.objects.filter(pk=message.pk).update(text="Please send the receipt.")
    assert _found(None, "receipt") == {c.pk}
    assert _found(None, "parcel") == set()
    Message.objects.bulk_create(
        [Message(conversation=c, direction="inbound", text="Voucher code", created_at=c.created_at)]
    )
    assert _found(None, "voucher") == {c.pk}
    c.messages.all().delete()
    assert _found(None, "voucher") == set()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            triggers = {row[0] for row in cursor.fetchall()}
        assert set(_index.SEARCH_TRIGGERS) <= triggers
        assert {f"customers_customer_fts_{s}" for s in ("ai", "ad", "au")} <= triggers


def _instances() -> list[tuple[Any, ...]]:
    """Every (term, conversation, column, position) the SQLite index holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocab "
            "USING fts5vocab(main, conversations_search_fts, instance)"
        )
        cursor.execute("SELECT term, doc, col, offset FROM temp.search_vocab ORDER BY 1, 2, 3, 4")
        return cursor.fetchall()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index of SQLite")
def test_the_triggers_keep_each_document_exactly_as_a_rebuild_makes_it(
    team: Team, agent: Agent
) -> None:
    """The contentless index must be told the old words of a document to take it out: if a
    trigger got them wrong, stale words would stay findable. After every kind of write the index
    holds exactly what building it afresh from the tables gives."""
    a = make_conversation(team=team, subject="Parcel lost", text="Where is my parcel?")
    b = make_conversation(team=team, subject="Invoice", text="Please send a copy.")
    note_add(conversation=a, agent=agent, text="Courier says delivered.")
    reply_send(conversation=a, agent=agent, text="We are asking the courier.", resolve=False)
    Conversation.objects.filter(pk=a.pk).update(subject="Parcel missing")
    Conversation.objects.filter(pk=b.pk).update(status=b.status)  # no subject change
    moved = a.messages.filter(direction=Direction.INBOUND).get()
    Message.objects.filter(pk=moved.pk).update(conversation=b)
    Message.objects.filter(conversation=a, direction=Direction.NOTE).update(text="Refunded.")
    b.messages.filter(direction=Direction.OUTBOUND).delete()
    d = make_conversation(
        customer=b.customer, team=team, subject="Duplicate", text="Voucher code twice?"
    )
    conversation_merge(source=d, target=b, agent=agent)  # moves d's messages to b
    live = _instances()
    assert live, "the index is empty"
    with connection.cursor() as cursor:
        for sql in _index.search_index_sql("sqlite"):  # delete-all, then every document again
            cursor.execute(sql)
    assert _instances() == live
    assert _found(None, "parcel") == {a.pk, b.pk}  # a's subject; the message moved to b
    assert _found(None, "refunded", include_notes=False) == set()  # a note
    assert _found(None, "refunded courier") == {a.pk}
    assert _found(None, "voucher") == {b.pk}  # merged into b; d keeps only its subject
    assert _found(None, "duplicate") == {d.pk}


def test_nobody_finds_what_they_cannot_open(
    team: Team, other_team: Team, agent: Agent, customer: Customer
) -> None:
    mine = make_conversation(customer=customer, team=team, subject="Refund please")
    note_add(conversation=mine, agent=agent, text="Suspected fraud, check the card.")
    theirs = make_conversation(team=other_team, subject="Refund for someone else")
    outsider = AgentFactory(teams=[other_team])
    assert customer.user is not None

    def conversations(user: Any, query: str) -> set[str]:
        return {h.url for h in _section(desk_search(user=user, query=query), "conversations").hits}

    assert conversations(agent.user, "refund") == {mine.get_absolute_url()}
    assert conversations(outsider.user, "refund") == {theirs.get_absolute_url()}
    assert conversations(agent.user, "fraud") == {mine.get_absolute_url()}
    assert conversations(customer.user, "refund") == {mine.get_absolute_url()}
    assert conversations(customer.user, "fraud") == set()  # never a colleague's note
    assert all(s.kind != "customers" for s in desk_search(user=customer.user, query="refund"))
    # Customers: an agent finds those of conversations they may open, a lead everyone.
    assert set(customers_matching(agent.user, customer.name)) == {customer}
    assert set(customers_matching(outsider.user, customer.name)) == set()


def test_customers_by_name_email_and_organisation(lead: Agent) -> None:
    org = OrganisationFactory(name="Acme Widgets")
    ann = CustomerFactory(name="Ann Lindqvist", organisation=org, email="ann@shop.example")
    CustomerFactory(name="Bob Stone")
    assert list(customers_matching(lead.user, "lindq")) == [ann]
    assert list(customers_matching(lead.user, "widgets")) == [ann]
    assert list(customers_matching(lead.user, "ann@shop")) == [ann]
    assert list(customers_matching(lead.user, "nobody")) == []


def test_matching_words_are_marked_and_the_rest_escaped() -> None:
    html = marked("<b>Refunded</b> & the refund's <script>", ["refunds"])
    assert html == (
        "&lt;b&gt;<mark>Refunded</mark>&lt;/b&gt; &amp; the "
        "<mark>refund</mark>&#x27;s &lt;script&gt;"
    )


def test_the_page_groups_results_by_kind(team: Team, agent: Agent, lead: Agent) -> None:
    c = make_conversation(team=team, subject="Refund <em>now</em>", text="Where is my refund?")
    make_article(
        actor=lead,
        title="Where is my refund?",
        body="Refunds take 5 days.",
        status=ArticleStatus.PUBLISHED,
    )
    page = login(Client(), agent.user.email).get("/desk/search/", {"q": "refund"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="results-conversations"' in html and 'id="results-articles"' in html
    assert f'href="{c.get_absolute_url()}"' in html
    assert "<mark>Refund</mark> &lt;em&gt;now&lt;/em&gt;" in html
    assert 'id="header-search"' in html
    empty = login(Client(), agent.user.email).get("/desk/search/", {"q": ""})
    assert empty.status_code == 200 and "results-conversations" not in empty.content.decode()


def test_the_page_shows_the_newest_matches_and_says_there_are_more(
    team: Team, other_team: Team, agent: Agent
) -> None:
    mine = [make_conversation(team=team, subject=f"Refund {i}") for i in range(SECTION_LIMIT + 1)]
    make_conversation(team=other_team, subject="Refund, not theirs to see")  # the newest of all
    section = _section(desk_search(user=agent.user, query="refund"), "conversations")
    newest = sorted(mine, key=lambda c: c.pk, reverse=True)[:SECTION_LIMIT]
    assert [h.url for h in section.hits] == [c.get_absolute_url() for c in newest]
    assert section.more
    # What the API's `q` filters by finds every one (it pages through them all).
    assert _found(agent.user, "refund") >= {c.pk for c in mine}


def test_a_last_word_shorter_than_three_letters_is_a_whole_word(team: Team, lead: Agent) -> None:
    """A prefix of one or two letters would read the index entry of every word it begins
    (hundreds of milliseconds at 200,000 conversations): such a last word is taken whole, alike
    on both databases, and only that word is marked."""
    john = make_conversation(team=team, subject="John's parcel", text="Sent to Johannesburg.")
    jo = make_conversation(team=team, subject="Parcel for Jo", text="Jo moved house.")
    assert _found(lead.user, "jo") == {jo.pk}
    assert _found(lead.user, "parcel jo") == {jo.pk}
    assert _found(lead.user, "parcel joh") == {john.pk}  # three letters: a prefix again
    assert marked("Jo and John", ["jo"]) == "<mark>Jo</mark> and John"
    section = _section(desk_search(user=lead.user, query="jo"), "conversations")
    assert [h.url for h in section.hits] == [jo.get_absolute_url()]
    assert "<mark>Jo</mark>" in section.hits[0].snippet


def test_the_page_says_a_short_last_word_is_matched_whole(lead: Agent) -> None:
    """Found walking the demo: "jo" found nobody and the page did not say why."""
    client = login(Client(), lead.user.email)
    short = client.get("/desk/search/", {"q": "parcel jo"}).content.decode()
    assert 'id="search-short-word"' in short and "at least 3 letters" in short
    assert "search-short-word" not in client.get("/desk/search/", {"q": "joh"}).content.decode()
