"""The fair queue: severity band, then arrival; never revenue; nothing waits forever."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from caredesk.conversations import queue, services
from caredesk.conversations.models import Conversation, EventKind, Severity
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.tests.factories import CustomerFactory, OrganisationFactory
from caredesk.people.models import Agent, Presence, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def order(now: datetime | None = None) -> list[int]:
    return list(queue.queue_queryset(now=now).values_list("pk", flat=True))


def test_order_is_band_then_arrival_and_never_revenue(team: Team) -> None:
    now = timezone.now()
    big = OrganisationFactory(plan="enterprise", annual_revenue=Decimal("90000000"))
    small = OrganisationFactory(plan="free", annual_revenue=Decimal("0"))
    rng = random.Random(7)
    made = []
    for i in range(30):
        org = big if rng.random() < 0.5 else small
        severity = rng.choice([Severity.LOW, Severity.NORMAL, Severity.HIGH])
        c = make_conversation(
            customer=CustomerFactory(organisation=org),
            team=team,
            severity=severity,
            text="Hello, could you help me with my order?",
            at=now - timedelta(minutes=60 - i),
        )
        made.append(c)
    expected = [c.pk for c in sorted(made, key=lambda c: (-c.severity, c.queued_at, c.pk))]
    assert order(now) == expected
    # Swap who is big and who is small: the queue must not move at all.
    big.annual_revenue, small.annual_revenue = Decimal("0"), Decimal("90000000")
    big.plan, small.plan = "free", "enterprise"
    big.save()
    small.save()
    assert order(now) == expected


def test_age_raises_a_band_up_to_high_but_never_above_urgent(team: Team) -> None:
    now = timezone.now()
    old_low = make_conversation(team=team, severity=Severity.LOW, at=now - timedelta(hours=50))
    fresh_high = make_conversation(team=team, severity=Severity.HIGH, at=now - timedelta(hours=1))
    normal = make_conversation(team=team, severity=Severity.NORMAL, at=now - timedelta(hours=2))
    urgent = make_conversation(team=team, severity=Severity.URGENT, at=now - timedelta(minutes=5))
    assert order(now) == [urgent.pk, old_low.pk, fresh_high.pk, normal.pk]
    entries = queue.queue_entries(queue.queue_queryset(now=now), now=now)
    why = {e.conversation.pk: e.reason for e in entries}
    assert "raised 2 bands after waiting 50 h" in why[old_low.pk]
    assert why[urgent.pk].startswith("#1: Urgent band")


def test_queue_position_and_honest_wait_estimate(team: Team, agent: Agent) -> None:
    now = timezone.now()
    first = make_conversation(team=team, at=now - timedelta(minutes=30))
    second = make_conversation(team=team, at=now - timedelta(minutes=10))
    assert queue.queue_position(first) == 1 and queue.queue_position(second) == 2
    estimate = queue.wait_estimate(2)
    assert estimate.seconds is None and "Not enough data yet" in estimate.text
    # 14 pick-ups in the last 7 days: one every 12 hours, so place 2 waits about a day.
    for _ in range(14):
        c = make_conversation(team=team, at=now - timedelta(days=3))
        services.conversation_assign(conversation=c, agent=agent, actor=agent.user)
    estimate = queue.wait_estimate(2)
    assert estimate.seconds == 24 * 3600
    assert "14 conversations" in estimate.text
    services.conversation_assign(conversation=first, agent=agent, actor=agent.user)
    assert queue.queue_position(first) is None
    assert queue.queue_position(second) == 1


def test_take_next_hands_out_in_queue_order_and_each_once(team: Team) -> None:
    now = timezone.now()
    a, b = AgentFactory(teams=[team]), AgentFactory(teams=[team])
    low = make_conversation(team=team, severity=Severity.LOW, at=now - timedelta(minutes=30))
    high = make_conversation(team=team, severity=Severity.HIGH, at=now - timedelta(minutes=5))
    assert queue.take_next(agent=a) == high
    assert queue.take_next(agent=b) == low
    assert queue.take_next(agent=a) is None
    assert Conversation.objects.get(pk=high.pk).events.filter(kind=EventKind.ASSIGNED).count() == 1


def test_take_next_only_offers_the_agents_teams(team: Team, other_team: Team) -> None:
    a = AgentFactory(teams=[team])
    make_conversation(team=other_team)
    assert queue.take_next(agent=a) is None


def test_auto_assignment_balances_load_capacity_and_presence(team: Team) -> None:
    team.auto_assign = True
    team.save()
    busy = AgentFactory(teams=[team], capacity=2)
    x, y = AgentFactory(teams=[team]), AgentFactory(teams=[team])
    AgentFactory(teams=[team], presence=Presence.OFFLINE)
    for _ in range(2):
        c = make_conversation(team=Team.objects.create(name=f"tmp{_}"))
        services.conversation_assign(conversation=c, agent=busy, actor=busy.user)
    owners = [make_conversation(team=team).owner for _ in range(4)]
    # busy is at capacity; x and y take turns (round-robin among equals); offline gets none.
    assert busy not in owners
    assert owners.count(x) == 2 and owners.count(y) == 2
    assert owners[0] != owners[1] and owners[2] != owners[3]
    x.presence = Presence.AWAY
    x.save()
    assert make_conversation(team=team).owner == y


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pages_read_by_band_follow_the_whole_queues_order(team: Team, seed: int) -> None:
    """`queue_page` reads the queue one band at a time and merges: page after page, it gives
    exactly the order of sorting the whole queue, at the aging boundaries and on ties too."""
    now = timezone.now()
    rng = random.Random(seed)
    day = timedelta(hours=queue.AGING_HOURS)
    ages = [timedelta(0), day, 2 * day, day - timedelta(seconds=1), 3 * day, timedelta(hours=5)]
    for _ in range(30):
        at = now - rng.choice(ages) - timedelta(minutes=rng.choice([0, 0, 7]))
        make_conversation(team=team, severity=rng.choice(list(Severity)), at=at)
    whole = order(now)
    paged: list[int] = []
    cursor = ""
    while True:
        page = queue.queue_page(queue.queue_queryset(now=now), cursor, limit=7, now=now)
        paged += [c.pk for c in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert paged == whole and len(whole) == 30
    assert [e.conversation.pk for e in queue.queue_entries(queue.queue_queryset(now=now))] == whole
