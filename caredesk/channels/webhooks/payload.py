"""What a delivery says: the event and a small summary of its conversation, versioned.

A receiver reads `schema_version` first; a field is only ever added within a version, never
renamed or removed (that makes a new version).
"""

from __future__ import annotations

import json
from typing import Any

from caredesk.conversations.models import Event

SCHEMA_VERSION = 1


def payload_build(event: Event) -> dict[str, Any]:
    """The body of every delivery of `event` (load it with `conversation__customer` and `actor`)."""
    conversation = event.conversation
    actor = event.actor
    return {
        "schema_version": SCHEMA_VERSION,
        "event": {
            "id": event.pk,
            "kind": event.kind,
            "at": event.created_at.isoformat(),
            "actor": {"id": actor.pk, "name": str(actor)} if actor is not None else None,
            "data": event.data,
        },
        "conversation": {
            "id": conversation.pk,
            "subject": conversation.subject,
            "status": conversation.status,
            "severity": conversation.severity,
            "channel": conversation.channel,
            "customer": {"id": conversation.customer_id, "name": conversation.customer.name},
            "team_id": conversation.team_id,
            "owner_id": conversation.owner_id,
            "created_at": conversation.created_at.isoformat(),
            "last_message_at": conversation.last_message_at.isoformat(),
        },
    }


def payload_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent (the same on every retry and replay)."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()
