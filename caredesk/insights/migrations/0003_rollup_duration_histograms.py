"""Rollup rows count durations per fixed bucket instead of keeping each conversation's seconds.

The bucket columns are added, every row's lists are counted into them, and only then are the
lists dropped, so no figure is lost (the edges are frozen here: `metrics.DURATION_EDGES` as of
this migration). Going back turns each bucket's count into that many copies of its upper edge.
"""

import bisect
from typing import Any

from django.db import migrations, models

EDGES = (
    *(60, 90, 120, 180, 240, 300, 450, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800),
    *(14400, 21600, 28800, 43200, 57600, 86400, 129600, 172800, 259200, 345600, 432000),
    *(604800, 864000, 1209600, 1814400, 2592000, 3888000, 5184000, 7776000, 10368000),
    *(15552000, 23328000, 31536000),
)
DURATIONS = ("frt", "ttr")
BATCH = 500


def _columns(name: str) -> list[str]:
    return [f"{name}_b{i:02d}" for i in range(len(EDGES))]


def lists_to_buckets(apps: Any, schema_editor: Any) -> None:
    rollup = apps.get_model("insights", "DailyRollup")
    changed = []
    for row in rollup.objects.iterator():
        if not (row.frt or row.ttr):
            continue
        for name in DURATIONS:
            columns = _columns(name)
            for seconds in getattr(row, name) or ():
                column = columns[min(bisect.bisect_left(EDGES, seconds), len(EDGES) - 1)]
                setattr(row, column, getattr(row, column) + 1)
        changed.append(row)
    fields = [c for name in DURATIONS for c in _columns(name)]
    rollup.objects.bulk_update(changed, fields, batch_size=BATCH)


def buckets_to_lists(apps: Any, schema_editor: Any) -> None:
    rollup = apps.get_model("insights", "DailyRollup")
    changed = []
    for row in rollup.objects.iterator():
        for name in DURATIONS:
            values: list[int] = []
            for edge, column in zip(EDGES, _columns(name), strict=True):
                values.extend([edge] * getattr(row, column))
            setattr(row, name, values)
        changed.append(row)
    rollup.objects.bulk_update(changed, list(DURATIONS), batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0002_goals_and_reviews"),
    ]

    operations = [
        *(
            migrations.AddField(
                model_name="dailyrollup", name=column, field=models.IntegerField(default=0)
            )
            for name in DURATIONS
            for column in _columns(name)
        ),
        migrations.RunPython(lists_to_buckets, buckets_to_lists),
        migrations.RemoveField(model_name="dailyrollup", name="frt"),
        migrations.RemoveField(model_name="dailyrollup", name="ttr"),
    ]
