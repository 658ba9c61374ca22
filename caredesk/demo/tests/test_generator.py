"""The demo desk is believable and internally consistent, on both the services and the bulk path.

The default desk (300 conversations through the services) is seeded once per module: it is the
slow part, and every test here only reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.db.models import Count
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from caredesk.care.models import OutreachTask
from caredesk.conversations.models import (
    Channel,
    Conversation,
    Direction,
    Event,
    EventKind,
    Message,
    Rating,
    Severity,
    Status,
)
from caredesk.customers.models import Customer, IdentityKind, Organisation
from caredesk.demo.generator import (
    AGENT_EMAIL,
    CUSTOMER_EMAIL,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    LEAD_EMAIL,
    DemoExistsError,
    DemoSummary,
    demo_exists,
    demo_reset,
    demo_seed,
)
from caredesk.people.models import Agent, Presence, Role, Team

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
# django-axes counts every authentication against the request it came with.
LOGIN_REQUEST = RequestFactory().post("/login/")
# Every kind a conversation's own story can show; merging two customers is not in the demo, and the
# care automation's kinds come from its periodic tasks, not from the stories (issue 11 adds them),
# but for AT_RISK: the seed runs the at-risk check once, so the leads' list shows a few customers.
# Tags are an agent's own filing, which the stories do not play.
NOT_IN_STORIES = {
    "tagged",
    "customer_merged",
    "update_sent",
    "closing_sent",
    "sla_warned",
    "sla_breached",
    "returned",
    "outreach_done",
}
ALL_KINDS = set(EventKind.values) - NOT_IN_STORIES
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def desk(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoSummary]:
    # The suite's fast hasher (conftest) is set per test; hash the demo logins with it too. The
    # refine engine's pass over the history (a minute of model time) has its own test
    # (test_refine_at_seed.py); the shapes checked here do not depend on it.
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS, CAREDESK_EMOTION_REFINE_ENGINE=""),
    ):
        summary = demo_seed(now=NOW)
    yield summary
    with django_db_blocker.unblock():
        demo_reset()


def check_people() -> None:
    assert Customer.objects.count() >= 50
    assert len(set(Organisation.objects.values_list("plan", flat=True))) >= 4
    assert Organisation.objects.filter(annual_revenue__gt=1_000_000).exists()
    assert not Customer.objects.exclude(identities__kind=IdentityKind.EMAIL).exists()
    agents = Agent.objects.filter(role=Role.AGENT)
    assert agents.count() == 6
    assert Agent.objects.filter(role=Role.LEAD, user__email=LEAD_EMAIL).exists()
    teams = Team.objects.annotate(n=Count("agents")).filter(n__gt=0)
    assert {t.name for t in teams} == {"Billing", "Technical"}
    assert not agents.filter(teams__isnull=True).exists()
    demo_agent = Agent.objects.get(user__email=AGENT_EMAIL)
    assert demo_agent.presence == Presence.ONLINE
    assert demo_agent.teams.count() >= 1
    assert all(a.user.first_name and a.user.last_name for a in agents.select_related("user"))


def check_conversations(size: int, *, now: datetime) -> None:
    conversations = Conversation.objects.all()
    assert conversations.count() == size
    first = conversations.order_by("created_at").first()
    last = conversations.order_by("-created_at").first()
    assert first is not None and last is not None
    assert now - first.created_at <= timedelta(days=90)
    assert last.created_at - first.created_at >= timedelta(days=80)
    assert set(conversations.values_list("status", flat=True)) == set(Status.values)
    assert set(conversations.values_list("severity", flat=True)) == set(Severity.values)
    assert set(conversations.values_list("channel", flat=True)) == set(Channel.values)
    teams = set(conversations.values_list("team__name", flat=True))
    assert teams == {"Billing", "Technical", None}
    assert set(Event.objects.values_list("kind", flat=True)) == ALL_KINDS
    assert not Message.objects.filter(direction=Direction.INBOUND, reading__isnull=True).exists()
    done = conversations.filter(status__in=[Status.RESOLVED, Status.CLOSED], merged_into=None)
    assert Rating.objects.count() >= done.count() // 2
    assert Rating.objects.values("satisfaction").distinct().count() == 5
    assert Event.objects.filter(kind=EventKind.TRANSFERRED).exclude(data__note="").exists()


def check_timestamps(*, now: datetime) -> None:
    """Metrics derive from events, so the columns and the events must tell the same story."""
    events: dict[int, list[Event]] = {}
    for event in Event.objects.order_by("created_at", "pk"):
        events.setdefault(event.conversation_id, []).append(event)
    for c in Conversation.objects.all():
        history = events[c.pk]
        assert history[0].kind == EventKind.CREATED
        assert history[0].created_at == c.created_at
        assert all(e.created_at <= now for e in history)
        assert c.last_message_at >= c.created_at
        replies = [e.created_at for e in history if e.kind == EventKind.REPLIED]
        if c.first_response_at is not None:
            assert c.first_response_at >= c.created_at
            assert c.first_response_at == replies[0]
        else:
            assert not replies
        if c.status == Status.RESOLVED:
            assert c.resolved_at is not None
            assert c.resolved_at >= (c.first_response_at or c.created_at)
            resolved = [e.created_at for e in history if e.kind == EventKind.RESOLVED]
            assert c.resolved_at == resolved[-1]
        if c.status == Status.CLOSED:
            assert c.closed_at is not None and c.closed_at >= c.created_at
            # the story ends there; the at-risk check may note the customer afterwards
            story = [e for e in history if e.kind != EventKind.AT_RISK]
            assert story[-1].kind in (EventKind.STATUS_CHANGED, EventKind.MERGED, EventKind.RATED)
    for m in Message.objects.select_related("conversation"):
        assert m.conversation.created_at <= m.created_at <= now


def test_people(desk: DemoSummary) -> None:
    check_people()
    assert desk.customers >= 50 and desk.agents == 6 and desk.teams == 2


def test_conversations(desk: DemoSummary) -> None:
    check_conversations(300, now=NOW)
    assert desk.conversations == 300


def test_timestamps_are_consistent(desk: DemoSummary) -> None:
    check_timestamps(now=NOW)


def test_texts_vary(desk: DemoSummary) -> None:
    first = [c.messages.order_by("created_at", "pk").first() for c in Conversation.objects.all()]
    texts = [m.text for m in first if m is not None]
    assert len(set(texts)) >= 0.9 * len(texts)
    emotions = set(Conversation.objects.values_list("emotion", flat=True))
    assert len(emotions) >= 4


def test_demo_logins(desk: DemoSummary) -> None:
    for email in DEMO_LOGINS:
        assert authenticate(LOGIN_REQUEST, email=email, password=DEMO_PASSWORD) is not None, email
    customer = Customer.objects.get(user__email=CUSTOMER_EMAIL)
    assert customer.conversations.count() >= 5
    assert demo_exists()


def test_seeding_twice_is_refused(desk: DemoSummary) -> None:
    with pytest.raises(DemoExistsError):
        demo_seed(size=5, now=NOW)


def test_desk_pages_render(desk: DemoSummary) -> None:
    client = Client()
    assert client.login(request=LOGIN_REQUEST, email=AGENT_EMAIL, password=DEMO_PASSWORD)
    for name in ("desk:queue", "desk:mine", "desk:team", "desk:waiting"):
        assert client.get(reverse(name)).status_code == 200, name
    busiest = Conversation.objects.annotate(n=Count("events")).order_by("-n").first()
    assert busiest is not None
    assert client.get(reverse("desk:conversation", args=[busiest.pk])).status_code == 200


def test_the_leads_see_a_few_customers_at_risk(desk: DemoSummary) -> None:
    tasks = OutreachTask.objects.filter(outcome="")
    assert 2 <= tasks.count() <= 30
    assert tasks.filter(agent__isnull=False).exists()
    client = Client()
    assert client.login(request=LOGIN_REQUEST, email=LEAD_EMAIL, password=DEMO_PASSWORD)
    page = client.get(reverse("care_outreach:list"))
    assert page.status_code == 200
    assert f'data-task="{tasks.first().pk}"' in page.content.decode()  # type: ignore[union-attr]


def test_fast_path_makes_the_same_shapes(desk: DemoSummary) -> None:
    summary = demo_seed(size=500, seed=7, now=NOW, fast=True, reset=True)
    assert summary.conversations == 500 and summary.fast
    check_people()
    check_conversations(500, now=NOW)
    check_timestamps(now=NOW)
    for email in DEMO_LOGINS:
        assert authenticate(LOGIN_REQUEST, email=email, password=DEMO_PASSWORD) is not None, email
