"""Hostile input on every write route: answered with a clear error or cleaned, never stored broken.

Three kinds of input, on every route that writes text (the API, the portal, the desk, saved
replies, ratings): a broken character (a lone UTF-16 surrogate in JSON, or bytes that are not UTF-8
in a form), a NUL or other control character, and a number far beyond any id. After each, every
page that shows the conversation still loads, and nothing stored holds such a character.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from caredesk.conversations.models import Conversation, Event, EventKind, Message, Rating
from caredesk.conversations.services import conversation_resolve
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.models import Agent, Team
from caredesk.people.services import api_token_create
from caredesk.replies.models import SavedReply

pytestmark = pytest.mark.django_db

HUGE = 10**20  # past a 64-bit id: once a 500 from SQLite ("datatype mismatch" / overflow)
UNSAFE = re.compile("[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class World:
    agent: Agent
    customer: Customer
    team: Team
    other_team: Team
    conversation: Conversation
    resolved: Conversation
    agent_client: Client
    customer_client: Client
    agent_token: str
    lead_client: Client  # sees every conversation, wherever a transfer moved it
    lead_token: str


@pytest.fixture
def world(agent: Agent, lead: Agent, team: Team, other_team: Team, agent_client: Client) -> World:
    customer = CustomerFactory()
    assert customer.user is not None
    customer_client = Client(raise_request_exception=False)
    customer_client.force_login(customer.user)
    agent_client.raise_request_exception = False
    lead_client = Client(raise_request_exception=False)
    lead_client.force_login(lead.user)
    resolved = make_conversation(customer=customer, team=team, subject="Resolved one")
    conversation_resolve(conversation=resolved, agent=agent)
    return World(
        agent=agent,
        customer=customer,
        team=team,
        other_team=other_team,
        conversation=make_conversation(customer=customer, team=team),
        resolved=resolved,
        agent_client=agent_client,
        customer_client=customer_client,
        agent_token=api_token_create(email=agent.user.email, name="hostile"),
        lead_client=lead_client,
        lead_token=api_token_create(email=lead.user.email, name="reader"),
    )


def api_post(w: World, path: str, payload: dict[str, Any], *, as_customer: bool = False) -> Any:
    """JSON as a client's encoder writes it: a lone surrogate travels as the escape `\\ud800`."""
    client = w.customer_client if as_customer else Client(raise_request_exception=False)
    auth = {} if as_customer else {"HTTP_AUTHORIZATION": f"Bearer {w.agent_token}"}
    return client.post(path, json.dumps(payload), content_type="application/json", **auth)


def form_post(client: Client, path: str, **fields: str) -> Any:
    """A form body written by hand (values %-encoded), so it can carry bytes that are not UTF-8."""
    body = "&".join(f"{name}={value}" for name, value in fields.items())
    return client.post(path, body, content_type="application/x-www-form-urlencoded")


# --- The write routes: how each sends a text, and every text it could have stored ---------------


def _messages(w: World) -> list[str]:
    return list(Message.objects.values_list("text", flat=True)) + list(
        Conversation.objects.values_list("subject", flat=True)
    )


def _event_data(kind: EventKind, key: str) -> Callable[[World], list[str]]:
    def stored(w: World) -> list[str]:
        return [
            e.get(key, "") for e in Event.objects.filter(kind=kind).values_list("data", flat=True)
        ]

    return stored


def _nothing(w: World) -> list[str]:
    return []


@dataclass(frozen=True)
class Route:
    name: str
    field: str
    send: Callable[[World, str], Any]  # text (API) or %-encoded text (forms) in `field`
    stored: Callable[[World], list[str]]
    huge: Callable[[World], Any] | None = None  # the same route with a number past any id
    form: bool = False


def _c(w: World) -> int:
    return w.conversation.pk


