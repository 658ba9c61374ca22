"""The inbound-mail settings are checked at start-up (caredesk/checks.py)."""

from __future__ import annotations

from typing import Any

from caredesk.channels.email.checks import (
    E_DESK_ADDRESSES,
    E_IMAP_URL,
    E_SMTPD,
    inbound_mail_check,
)


def test_the_defaults_pass() -> None:
    assert inbound_mail_check() == []


def test_bad_values_are_named_at_start_up(settings: Any) -> None:
    settings.CAREDESK_SMTPD = "localhost"
    settings.CAREDESK_DESK_ADDRESSES = ["support@example.com", "not-an-address"]
    settings.CAREDESK_IMAP_URL = "https://user:secret@mail.example.com/"
    found = inbound_mail_check()
    assert [e.id for e in found] == [E_SMTPD, E_DESK_ADDRESSES, E_IMAP_URL]
    assert "not-an-address" in found[1].msg
    assert "secret" not in found[2].msg  # the password never reaches a log
