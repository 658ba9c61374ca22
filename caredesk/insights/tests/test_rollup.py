"""The sweep that catches up missed events, and `caredesk insights rebuild`."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from caredesk.conversations.models import Event
from caredesk.conversations.tests.factories import make_conversation
from caredesk.insights import cli, rollup
from caredesk.insights.models import ConversationFact, DailyRollup, RollupState, TeamRollup
from caredesk.insights.tasks import rollup_catch_up
from caredesk.insights.tests.history import history_build
from caredesk.people.models import Team


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


@pytest.mark.django_db(transaction=True)
def test_workers_counting_new_conversations_of_one_key_at_once_share_its_rows() -> None:
    """Two workers once both inserted the same new rollup row and one failed on the unique
    key (scaled mode on PostgreSQL): each refresh now waits for the other's row and adds to it."""
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memory"):
        pytest.skip("threads need a real database server; this runs on PostgreSQL in CI")
    team = Team.objects.create(name="Concurrent")
    conversations = [make_conversation(team=team) for _ in range(6)]
    for _ in range(3):
        for model in (DailyRollup, TeamRollup, ConversationFact):
            model.objects.all().delete()
        barrier = threading.Barrier(len(conversations))
        errors: list[BaseException] = []

        def refresh(
            pk: int, barrier: threading.Barrier = barrier, errors: list[BaseException] = errors
        ) -> None:
            try:
                barrier.wait()
                rollup.conversations_refresh(conversation_ids=[pk])
            except BaseException as error:
                errors.append(error)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=refresh, args=(c.pk,)) for c in conversations]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        counted = _rows()
        rollup.rollups_rebuild()
        assert counted == _rows()
        assert TeamRollup.objects.get().opened == len(conversations)
