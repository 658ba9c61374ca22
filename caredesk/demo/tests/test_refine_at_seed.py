"""A fresh demo leaves the worker no catch-up: its history is refined when it is seeded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from huey import signals
from huey.contrib.djhuey import HUEY
from pytest_django import DjangoCaptureOnCommitCallbacks

from caredesk.conversations import reading
from caredesk.conversations.models import Direction, Message
from caredesk.demo.generator import demo_seed

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def enqueued() -> Iterator[list[str]]:
    """The names of the tasks enqueued while the test runs (Huey's own signal)."""
    names: list[str] = []

    def note(signal: str, task: Any, *args: Any, **kwargs: Any) -> None:
        names.append(task.name)

    HUEY.signal(signals.SIGNAL_ENQUEUED)(note)
    yield names
    HUEY.disconnect_signal(note, signals.SIGNAL_ENQUEUED)


def test_the_demo_is_refined_at_seed_time_and_queues_no_refine_task(
    settings: Any,
    enqueued: list[str],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.CAREDESK_EMOTION_REFINE_ENGINE = "minilm"
    with django_capture_on_commit_callbacks(execute=True):
        summary = demo_seed(size=10, now=NOW)
    inbound = Message.objects.filter(direction=Direction.INBOUND)
    assert summary.refined == inbound.count() > 10
    assert "read again by the refine engine" in str(summary)
    assert set(inbound.values_list("reading__engine", flat=True)) == {"minilm"}
    assert reading.unrefined_message_ids(limit=1_000) == []  # the sweep finds nothing
    assert "refine_message_task" not in " ".join(enqueued)
