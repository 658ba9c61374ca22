"""After-commit jobs: once per commit, never for a rollback; one failure stops no other."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction

from caredesk import jobs

TOPIC = "test.topic"


@pytest.fixture
def calls() -> Iterator[list[tuple[str, dict[str, object]]]]:
    seen: list[tuple[str, dict[str, object]]] = []

    def first(**payload: object) -> None:
        seen.append(("first", payload))

    def broken(**payload: object) -> None:
        raise RuntimeError("queue down")

    def last(**payload: object) -> None:
        seen.append(("last", payload))

    for handler in (first, first, broken, last):  # subscribing twice subscribes once
        jobs.subscribe(TOPIC, handler)
    yield seen
    for handler in (first, broken, last):
        jobs.unsubscribe(TOPIC, handler)
    assert not jobs.subscribed(TOPIC)


@pytest.mark.django_db(transaction=True)
def test_handlers_run_after_commit_in_order_past_a_failure(calls: list) -> None:
    with transaction.atomic():
        jobs.publish(TOPIC, message=7)
        assert calls == []  # not before the commit
    assert calls == [("first", {"message": 7}), ("last", {"message": 7})]


@pytest.mark.django_db(transaction=True)
def test_nothing_runs_for_a_rollback(calls: list) -> None:
    with pytest.raises(ValueError), transaction.atomic():
        jobs.publish(TOPIC, message=7)
        raise ValueError("rolled back")
    assert calls == []


@pytest.mark.django_db(transaction=True)
def test_an_unsubscribed_topic_costs_nothing() -> None:
    jobs.publish("nobody.listens", message=1)  # no handler: no on_commit hook at all
    assert not jobs.subscribed("nobody.listens")


@pytest.mark.django_db(transaction=True)
def test_a_held_handler_is_skipped_for_what_commits_inside_the_block_only() -> None:
    seen: list[str] = []

    def kept(**payload: object) -> None:
        seen.append("kept")

    def skipped(**payload: object) -> None:
        seen.append("skipped")

    for handler in (kept, skipped):
        jobs.subscribe(TOPIC, handler)
    try:
        with jobs.held(skipped), transaction.atomic():
            jobs.publish(TOPIC, message=1)
        assert seen == ["kept"]
        with transaction.atomic():
            jobs.publish(TOPIC, message=2)
        assert seen == ["kept", "kept", "skipped"]
    finally:
        for handler in (kept, skipped):
            jobs.unsubscribe(TOPIC, handler)
