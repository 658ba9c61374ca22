"""Rollup rows without the agent, for every read not about one agent; filled from the rows there
are (the sums over agents), so no rebuild is needed after migrating."""

from typing import Any

from django.db import migrations, models
from django.db.models import Sum

KEY = ("day", "team_id", "channel", "severity")
BATCH = 500


def team_rollups_fill(apps: Any, schema_editor: Any) -> None:
    daily = apps.get_model("insights", "DailyRollup")
    team = apps.get_model("insights", "TeamRollup")
    summed = [f.name for f in team._meta.concrete_fields if f.name not in (*KEY, "id")]
    rows = (
        daily.objects.order_by()
        .values(*KEY)
        .annotate(**{f"sum_{name}": Sum(name) for name in summed})
    )
    team.objects.bulk_create(
        (
            team(**{k: row[k] for k in KEY}, **{n: row[f"sum_{n}"] for n in summed})
            for row in rows.iterator()
        ),
        batch_size=BATCH,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0003_rollup_duration_histograms"),
    ]

    operations = [
        migrations.CreateModel(
            name="TeamRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("opened", models.IntegerField(default=0)),
                ("merged", models.IntegerField(default=0)),
                ("first_responses", models.IntegerField(default=0)),
                ("resolved", models.IntegerField(default=0)),
                ("first_resolved", models.IntegerField(default=0)),
                ("fcr", models.IntegerField(default=0)),
                ("reopened", models.IntegerField(default=0)),
                ("reopens", models.IntegerField(default=0)),
                ("people_sum", models.IntegerField(default=0)),
                ("people_many", models.IntegerField(default=0)),
                ("rated", models.IntegerField(default=0)),
                ("satisfaction_sum", models.IntegerField(default=0)),
                ("effort_sum", models.IntegerField(default=0)),
                ("complaints", models.IntegerField(default=0)),
                ("complaints_resolved", models.IntegerField(default=0)),
                ("complaints_reopened", models.IntegerField(default=0)),
                ("complaints_open", models.IntegerField(default=0)),
                ("bad_experiences", models.IntegerField(default=0)),
                ("came_back", models.IntegerField(default=0)),
                ("backlog_delta", models.IntegerField(default=0)),
                ("backlog_since_delta", models.BigIntegerField(default=0)),
                ("frt_b00", models.IntegerField(default=0)),
                ("frt_b01", models.IntegerField(default=0)),
                ("frt_b02", models.IntegerField(default=0)),
                ("frt_b03", models.IntegerField(default=0)),
                ("frt_b04", models.IntegerField(default=0)),
                ("frt_b05", models.IntegerField(default=0)),
                ("frt_b06", models.IntegerField(default=0)),
                ("frt_b07", models.IntegerField(default=0)),
                ("frt_b08", models.IntegerField(default=0)),
                ("frt_b09", models.IntegerField(default=0)),
                ("frt_b10", models.IntegerField(default=0)),
                ("frt_b11", models.IntegerField(default=0)),
                ("frt_b12", models.IntegerField(default=0)),
                ("frt_b13", models.IntegerField(default=0)),
                ("frt_b14", models.IntegerField(default=0)),
                ("frt_b15", models.IntegerField(default=0)),
                ("frt_b16", models.IntegerField(default=0)),
                ("frt_b17", models.IntegerField(default=0)),
                ("frt_b18", models.IntegerField(default=0)),
                ("frt_b19", models.IntegerField(default=0)),
                ("frt_b20", models.IntegerField(default=0)),
                ("frt_b21", models.IntegerField(default=0)),
                ("frt_b22", models.IntegerField(default=0)),
                ("frt_b23", models.IntegerField(default=0)),
                ("frt_b24", models.IntegerField(default=0)),
                ("frt_b25", models.IntegerField(default=0)),
                ("frt_b26", models.IntegerField(default=0)),
                ("frt_b27", models.IntegerField(default=0)),
                ("frt_b28", models.IntegerField(default=0)),
                ("frt_b29", models.IntegerField(default=0)),
                ("frt_b30", models.IntegerField(default=0)),
                ("frt_b31", models.IntegerField(default=0)),
                ("frt_b32", models.IntegerField(default=0)),
                ("frt_b33", models.IntegerField(default=0)),
                ("frt_b34", models.IntegerField(default=0)),
                ("frt_b35", models.IntegerField(default=0)),
                ("frt_b36", models.IntegerField(default=0)),
                ("frt_b37", models.IntegerField(default=0)),
                ("frt_b38", models.IntegerField(default=0)),
                ("ttr_b00", models.IntegerField(default=0)),
                ("ttr_b01", models.IntegerField(default=0)),
                ("ttr_b02", models.IntegerField(default=0)),
                ("ttr_b03", models.IntegerField(default=0)),
                ("ttr_b04", models.IntegerField(default=0)),
                ("ttr_b05", models.IntegerField(default=0)),
                ("ttr_b06", models.IntegerField(default=0)),
                ("ttr_b07", models.IntegerField(default=0)),
                ("ttr_b08", models.IntegerField(default=0)),
                ("ttr_b09", models.IntegerField(default=0)),
                ("ttr_b10", models.IntegerField(default=0)),
                ("ttr_b11", models.IntegerField(default=0)),
                ("ttr_b12", models.IntegerField(default=0)),
                ("ttr_b13", models.IntegerField(default=0)),
                ("ttr_b14", models.IntegerField(default=0)),
                ("ttr_b15", models.IntegerField(default=0)),
                ("ttr_b16", models.IntegerField(default=0)),
                ("ttr_b17", models.IntegerField(default=0)),
                ("ttr_b18", models.IntegerField(default=0)),
                ("ttr_b19", models.IntegerField(default=0)),
                ("ttr_b20", models.IntegerField(default=0)),
                ("ttr_b21", models.IntegerField(default=0)),
                ("ttr_b22", models.IntegerField(default=0)),
                ("ttr_b23", models.IntegerField(default=0)),
                ("ttr_b24", models.IntegerField(default=0)),
                ("ttr_b25", models.IntegerField(default=0)),
                ("ttr_b26", models.IntegerField(default=0)),
                ("ttr_b27", models.IntegerField(default=0)),
                ("ttr_b28", models.IntegerField(default=0)),
                ("ttr_b29", models.IntegerField(default=0)),
                ("ttr_b30", models.IntegerField(default=0)),
                ("ttr_b31", models.IntegerField(default=0)),
                ("ttr_b32", models.IntegerField(default=0)),
                ("ttr_b33", models.IntegerField(default=0)),
                ("ttr_b34", models.IntegerField(default=0)),
                ("ttr_b35", models.IntegerField(default=0)),
                ("ttr_b36", models.IntegerField(default=0)),
                ("ttr_b37", models.IntegerField(default=0)),
                ("ttr_b38", models.IntegerField(default=0)),
                ("day", models.DateField()),
                ("team_id", models.PositiveIntegerField(default=0)),
                ("channel", models.CharField(max_length=10)),
                ("severity", models.PositiveSmallIntegerField()),
            ],
            options={
                "indexes": [models.Index(fields=["team_id", "day"], name="team_rollup_team_day")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "team_id", "channel", "severity"), name="team_rollup_key"
                    )
                ],
            },
        ),
        migrations.RunPython(team_rollups_fill, migrations.RunPython.noop),
    ]
