"""The bulk path's rows made in other processes are the rows made in this one, row for row,
and a failure over there is an error here, not a hang or a half-made desk passed as whole."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection, models, transaction

from caredesk.conversations import coaching
from caredesk.conversations.models import Conversation, Event, Message, Rating
from caredesk.demo.generator import demo_seed
from caredesk.demo.maker import Job
from caredesk.demo.process import made_elsewhere
from caredesk.demo.story import Cast

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the second process is SQLite's"),
]

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
SIZE = 45  # five batches of about 10 stories: two makers take turns, the first makes one more


def _seeded(makers: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a fast seed writes, by table in id order; then rolled back."""
    with transaction.atomic():
        summary = demo_seed(size=SIZE, seed=11, now=NOW, fast=True, makers=makers, batch=10)
        assert summary.conversations == SIZE
        tables: list[type[models.Model]] = [Conversation, Message, Event, Rating]
        rows = {
            model.__name__: list(
                model.objects.order_by("pk").values_list(
                    *(f.attname for f in model._meta.concrete_fields)
                )
            )
            for model in tables
        }
        transaction.set_rollback(True)
    return rows


def test_other_processes_make_the_same_rows() -> None:
    here = _seeded(0)
    assert here["Message"] and here["Event"] and here["Rating"]
    for makers in (1, 2):
        there = _seeded(makers)
        for table, rows in here.items():
            assert there[table] == rows, (makers, table)


def test_a_failure_in_the_second_process_is_raised_here() -> None:
    """No customers to write for: a maker fails at its first story, and says why."""
    job = Job(
        size=3,
        rng_state=random.Random(1).getstate(),
        now=NOW,
        pool=6,
        cast=Cast(first_names=("Ana",), teams={}, lead=0, favourite=0),
        specs=[],
        agents=[],
        teams={},
        customers=[],
        rules=coaching.desk_rules(),
        agent_teams={},
        first_ids={Conversation: 1, Message: 1, Event: 1, Rating: 1},
    )
    with pytest.raises(RuntimeError, match="IndexError"):
        list(made_elsewhere(job, makers=2))