API_ROUTES = [
    Route(
        "api create",
        "text",
        lambda w, t: api_post(
            w, "/api/conversations", {"subject": "Lamp", "text": t, "customer_email": "a@b.test"}
        ),
        _messages,
        huge=lambda w: api_post(
            w,
            "/api/conversations",
            {"subject": "Lamp", "text": "Hi", "customer_email": "a@b.test", "team_id": HUGE},
        ),
    ),
    Route(
        "api create subject",
        "subject",
        lambda w, t: api_post(
            w, "/api/conversations", {"subject": t, "text": "Hi", "customer_email": "a@b.test"}
        ),
        _messages,
    ),
    Route(
        "api reply (agent)",
        "text",
        lambda w, t: api_post(w, f"/api/conversations/{_c(w)}/messages", {"text": t}),
        _messages,
        huge=lambda w: api_post(w, f"/api/conversations/{HUGE}/messages", {"text": "Hi"}),
    ),
    Route(
        "api reply (customer)",
        "text",
        lambda w, t: api_post(
            w, f"/api/conversations/{_c(w)}/messages", {"text": t}, as_customer=True
        ),
        _messages,
        huge=lambda w: api_post(
            w, f"/api/conversations/{HUGE}/messages", {"text": "Hi"}, as_customer=True
        ),
    ),
    Route(
        "api transfer",
        "note",
        lambda w, t: api_post(
            w, f"/api/conversations/{_c(w)}/transfer", {"note": t, "to_team_id": w.other_team.pk}
        ),
        _event_data(EventKind.TRANSFERRED, "note"),
        huge=lambda w: api_post(
            w, f"/api/conversations/{_c(w)}/transfer", {"note": "Over to you", "to_team_id": HUGE}
        ),
    ),
    Route("api analyze", "text", lambda w, t: api_post(w, "/api/analyze", {"text": t}), _nothing),
    Route(
        "api coach",
        "draft",
        lambda w, t: api_post(w, "/api/coach", {"draft": t, "conversation_id": _c(w)}),
        _nothing,
        huge=lambda w: api_post(w, "/api/coach", {"draft": "Hi", "conversation_id": HUGE}),
    ),
]

FORM_ROUTES = [
    Route(
        "portal new",
        "text",
        lambda w, t: form_post(w.customer_client, "/portal/new/", subject="Lamp", text=t),
        _messages,
        form=True,
    ),
    Route(
        "portal new subject",
        "subject",
        lambda w, t: form_post(w.customer_client, "/portal/new/", subject=t, text="Hi"),
        _messages,
        form=True,
    ),
    Route(
        "portal reply",
        "text",
        lambda w, t: form_post(w.customer_client, f"/portal/c/{_c(w)}/", text=t),
        _messages,
        huge=lambda w: form_post(w.customer_client, f"/portal/c/{HUGE}/", text="Hi"),
        form=True,
    ),
    Route(
        "desk reply",
        "text",
        lambda w, t: form_post(w.agent_client, f"/desk/c/{_c(w)}/reply/", text=t),
        _messages,
        huge=lambda w: form_post(w.agent_client, f"/desk/c/{HUGE}/reply/", text="Hi"),
        form=True,
    ),
    Route(
        "desk note",
        "text",
        lambda w, t: form_post(w.agent_client, f"/desk/c/{_c(w)}/note/", text=t),
        _messages,
        huge=lambda w: form_post(w.agent_client, f"/desk/c/{HUGE}/note/", text="Hi"),
        form=True,
    ),
    Route(
        "desk transfer",
        "note",
        lambda w, t: form_post(
            w.agent_client, f"/desk/c/{_c(w)}/transfer/", note=t, to_team=str(w.other_team.pk)
        ),
        _event_data(EventKind.TRANSFERRED, "note"),
        huge=lambda w: form_post(
            w.agent_client, f"/desk/c/{_c(w)}/transfer/", note="Over", to_team=str(HUGE)
        ),
        form=True,
    ),
    Route(
        "desk severity",
        "reason",
        lambda w, t: form_post(
            w.agent_client, f"/desk/c/{_c(w)}/severity/", severity="3", reason=t
        ),
        _event_data(EventKind.SEVERITY_CHANGED, "reason"),
        huge=lambda w: form_post(
            w.agent_client, f"/desk/c/{_c(w)}/severity/", severity=str(HUGE), reason="Why"
        ),
        form=True,
    ),
    Route(
        "saved reply",
        "body",
        lambda w, t: form_post(w.agent_client, "/replies/new/", title="Lamp", body=t),
        lambda w: list(SavedReply.objects.values_list("body", flat=True)),
        huge=lambda w: form_post(
            w.agent_client, "/replies/new/", title="Lamp", body="Hi", team=str(HUGE)
        ),
        form=True,
    ),
    Route(
        "saved reply title",
        "title",
        lambda w, t: form_post(w.agent_client, "/replies/new/", title=t, body="Hello there"),
        lambda w: list(SavedReply.objects.values_list("title", flat=True)),
        form=True,
    ),
    Route(
        "rating",
        "comment",
        lambda w, t: form_post(
            w.customer_client,
            f"/portal/c/{w.resolved.pk}/rate/",
            satisfaction="4",
            effort="2",
            comment=t,
        ),
        lambda w: list(Rating.objects.values_list("comment", flat=True)),
        huge=lambda w: form_post(
            w.customer_client,
            f"/portal/c/{w.resolved.pk}/rate/",
            satisfaction=str(HUGE),
            effort="2",
        ),
        form=True,
    ),
]


