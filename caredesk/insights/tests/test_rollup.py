"""The sweep that catches up missed events, and `caredesk insights rebuild`."""

from __future__ import annotations

from typing import Any

import pytest

from caredesk.conversations.models import Event
from caredesk.insights import cli, rollup
from caredesk.insights.models import ConversationFact, DailyRollup, RollupState, TeamRollup
from caredesk.insights.tasks import rollup_catch_up
from caredesk.insights.tests.history import history_build


def _rows() -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for model in (DailyRollup, TeamRollup):
        fields = [f.name for f in model._meta.fields if f.name != "id"]
        out += [(model.__name__, *row) for row in model.objects.values_list(*fields)]
    return sorted(out)


@pytest.fixture
def berlin(settings: Any, db: None) -> None:
    settings.TIME_ZONE = "Europe/Berlin"


def test_the_sweep_counts_events_no_task_ran_for_and_records_how_far(berlin: None) -> None:
    history_build()  # no commit in this test: the after-commit tasks never ran
    assert not DailyRollup.objects.exists()
    last = Event.objects.order_by("pk").last()
    assert last is not None
    assert rollup.events_catch_up(limit=7) == 7  # in small steps, each moving the mark
    while rollup.events_catch_up(limit=7):
        pass
    assert RollupState.objects.get(name=rollup.STATE).last_event_id == last.pk
    swept = _rows()
    rollup.rollups_rebuild()
    assert _rows() == swept


def test_the_rebuild_command_shows_progress_and_counts(
    berlin: None, capsys: pytest.CaptureFixture[str]
) -> None:
    history_build()
    assert cli.main(["rebuild"]) == 0
    out, err = capsys.readouterr()
    assert "7 conversations counted" in out
    assert "7/7" in err  # the tqdm bar
    assert ConversationFact.objects.count() == 7
    assert DailyRollup.objects.exists()
    assert cli.main(["rebuild", "now"]) == 2


def test_the_sweep_rebuilds_when_far_behind(berlin: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows the demo's bulk path wrote without publishing: far behind, one rebuild counts them."""
    history_build()
    monkeypatch.setattr(rollup, "REBUILD_BEHIND", 5)
    assert rollup.events_behind() > 5
    rollup_catch_up.call_local()
    assert rollup.events_behind() == 0
    assert ConversationFact.objects.count() == 7
