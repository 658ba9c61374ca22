"""Two agents pressing "Take next" at the same moment get two different conversations."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from caredesk.conversations import queue
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Team
from caredesk.people.tests.factories import AgentFactory


@pytest.mark.django_db(transaction=True)
def test_simultaneous_take_next_never_hands_out_the_same_conversation() -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memory"):
        pytest.skip("threads need a real database server; this runs on PostgreSQL in CI")
    team = Team.objects.create(name="Concurrent")
    agents = [AgentFactory(teams=[team]) for _ in range(4)]
    for _ in range(3):
        conversations = [make_conversation(team=team) for _ in range(len(agents))]
        barrier = threading.Barrier(len(agents))
        taken: dict[int, int | None] = {}

        def press(
            index: int, barrier: threading.Barrier = barrier, taken: dict[int, int | None] = taken
        ) -> None:
            try:
                barrier.wait()
                c = queue.take_next(agent=agents[index])
                taken[index] = c.pk if c else None
            finally:
                connections.close_all()

        threads = [threading.Thread(target=press, args=(i,)) for i in range(len(agents))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        got = [pk for pk in taken.values() if pk is not None]
        assert len(got) == len(agents), taken
        assert len(set(got)) == len(got), f"the same conversation went to two agents: {taken}"
        assert set(got) == {c.pk for c in conversations}
