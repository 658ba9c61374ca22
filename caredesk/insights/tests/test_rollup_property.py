"""A rollup rebuilt from scratch equals the one kept up to date as events arrived, for random
histories played through the services (Hypothesis)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from caredesk.conversations import services
from caredesk.conversations.models import Conversation
from caredesk.customers.models import Customer
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.insights import rollup
from caredesk.insights.models import SUMMED, DailyRollup, TeamRollup
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory, TeamFactory

START = datetime(2026, 3, 27, 8, tzinfo=ZoneInfo("Europe/Berlin"))  # DST and a month end ahead
TEXTS = (
    "Quick question about my invoice.",
    "The app keeps crashing, this is terrible and I am angry.",
    "Thank you so much, that works now!",
)
# Weighted by repetition: enough new conversations and resolutions for reopens, thank-yous,
# ratings and returns after a bad experience to happen often.
ACTIONS = (
    *("create", "write", "reply_resolve") * 2,
    *("reply", "resolve", "reopen", "transfer", "merge", "rate", "assign"),
)

Step = tuple[str, int, int, int, int]  # action, conversation, who, text/score, minutes later


@pytest.fixture
def cast(db: None, settings: Any) -> dict[str, Any]:
    settings.TIME_ZONE = "Europe/Berlin"
    teams = [TeamFactory(name="Billing"), TeamFactory(name="Technical")]
    return {
        "teams": teams,
        "agents": [AgentFactory(teams=[teams[0]]), AgentFactory(teams=[teams[1]])],
        "customers": [CustomerFactory(), CustomerFactory()],
    }


def _play(step: Step, convs: list[Conversation], cast: dict[str, Any], when: datetime) -> None:
    action, which, who, extra, _ = step
    agent: Agent = cast["agents"][who % 2]
    team: Team = cast["teams"][who % 2]
    customer: Customer = cast["customers"][which % 2]
    if action == "create" or not convs:
        convs.append(
            services.conversation_create(
                customer=customer,
                subject="s",
                text=TEXTS[extra % 3],
                author=customer.user,
                team=team,
                at=when,
            )
        )
        return
    conv = Conversation.objects.get(pk=convs[which % len(convs)].pk)
    if action == "write":
        services.customer_message_add(
            conversation=conv, text=TEXTS[extra % 3], author=conv.customer.user, at=when
        )
    elif action in ("reply", "reply_resolve"):
        services.reply_send(
            conversation=conv,
            agent=agent,
            text="Done.",
            resolve=action == "reply_resolve",
            at=when,
        )
    elif action == "resolve":
        services.conversation_resolve(conversation=conv, agent=agent, at=when)
    elif action == "reopen":
        services.conversation_reopen(conversation=conv, actor=agent.user, at=when)
    elif action == "transfer":
        services.conversation_transfer(
            conversation=conv, actor=agent.user, note="Over to you.", to_team=team, at=when
        )
    elif action == "merge":
        target = Conversation.objects.get(pk=convs[(which + 1) % len(convs)].pk)
        services.conversation_merge(source=conv, target=target, agent=agent, at=when)
    elif action == "rate":
        services.rating_submit(
            conversation=conv,
            user=conv.customer.user,
            satisfaction=extra % 5 + 1,
            effort=(extra * 3) % 5 + 1,
            at=when,
        )
    elif action == "assign":
        services.conversation_assign(conversation=conv, agent=agent, actor=agent.user)


def _rows() -> list[tuple[Any, ...]]:
    """Every row of both rollup tables, each led by its table's name."""
    out: list[tuple[Any, ...]] = []
    for model in (DailyRollup, TeamRollup):
        fields = [f.name for f in model._meta.fields if f.name != "id"]
        out += [(model.__name__, *row) for row in model.objects.values_list(*fields)]
    return sorted(out)


def _team_rows() -> dict[tuple[Any, ...], tuple[int, ...]]:
    key = ("day", "team_id", "channel", "severity")
    return {
        tuple(r[k] for k in key): tuple(r[n] for n in SUMMED)
        for r in TeamRollup.objects.values(*key, *SUMMED)
    }


def _agent_rows_summed() -> dict[tuple[Any, ...], tuple[int, ...]]:
    key = ("day", "team_id", "channel", "severity")
    rows = (
        DailyRollup.objects.order_by().values(*key).annotate(**{f"s_{n}": Sum(n) for n in SUMMED})
    )
    sums = {tuple(r[k] for k in key): tuple(r[f"s_{n}"] for n in SUMMED) for r in rows}
    return {k: v for k, v in sums.items() if any(v)}


steps = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.integers(0, 5),
        st.integers(0, 1),
        st.integers(0, 5),
        st.integers(1, 60 * 24 * 3),
    ),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=steps)
# A complaint resolved, then the same customer comes back: the earlier conversation's retention
# changes with an event of another conversation.
@example(history=[("create", 0, 0, 1, 10), ("reply_resolve", 0, 0, 0, 10), ("create", 0, 0, 0, 60)])
def test_the_rebuild_equals_the_rollup_kept_up_to_date(
    cast: dict[str, Any], django_capture_on_commit_callbacks: Any, history: list[Step]
) -> None:
    with transaction.atomic():
        when, convs = START, list[Conversation]()
        for step in history:
            when += timedelta(minutes=step[4])
            try:  # each step's after-commit work runs before the next step, as in production
                with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
                    _play(step, convs, cast, when)
            except (ValidationError, PermissionDenied):
                pass  # a step the desk refuses changes nothing
        kept = _rows()
        assert kept, "every history opens at least one conversation"
        assert _team_rows() == _agent_rows_summed()  # the team rows are the sum over agents
        rollup.rollups_rebuild()
        assert _rows() == kept
        transaction.set_rollback(True)


def test_the_comparison_sees_a_missed_event(cast: dict[str, Any]) -> None:
    """Not blind: an event the incremental path never heard of makes the two differ."""
    customer = cast["customers"][0]
    services.conversation_create(customer=customer, subject="s", text=TEXTS[0], at=START)
    assert _rows() == []  # no commit in this test: nothing was kept up to date
    rollup.rollups_rebuild()
    assert _rows() != []
