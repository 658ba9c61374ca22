"""The move from per-conversation seconds to duration buckets keeps every rollup row's figures."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from caredesk.insights.metrics import duration_bucket
from caredesk.insights.models import HISTOGRAMS, DailyRollup, TeamRollup

LISTS = [("insights", "0002_goals_and_reviews")]
BUCKETS = [("insights", "0003_rollup_duration_histograms")]
HOUR = 3600


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_each_rows_seconds_into_its_buckets() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(LISTS)
    old = executor.loader.project_state(LISTS).apps.get_model("insights", "DailyRollup")
    old.objects.create(
        day=date(2026, 3, 30),
        channel="email",
        severity=2,
        first_responses=3,
        resolved=1,
        frt=[600, HOUR, HOUR],
        ttr=[48 * HOUR],
    )
    old.objects.create(day=date(2026, 3, 31), channel="email", severity=2, opened=1)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("insights"))

    rows = {row.day: row for row in DailyRollup.objects.all()}
    counted = {
        column: getattr(rows[date(2026, 3, 30)], column)
        for columns in HISTOGRAMS.values()
        for column in columns
        if getattr(rows[date(2026, 3, 30)], column)
    }
    assert counted == {
        HISTOGRAMS["frt"][duration_bucket(600)]: 1,
        HISTOGRAMS["frt"][duration_bucket(HOUR)]: 2,
        HISTOGRAMS["ttr"][duration_bucket(48 * HOUR)]: 1,
    }
    assert (rows[date(2026, 3, 30)].first_responses, rows[date(2026, 3, 31)].opened) == (3, 1)
    # The rows without the agent are filled from them (one agent here: the same sums).
    team = TeamRollup.objects.get(day=date(2026, 3, 30))
    assert getattr(team, HISTOGRAMS["frt"][duration_bucket(HOUR)]) == 2
    assert (team.first_responses, team.resolved) == (3, 1)
    assert TeamRollup.objects.get(day=date(2026, 3, 31)).opened == 1
