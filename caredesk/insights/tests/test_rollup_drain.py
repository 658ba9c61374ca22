"""Coalescing: events mark their conversation, one pending drain counts the marked ones.

A burst of events is one task, not one per event; a drain killed half-way, two drains at once,
or one run twice lose nothing and count nothing twice (the rollups equal a rebuild)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from caredesk.conversations import services
from caredesk.conversations.models import Conversation
from caredesk.conversations.tests.factories import make_conversation
from caredesk.insights import rollup
from caredesk.insights.models import (
    CoachDay,
    ConversationFact,
    DailyRollup,
    DirtyConversation,
    RollupState,
    TeamRollup,
)
from caredesk.insights.tasks import rollup_catch_up
from caredesk.insights.tests.history import history_build
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory, TeamFactory

DRAIN_TASK = "rollup_drain_task"


def _rows() -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for model in (DailyRollup, TeamRollup, CoachDay):
        fields = [f.name for f in model._meta.fields if f.name != "id"]
        out += [(model.__name__, *row) for row in model.objects.values_list(*fields)]
    return sorted(out)


def _facts() -> list[tuple[Any, ...]]:
    fields = [f.name for f in ConversationFact._meta.fields]
    return sorted(ConversationFact.objects.values_list(*fields))


def _equal_to_a_rebuild() -> None:
    counted, facts = _rows(), _facts()
    rollup.rollups_rebuild()
    assert _rows() == counted
    assert _facts() == facts


@pytest.fixture
def queued() -> Iterator[None]:
    """Tasks wait in the real queue (the data folder's SQLite Huey) until the test runs them."""
    HUEY.immediate = False
    HUEY.flush()
    try:
        yield
    finally:
        HUEY.flush()
        HUEY.immediate = True


def _drains_queued() -> list[Any]:
    """Take every queued task off the queue; return the drains (the rest are other apps')."""
    found = []
    while (task := HUEY.dequeue()) is not None:
        if task.name == DRAIN_TASK:
            found.append(task)
    return found


def _burst(team: Team, agent: Agent) -> Conversation:
    conversation = make_conversation(team=team)
    for n in range(5):
        services.reply_send(
            conversation=Conversation.objects.get(pk=conversation.pk),
            agent=agent,
            text=f"Step {n} done.",
        )
    return conversation


@pytest.mark.django_db(transaction=True)  # real commits, and a real worker's connection handling
def test_a_burst_of_events_enqueues_one_drain_that_counts_them_all(queued: None) -> None:
    team = TeamFactory()
    agent = AgentFactory(teams=[team])
    first = _burst(team, agent)  # 2 conversations x 6 events, each published after its commit
    second = _burst(team, agent)
    (drain,) = _drains_queued()
    assert set(DirtyConversation.objects.values_list("pk", flat=True)) == {first.pk, second.pk}
    HUEY.execute(drain)
    assert not DirtyConversation.objects.exists()
    assert RollupState.objects.get(name=rollup.DRAIN).last_event_id == 0  # nothing pending
    assert TeamRollup.objects.get().first_responses == 2
    _equal_to_a_rebuild()
    services.reply_send(  # the next event: the next drain
        conversation=Conversation.objects.get(pk=first.pk), agent=agent, text="Anything else?"
    )
    assert len(_drains_queued()) == 1


@pytest.mark.django_db
def test_a_drain_killed_half_way_then_run_twice_loses_and_doubles_nothing(
    settings: Any, queued: None, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TIME_ZONE = "Europe/Berlin"
    with django_capture_on_commit_callbacks(execute=True):
        history_build()
    (lost,) = _drains_queued()  # its worker is killed before it starts: the task is gone
    marked = sorted(DirtyConversation.objects.values_list("pk", flat=True))
    assert len(marked) == 7
    # Killed half-way: some conversations refreshed and committed, their marks not yet removed.
    rollup.conversations_refresh(conversation_ids=marked[:3])
    # While the lost drain's claim is fresh, new marks wait for it; the sweep drains them.
    assert not rollup.drain_claim(token=1, now=timezone.now())
    assert rollup.dirty_drain() == 7
    assert not DirtyConversation.objects.exists()
    assert rollup.dirty_drain() == 0  # run twice: nothing left, nothing counted again
    _equal_to_a_rebuild()
    # A claim older than DRAIN_STALE is taken over: its task was lost.
    later = timezone.now() + rollup.DRAIN_STALE + timedelta(seconds=1)
    assert rollup.drain_claim(token=lost.args[0] + 1, now=later)


@pytest.mark.django_db
def test_the_sweep_drains_marks_no_drain_is_left_for(settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Berlin"
    history_build()  # no commit in this test: no mark, no drain
    # events all seen (a row an earlier test committed may be there already)
    RollupState.objects.update_or_create(name=rollup.STATE, defaults={"last_event_id": 10**9})
    c = Conversation.objects.order_by("pk").first()
    assert c is not None
    rollup.conversation_mark(conversation=c.pk, kind="created")
    rollup_catch_up.call_local()
    assert not DirtyConversation.objects.exists()
    assert set(ConversationFact.objects.values_list("pk", flat=True)) == {c.pk}


def _on_a_server() -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memory"):
        pytest.skip("threads need a real database server; this runs on PostgreSQL in CI")


@pytest.mark.django_db(transaction=True)
def test_two_workers_draining_while_events_arrive_count_each_conversation_once() -> None:
    """Two drains at once (two workers), while agents keep replying (each reply marks its
    conversation and, with tasks run in-process, drains too): afterwards no mark is left and
    the rollups equal a rebuild."""
    _on_a_server()
    team = Team.objects.create(name="Drained")
    agent = AgentFactory(teams=[team])
    conversations = [make_conversation(team=team) for _ in range(8)]
    for _ in range(2):
        for c in conversations:
            rollup.conversation_mark(conversation=c.pk, kind="replied")
        barrier = threading.Barrier(4)
        errors: list[BaseException] = []

        def work(
            job: int, barrier: threading.Barrier = barrier, errors: list[BaseException] = errors
        ) -> None:
            try:
                barrier.wait()
                if job < 2:
                    rollup.dirty_drain(batch=3)
                else:
                    for c in conversations[job::2]:
                        services.reply_send(
                            conversation=Conversation.objects.get(pk=c.pk),
                            agent=agent,
                            text="On it.",
                        )
            except BaseException as error:
                errors.append(error)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=work, args=(job,)) for job in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        rollup.dirty_drain()  # the drain the last marks enqueued
        assert not DirtyConversation.objects.exists()
        assert TeamRollup.objects.get().opened == len(conversations)
        _equal_to_a_rebuild()