def assert_pages_load(w: World) -> None:
    """Whatever was stored, every page that shows it still renders (a surrogate once made a 500)."""
    for c in (w.conversation, w.resolved, *Conversation.objects.exclude(pk=w.conversation.pk)):
        assert w.lead_client.get(f"/desk/c/{c.pk}/").status_code == 200
        r = Client().get(f"/api/conversations/{c.pk}", HTTP_AUTHORIZATION=f"Bearer {w.lead_token}")
        assert r.status_code == 200 and r.json()["id"] == c.pk
        if c.customer_id == w.customer.pk:
            assert w.customer_client.get(f"/portal/c/{c.pk}/").status_code in (200, 302)
    assert w.agent_client.get("/replies/").status_code == 200
    for text in w_stored_everywhere():
        assert not UNSAFE.search(text), repr(text)


def w_stored_everywhere() -> list[str]:
    texts: list[str] = list(Message.objects.values_list("text", flat=True))
    texts += Conversation.objects.values_list("subject", flat=True)
    texts += Rating.objects.values_list("comment", flat=True)
    texts += SavedReply.objects.values_list("title", flat=True)
    texts += SavedReply.objects.values_list("body", flat=True)
    texts += Customer.objects.values_list("name", flat=True)
    for data in Event.objects.values_list("data", flat=True):
        texts += [v for v in data.values() if isinstance(v, str)]
    return texts


def _lamp(texts: list[str]) -> list[str]:
    return [t for t in texts if "Lamp" in t and "broken" in t]


def _ids(routes: list[Route]) -> list[str]:
    return [r.name for r in routes]


@pytest.mark.parametrize("route", API_ROUTES, ids=_ids(API_ROUTES))
def test_api_refuses_a_broken_character_naming_the_field(world: World, route: Route) -> None:
    before = route.stored(world)
    r = route.send(world, "Lamp \ud800 broken")
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    assert error["code"] == "invalid" and route.field in error["fields"]
    assert "broken character" in error["fields"][route.field][0]
    assert route.stored(world) == before
    assert_pages_load(world)


@pytest.mark.parametrize("route", API_ROUTES, ids=_ids(API_ROUTES))
def test_api_drops_control_characters(world: World, route: Route) -> None:
    r = route.send(world, "Lamp \x00\x1b\x07\x7farrived broken")  # NUL, ESC, BEL, DEL
    assert r.status_code in (200, 201), r.content
    if route.stored is not _nothing:
        assert "Lamp arrived broken" in _lamp(route.stored(world))
    assert_pages_load(world)


@pytest.mark.parametrize("route", FORM_ROUTES, ids=_ids(FORM_ROUTES))
def test_form_bytes_that_are_not_utf8_are_replaced(world: World, route: Route) -> None:
    # An encoded surrogate (CESU-8), two bytes that are never UTF-8, and a sequence cut short.
    r = route.send(world, "Lamp%20%ED%A0%80%20%FF%FE%20%C3%20broken")
    assert r.status_code == 302, r.content.decode()[:2000]
    (stored,) = _lamp(route.stored(world))
    assert "\ufffd" in stored
    assert_pages_load(world)


@pytest.mark.parametrize("route", FORM_ROUTES, ids=_ids(FORM_ROUTES))
def test_form_refuses_a_nul_character_and_keeps_nothing(world: World, route: Route) -> None:
    before = route.stored(world)
    r = route.send(world, "Lamp%20%00%20broken")
    assert r.status_code == 400
    assert b"Null characters are not allowed" in r.content
    assert route.stored(world) == before
    assert_pages_load(world)


@pytest.mark.parametrize("route", FORM_ROUTES, ids=_ids(FORM_ROUTES))
def test_form_drops_other_control_characters(world: World, route: Route) -> None:
    r = route.send(world, "Lamp%20%1B%07%7Farrived%20broken")
    assert r.status_code == 302, r.content.decode()[:2000]
    assert _lamp(route.stored(world))[0].startswith("Lamp arrived broken")
    assert_pages_load(world)


