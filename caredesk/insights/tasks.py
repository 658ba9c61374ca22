"""Background work: keeping the rollups up to date as events arrive, and catching up."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from caredesk import jobs
from caredesk.conversations.models import EventKind
from caredesk.insights import goals, review, rollup
from caredesk.insights.facts import desk_zone


def rollup_event_task(conversation: int, event: int, kind: str) -> None:
    """After an event's commit: mark its conversation, and enqueue a drain unless one is
    pending (a plain function, not a task: a burst of events must not flood the queue)."""
    # One write transaction, not two or three: this runs in the web request after each event's
    # commit, and on SQLite every extra write waits for the one write lock.
    with transaction.atomic():
        rollup.conversation_mark(conversation=conversation, kind=kind)
        claimed = rollup.drain_claim(token=event, now=timezone.now())
    if claimed:
        rollup_drain_task(event)


@db_task(retries=3, retry_delay=10)
def rollup_drain_task(token: int) -> None:
    """Refresh the marked conversations; `token` is the event whose mark enqueued it."""
    rollup.dirty_drain(token=token)


@db_periodic_task(crontab(minute="*/5"))
def rollup_catch_up() -> None:
    """A safety net: the conversations of events after the mark (a lost enqueue, or rows the
    demo's bulk path wrote without publishing) are counted; far behind, a rebuild is quicker."""
    rollup.dirty_drain()
    if rollup.events_behind() > rollup.REBUILD_BEHIND:
        rollup.rollups_rebuild()
        return
    while rollup.events_catch_up():
        pass


@db_periodic_task(crontab(minute="17"))
def goals_celebrate_task() -> None:
    """Hourly: judge the checkpoints that ended and mail each reached one to its team, once."""
    at = timezone.now()
    goals.goals_celebrate(at=at, today=at.astimezone(desk_zone()).date())


@db_periodic_task(crontab(minute="23", hour="*/6"))
def reviews_send_task() -> None:
    """Four times a day: mail each scheduled review whose period has ended (once per period,
    kept by `ReviewSent`; a missed run is caught by the next)."""
    review.reviews_send_due(today=timezone.now().astimezone(desk_zone()).date())


def jobs_subscribe() -> None:
    """Every event, whatever its kind, may move a metric: subscribe to all of them."""
    for kind in EventKind:
        jobs.subscribe(f"event.{kind}", rollup_event_task)
