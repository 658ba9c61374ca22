"""After-commit work, by name: a service says what happened, the apps decide what runs.

A service publishes a topic (`event.replied`, `message.unread`, …) with ids inside its transaction;
once that transaction commits, every handler subscribed to the topic is called — normally a Huey
task, so calling it enqueues. Services so never import the tasks that call them back (no import
cycle), and the apps further out (e-mail, webhooks, care, insights) act on a conversation's changes
without `conversations` knowing them. Handlers subscribe in their app's `AppConfig.ready`.

Nothing is published for a transaction that rolls back. A handler that raises is logged and the
others still run: the request that published has already committed and must not fail for it; the
five-minute sweeps pick up what a lost enqueue missed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction

log = logging.getLogger(__name__)

Payload = int | str | None
Handler = Callable[..., object]

# Every event a conversation records is also published as `event.<kind>` (see
# `conversations.events.event_record`) with `conversation`, `event` and `kind`; these are the rest.
MESSAGE_UNREAD = "message.unread"  # an inbound message the engine will read in the background
MESSAGE_REFINE = "message.refine"  # an inbound message the refine engine should read again
LEADS_ALERT = "leads.alert"  # a fresh risk made a conversation urgent: tell the leads now
NOTIFICATION_MAIL = "notification.mail"  # an agent's notification, to be mailed (their choice)

_handlers: dict[str, list[Handler]] = defaultdict(list)
_held: list[Handler] = []


def subscribe(topic: str, handler: Handler) -> None:
    """Run `handler(**payload)` after every commit that published `topic` (once per handler,
    however often an app's `ready` runs)."""
    if handler not in _handlers[topic]:
        _handlers[topic].append(handler)


def unsubscribe(topic: str, handler: Handler) -> None:
    if handler in _handlers[topic]:
        _handlers[topic].remove(handler)


def subscribed(topic: str) -> bool:
    return bool(_handlers.get(topic))


def publish(topic: str, /, **payload: Payload) -> None:
    """Call every handler of `topic` once the current transaction commits (at once outside one)."""
    if not _handlers.get(topic):
        return
    transaction.on_commit(lambda: _run(topic, payload))


@contextmanager
def held(handler: Handler) -> Iterator[None]:
    """Skip `handler` for what commits inside the block: for a bulk write that redoes its work in
    one go at the end (the demo seed rebuilds the rollups rather than queue a task per event)."""
    _held.append(handler)
    try:
        yield
    finally:
        _held.remove(handler)


def _run(topic: str, payload: dict[str, Payload]) -> None:
    for handler in list(_handlers.get(topic, ())):
        if handler in _held:
            continue
        try:
            handler(**payload)
        except Exception:
            log.exception("after-commit job %s for %s failed to start", handler, topic)
