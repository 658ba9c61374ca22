"""The conversations app's API routes, as ninja routers that `channels/api` mounts.

`router` holds the routes that change things or read conversations; `empathy.router` (the reading
and the coach) writes nothing and is mounted on its own, so a read-only token may use it.
"""

from __future__ import annotations

from ninja import Router

from caredesk.conversations.api import conversations, customers, events, messages

router = Router()
router.add_router("", conversations.router)
router.add_router("", messages.router)
router.add_router("", events.router)
router.add_router("", events.ratings)
router.add_router("", customers.router)