HUGE_ROUTES = [r for r in API_ROUTES + FORM_ROUTES if r.huge is not None]


@pytest.mark.parametrize("route", HUGE_ROUTES, ids=_ids(HUGE_ROUTES))
def test_a_number_past_any_id_is_a_clear_error(world: World, route: Route) -> None:
    assert route.huge is not None
    before = route.stored(world)
    r: HttpResponse = route.huge(world)
    assert r.status_code in (400, 404, 422), r.content
    if not route.form:
        error = r.json()["error"]
        assert error["code"] in ("validation_failed", "not_found") and error["message"]
        if r.status_code == 422:
            assert any("less than or equal" in m for ms in error["fields"].values() for m in ms)
    assert route.stored(world) == before
    assert_pages_load(world)


@pytest.mark.parametrize(
    "path",
    [
        "/api/conversations?offset=99999999999999999999",
        "/api/conversations?offset=-1",
        "/api/conversations?limit=99999999999999999999",
        "/api/conversations?limit=0",
        "/api/queue?limit=99999999999999999999",
    ],
)
def test_api_paging_out_of_range_is_a_422(world: World, path: str) -> None:
    r = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {world.agent_token}")
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "validation_failed" and set(error["fields"]) <= {"limit", "offset"}


@pytest.mark.parametrize(
    "page", ["99999999999999999999", "9" * 5000, "-1", "0", "abc", "1e9", "２", ""]
)
@pytest.mark.parametrize(
    "path", ["/desk/", "/desk/mine/", "/desk/team/", "/desk/waiting/", "/portal/"]
)
def test_html_pages_accept_any_page_number(world: World, path: str, page: str) -> None:
    client = world.customer_client if path.startswith("/portal/") else world.agent_client
    assert client.get(path, {"page": page}).status_code == 200


def test_a_customer_name_with_a_broken_character_is_cleaned(world: World) -> None:
    r = api_post(
        world,
        "/api/conversations",
        {
            "subject": "Hi",
            "text": "Hello",
            "customer_email": "n@b.test",
            "customer_name": "Ann\ud800",
        },
    )
    assert r.status_code == 201
    assert Customer.objects.get(pk=r.json()["customer_id"]).name == "Ann\ufffd"


def test_a_surrogate_stored_before_the_fix_is_mended_by_the_migration(world: World) -> None:
    """SQLite kept a JSON `\\ud800` in a transfer note; that desk page failed on every load."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's jsonb never accepted a lone surrogate")
    c = world.conversation
    Event.objects.create(
        conversation=c,
        created_at=timezone.now(),
        kind=EventKind.TRANSFERRED,
        data={"note": "Over \ud800 to you", "x": ["\udfff"]},
    )
    emoji = Event.objects.create(
        conversation=c,
        created_at=timezone.now(),
        kind=EventKind.NOTED,
        data={"note": "Fine \U0001f600"},
    )
    assert world.agent_client.get(f"/desk/c/{c.pk}/").status_code == 500
    migration = import_module("caredesk.conversations.migrations.0005_scrub_lone_surrogates")
    migration.scrub_events(django_apps, SimpleNamespace(connection=connection))  # all it reads
    mended = Event.objects.get(kind=EventKind.TRANSFERRED, conversation=c)
    assert mended.data == {"note": "Over \ufffd to you", "x": ["\ufffd"]}
    emoji.refresh_from_db()
    assert emoji.data == {"note": "Fine \U0001f600"}  # a proper pair is left alone
    assert_pages_load(world)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/desk/",
        "//evil.example/desk/",
        "/\\evil.example/desk/",
        "https:evil.example",
        "javascript:alert(1)",
        "\x01https://evil.example",
        "",
    ],
)
def test_the_presence_form_never_redirects_off_site(agent_client: Client, target: str) -> None:
    r = agent_client.post("/people/presence/", {"presence": "away", "next": target})
    assert r.status_code == 302 and r["Location"] == "/desk/"


def test_the_presence_form_returns_to_the_page_it_was_on(agent_client: Client) -> None:
    r = agent_client.post("/people/presence/", {"presence": "online", "next": "/desk/mine/?page=2"})
    assert r.status_code == 302 and r["Location"] == "/desk/mine/?page=2"
