"""Inboxes that work a queue (conversations/inbox.py): filters, sorting, keyset pages, counts,
saved views, tags and bulk actions, and query counts pinned per inbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from caredesk.conftest import login
from caredesk.conversations import keyset, queue
from caredesk.conversations.inbox import (
    BulkChange,
    InboxFilters,
    conversations_bulk_change,
    inbox_filter,
    inbox_page,
    saved_view_save,
    view_order,
    view_parts,
    view_queryset,
)
from caredesk.conversations.models import (
    Channel,
    Conversation,
    Event,
    EventKind,
    SavedView,
    Severity,
    Status,
)
from caredesk.conversations.services import (
    conversation_assign,
    conversation_resolve,
    conversation_tag,
    reply_send,
    tag_names,
)
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def _ids(qs: Any) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def _mine(agent: Agent, team: Team, n: int, **kwargs: Any) -> list[Conversation]:
    made = []
    for i in range(n):
        c = make_conversation(team=team, subject=f"Question {i}", **kwargs)
        conversation_assign(conversation=c, agent=agent, actor=agent.user)
        made.append(c)
    return made


def test_every_filter_narrows_the_view(agent: Agent, team: Team, other_team: Team) -> None:
    now = timezone.now()
    plain = make_conversation(team=team, subject="Plain", at=now - timedelta(minutes=5))
    legal = make_conversation(
        team=team, subject="Court", text="I will see you in court, my lawyer is ready."
    )
    mail = make_conversation(team=other_team, channel=Channel.EMAIL, subject="By mail")
    old = make_conversation(team=team, subject="Old", at=now - timedelta(hours=5))
    conversation_assign(conversation=plain, agent=agent, actor=agent.user)
    conversation_tag(conversation=old, actor=agent.user, add=["refund"])
    everything = Conversation.objects.all()

    def found(**kwargs: Any) -> set[int]:
        return _ids(inbox_filter(everything, InboxFilters(**kwargs), now=now))

    assert legal.risk_signal and legal.emotion  # read when it arrived
    assert found() == {plain.pk, legal.pk, mail.pk, old.pk}
    assert found(status=Status.OPEN) == {plain.pk}
    assert found(severity=legal.severity) >= {legal.pk} and plain.pk not in found(
        severity=legal.severity
    )
    assert found(team=other_team.pk) == {mail.pk}
    assert found(owner=str(agent.pk)) == {plain.pk}
    assert found(owner="none") == {legal.pk, mail.pk, old.pk}
    assert found(channel=Channel.EMAIL) == {mail.pk}
    assert legal.pk in found(emotion=legal.emotion)
    assert found(signal=legal.risk_signal) == {legal.pk}
    assert found(tag="refund") == {old.pk}
    assert found(waiting="4h") == {old.pk}
    assert found(waiting="1h", team=team.pk) == {old.pk}


def test_filters_keep_the_fair_queue_order_and_the_queue_never_sorts(
    lead: Agent, team: Team
) -> None:
    now = timezone.now()
    a = make_conversation(team=team, subject="A", at=now - timedelta(hours=3))
    make_conversation(team=None, subject="B", at=now - timedelta(hours=2))
    c = make_conversation(
        team=team, subject="C", severity=Severity.HIGH, at=now - timedelta(hours=1)
    )
    fair = [x.pk for x in queue.queue_for_agent(lead, now)]
    order = view_order("queue", "recent")
    narrowed = inbox_filter(
        view_queryset(lead, "queue", now=now), InboxFilters(team=team.pk), now=now
    )
    page = inbox_page(narrowed, order, "")
    assert [x.pk for x in page.rows] == [c.pk, a.pk] == [pk for pk in fair if pk in (a.pk, c.pk)]


def test_other_views_sort_and_page_by_keyset(agent: Agent, team: Team) -> None:
    now = timezone.now()
    made = _mine(agent, team, 7)
    qs = view_queryset(agent, "mine", now=now)
    seen: list[int] = []
    page = inbox_page(qs, view_order("mine", ""), "", limit=3)
    assert page.first and page.start == 1
    starts = []
    while True:
        starts.append(page.start)
        seen += [c.pk for c in page.rows]
        if not page.next_cursor:
            break
        if len(seen) == 3:  # a new conversation meanwhile neither repeats nor hides another
            _mine(agent, team, 1)
        page = inbox_page(qs, view_order("mine", ""), page.next_cursor, limit=3)
        assert not page.first
    assert seen == [c.pk for c in reversed(made)] and starts == [1, 4, 7]
    by_age = inbox_page(qs, view_order("mine", "oldest"), "", limit=2)
    assert [c.pk for c in by_age.rows] == [made[0].pk, made[1].pk]
    # A cursor made for another order, or not ours at all, starts at the top: never an error.
    for bad in (by_age.next_cursor, "garbage", "W10", "e30" * 900):
        assert inbox_page(qs, view_order("mine", ""), bad, limit=3).first


def test_pages_counts_and_saved_views_over_http(agent: Agent, team: Team) -> None:
    _mine(agent, team, 3)
    tagged = _mine(agent, team, 2)
    for c in tagged:
        conversation_tag(conversation=c, actor=agent.user, add=["refund"])
    make_conversation(team=team)  # in the queue
    client = login(Client(), agent.user.email)
    page = client.get("/desk/mine/", {"tag": "refund", "sort": "oldest"}).content.decode()
    assert page.count('name="ids"') == 2
    assert 'id="count-mine">5<' in page and 'id="count-queue">1<' in page
    saved = client.post(
        "/desk/views/", {"name": "Refunds", "view": "mine", "query": "tag=refund&bogus=1"}
    )
    assert saved.status_code == 302 and saved["Location"] == "/desk/mine/?tag=refund"
    view = SavedView.objects.get(agent=agent)
    assert view.query == "tag=refund"
    page = client.get("/desk/").content.decode()
    assert 'href="/desk/mine/?tag=refund"' in page and "Refunds <span" in page
    # A colleague neither sees nor deletes it.
    colleague = AgentFactory(teams=[team])
    other = login(Client(), colleague.user.email)
    assert "Refunds" not in other.get("/desk/").content.decode()
    assert other.post(f"/desk/views/{view.pk}/delete/").status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    client.post(f"/desk/views/{view.pk}/delete/")
    assert not SavedView.objects.filter(pk=view.pk).exists()
    bad = client.post("/desk/views/", {"name": "", "view": "mine", "next": "/desk/mine/"})
    assert bad.status_code == 302 and not SavedView.objects.exists()


def test_tags_change_with_one_event_and_bad_names_are_refused(agent: Agent, team: Team) -> None:
    c = make_conversation(team=team)
    conversation_tag(conversation=c, actor=agent.user, add=["refund", "outage"])
    conversation_tag(conversation=c, actor=agent.user, add=["refund"])  # nothing new: no event
    conversation_tag(conversation=c, actor=agent.user, remove=["outage"])
    events = list(c.events.filter(kind=EventKind.TAGGED).values_list("data", flat=True))
    assert events == [
        {"added": ["refund", "outage"], "removed": []},
        {"added": [], "removed": ["outage"]},
    ]
    assert list(c.tags.values_list("name", flat=True)) == ["refund"]
    assert tag_names(" Refund ,  late  delivery,refund,") == ["refund", "late delivery"]
    for bad in ("!!!", "x" * 41, "_hidden"):
        with pytest.raises(ValidationError):
            tag_names(bad)


def test_bulk_actions_go_through_the_services_one_event_each(
    agent: Agent, team: Team, other_team: Team
) -> None:
    colleague = AgentFactory(teams=[team])
    a, b = make_conversation(team=team), make_conversation(team=team)
    hidden = make_conversation(team=other_team)
    ids = [a.pk, b.pk]

    def run(action: str, **kwargs: Any) -> Any:
        return conversations_bulk_change(
            agent=agent, ids=ids, change=BulkChange(action=action, **kwargs)
        )

    def count(kind: EventKind) -> int:
        return Event.objects.filter(conversation__in=ids, kind=kind).count()

    assert run("assign", agent=colleague).done == ids and count(EventKind.ASSIGNED) == 2
    assert run("severity", severity=Severity.HIGH).done == ids
    assert count(EventKind.SEVERITY_CHANGED) == 2
    assert run("tag", tags=("vip",)).done == ids and count(EventKind.TAGGED) == 2
    conversation_resolve(conversation=a, agent=agent)
    result = run("resolve")
    assert result.done == [b.pk] and [pk for pk, _ in result.refused] == [a.pk]
    assert count(EventKind.RESOLVED) == 2
    ids[:] = [make_conversation(team=team).pk, make_conversation(team=team).pk]
    with pytest.raises(ValidationError):
        run("transfer", agent=agent, note="  ")  # one handoff note is required, said once
    result = run("transfer", team=other_team, note="Billing question, card checked.")
    assert result.done == ids and count(EventKind.TRANSFERRED) == 2
    notes = Event.objects.filter(conversation__in=ids, kind=EventKind.TRANSFERRED)
    assert {e.data["note"] for e in notes} == {"Billing question, card checked."}
    # What the agent may not open is refused, never changed.
    outsider = conversations_bulk_change(
        agent=AgentFactory(teams=[]), ids=[hidden.pk], change=BulkChange(action="resolve")
    )
    assert outsider.done == [] and outsider.refused == [(hidden.pk, "not found")]
    assert Conversation.objects.get(pk=hidden.pk).status != Status.RESOLVED


def test_bulk_over_http_reports_and_goes_back_to_the_view(agent: Agent, team: Team) -> None:
    c = _mine(agent, team, 1)[0]
    client = login(Client(), agent.user.email)
    r = client.post(
        "/desk/bulk/",
        {
            "ids": [str(c.pk), "x"],
            "action": "tag",
            "tags": "late, refund",
            "next": "/desk/mine/?tag=",
        },
    )
    assert r.status_code == 302 and r["Location"] == "/desk/mine/?tag="
    assert set(c.tags.values_list("name", flat=True)) == {"late", "refund"}
    r = client.post(
        "/desk/bulk/",
        {"ids": [str(c.pk)], "action": "tag", "tags": "!!", "next": "https://evil.example/"},
    )
    assert r["Location"] == "/desk/mine/"
    assert c.tags.count() == 2


@pytest.mark.parametrize(
    ("path", "pinned"),
    # The queue reads its bands in 7 parts (`queue.queue_parts`), the team view asks for the
    # agent's teams: each part is one short walk of an index, however long the queue.
    [("/desk/", 20), ("/desk/mine/", 14), ("/desk/team/", 15), ("/desk/waiting/", 14)],
)
def test_query_counts_per_inbox_are_pinned(
    agent: Agent, team: Team, path: str, pinned: int
) -> None:
    """A page's queries do not grow with its rows, filters or tags; a new one fails here."""
    client = login(Client(), agent.user.email)

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert client.get(path, {"status": "", "sort": ""}).status_code == 200
        return len(seen)

    def waiting(n: int) -> list[Conversation]:  # in Mine, My teams and Waiting alike
        made = _mine(agent, team, n)
        for c in made:
            reply_send(conversation=c, agent=agent, text="We are on it.", resolve=False)
        return made

    waiting(1)
    make_conversation(team=team)
    few = queries()
    for c in waiting(6):
        conversation_tag(conversation=c, actor=agent.user, add=["a", "b"])
    for _ in range(6):
        make_conversation(team=team)
    assert queries() == few == pinned
    for name in ("A", "B", "C"):  # each saved view adds its one (bounded) count
        saved_view_save(agent=agent, name=name, view="team", query="tag=a&severity=2")
    assert queries() == pinned + 3


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
@pytest.mark.parametrize("view", ["mine", "waiting", "team"])
def test_the_agents_views_walk_an_index_in_page_order(agent: Agent, team: Team, view: str) -> None:
    """A page reads about as many rows as it shows: the view's filter is an equality on
    `is_open` (never `status IN (...)`, which SQLite cannot walk in order with bound values), so
    no page sorts every open conversation of an agent or team."""
    for c in _mine(agent, team, 3):
        reply_send(conversation=c, agent=agent, text="We are on it.", resolve=False)
    now = timezone.now()
    qs, order = view_queryset(agent, view, now=now), view_order(view, "")
    parts = view_parts(agent, view, now=now) or [keyset.Part(Q())]
    for part in parts:
        assert_walks(qs.filter(part.filter).order_by(*order)[:51])
    assert len(inbox_page(qs, order, "", parts=parts).rows) == 3


def assert_walks(qs: Any) -> None:
    """SQLite reads the page along one of the partial indexes, in order (no sort)."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
    assert "_open" in plan, plan
