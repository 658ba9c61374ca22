from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from caredesk.people.models import Presence
from caredesk.people.selectors import agent_of


def role(request: HttpRequest) -> dict[str, Any]:
    agent = agent_of(getattr(request, "user", None))
    return {
        "current_agent": agent,
        "is_agent": agent is not None,
        "presence_choices": Presence.choices,
    }
