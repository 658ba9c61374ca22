"""The API's `q`: the desk's bounded search (newest opened first, a window of ids at a time),
paged exactly by its cursor, narrowed by every other filter and by what the caller may see."""

from __future__ import annotations

from typing import Any

import pytest

from caredesk.channels.tests.test_api_routes import as_agent, next_cursor
from caredesk.conversations import search
from caredesk.conversations.models import Severity
from caredesk.conversations.services import conversation_resolve, customer_message_add
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team

pytestmark = pytest.mark.django_db


def test_q_pages_newest_first_each_match_once_while_conversations_change(
    team: Team, other_team: Team, agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows of 3 ids make every page cross several. Between pages the newest and the oldest
    match get a message (newest activity) and a new match is opened: a search keeps the order
    the conversations were opened in, so none moves, none repeats, none is skipped, and the new
    one (newer than the cursor) waits for a fresh search."""
    monkeypatch.setattr(search, "_FIRST_WINDOW", 3)
    matches = []
    for i in range(8):
        matches.append(make_conversation(team=team, subject=f"Parcel {i}", text="Courier lost it"))
        make_conversation(team=team, subject="Password reset", text="Locked out.")
        make_conversation(team=other_team, subject="Parcel not yours", text="Courier?")
    api = as_agent(agent)
    seen: list[int] = []
    params: dict[str, Any] = {"q": "courier parcel", "limit": 3}
    for page in range(10):
        response = api.get("/api/conversations", **params)
        assert response.status_code == 200, response.content
        seen += [c["id"] for c in response.json()]
        if page == 0:
            for changed in (matches[0], matches[-1]):
                customer_message_add(conversation=changed, text="Parcel?", author=None)
            late = make_conversation(team=team, subject="Parcel late", text="courier")
        params["cursor"] = next_cursor(response)
        if params["cursor"] is None:
            break
    assert seen == sorted((c.pk for c in matches), reverse=True)
    fresh = api.get("/api/conversations", q="courier parcel", limit=1).json()
    assert [c["id"] for c in fresh] == [late.pk]


def test_q_with_every_other_filter(lead: Agent, team: Team, other_team: Team) -> None:
    a = make_conversation(team=team, subject="Refund for order 17")
    b = make_conversation(team=other_team, subject="Refund twice", severity=Severity.HIGH)
    c = make_conversation(team=team, subject="Password reset")
    conversation_resolve(conversation=b, agent=lead)
    api = as_agent(lead)

    def ids(**params: Any) -> list[int]:
        response = api.get("/api/conversations", q="refund", **params)
        assert response.status_code == 200, response.content
        return [x["id"] for x in response.json()]

    assert ids() == [b.pk, a.pk]
    assert ids(status="resolved") == [b.pk]
    assert ids(team=team.pk) == [a.pk]
    assert ids(severity=Severity.HIGH) == [b.pk]
    assert ids(customer=a.customer_id) == [a.pk]
    assert ids(channel="email") == []
    assert ids(updated_since="2999-01-01T00:00:00") == []
    assert ids(offset=1) == [a.pk]
    assert [x["id"] for x in api.get("/api/conversations", q=str(c.pk)).json()] == [c.pk]
    assert api.get("/api/conversations", q="the of").json() == []  # only words never indexed


def test_q_sorts_newest_opened_first_and_refuses_any_other_sort(lead: Agent, team: Team) -> None:
    """Any other order would have to read every match before the first page: a 400 that says
    so, naming `sort`. Without `q`, `-id` is a sort like the others."""
    made = [make_conversation(team=team, subject="Refund") for _ in range(3)]
    api = as_agent(lead)
    newest = [c.pk for c in reversed(made)]
    for sort in ("-updated", "created", "-severity"):
        refused = api.get("/api/conversations", q="refund", sort=sort)
        assert refused.status_code == 400
        assert "-id" in refused.json()["error"]["fields"]["sort"][0]
    asked = api.get("/api/conversations", q="refund", sort="-id")
    assert [x["id"] for x in asked.json()] == newest
    assert [x["id"] for x in api.get("/api/conversations", sort="-id").json()] == newest
    # A search's cursor keys on the id: it does not carry over to a list in another order.
    first = api.get("/api/conversations", q="refund", limit=1)
    other = api.get("/api/conversations", cursor=next_cursor(first))
    assert other.status_code == 400 and "cursor" in other.json()["error"]["fields"]
