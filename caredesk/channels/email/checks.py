"""System checks for inbound mail's settings, registered by the channels app (`ChannelsConfig`).

They live here, not in `caredesk/checks.py`, because they use the mail parsers of this package and
the project's checks sit below every app (docs/architecture.md, "Imports").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.validators import validate_email

from caredesk.channels.email.imap import mailbox_from_url
from caredesk.channels.email.smtpd import parse_addr

# Numbered apart (E011-E013) so that checks added beside the project's do not collide.
E_SMTPD = "caredesk.E011"
E_DESK_ADDRESSES = "caredesk.E012"
E_IMAP_URL = "caredesk.E013"


@register("caredesk")
def inbound_mail_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The SMTP listener's address, the desk's addresses and the IMAP mailbox must make sense."""
    found: list[CheckMessage] = []
    try:
        parse_addr(settings.CAREDESK_SMTPD)
    except ValueError as exc:
        found.append(
            Error(f"CAREDESK_SMTPD: {exc}", hint="For example 127.0.0.1:2525.", id=E_SMTPD)
        )
    addresses = settings.CAREDESK_DESK_ADDRESSES
    bad = []
    for address in addresses:
        try:
            validate_email(address)
        except Exception:
            bad.append(address)
    if bad or not addresses:
        found.append(
            Error(
                f"CAREDESK_DESK_ADDRESSES must list e-mail addresses, not {bad or addresses!r}.",
                hint="For example support@example.com,help@example.com.",
                id=E_DESK_ADDRESSES,
            )
        )
    if settings.CAREDESK_IMAP_URL:
        try:
            mailbox_from_url(settings.CAREDESK_IMAP_URL)
        except ValueError as exc:
            found.append(Error(f"CAREDESK_IMAP_URL: {exc}", id=E_IMAP_URL))
    return found
