"""Start-up checks for the care settings an operator can get wrong (ids in docs/deploy.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from caredesk.care.outreach import THRESHOLDS

E_AT_RISK = "caredesk.E031"


@register("caredesk")
def at_risk_thresholds_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Each at-risk threshold within its range: a zero wait would mark every customer at risk,
    a satisfaction of 5 every rating, a huge one nobody, and no one would notice."""
    found: list[CheckMessage] = []
    configured = settings.CAREDESK_AT_RISK
    for name, (low, high, meaning) in THRESHOLDS.items():
        value = configured.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            continue
        found.append(
            Error(
                f"CAREDESK_AT_RISK_{name.upper()}={value!r} is out of range.",
                hint=f"{meaning.capitalize()}: a whole number from {low} to {high}.",
                id=E_AT_RISK,
            )
        )
    return found
