"""The signature a receiver checks: the body and the time are both signed."""

from __future__ import annotations

import pytest

from caredesk.channels.webhooks.signing import (
    SignatureInvalid,
    signature_header,
    signature_verify,
)

SECRET = "whsec_test"
BODY = b'{"event":{"id":1}}'
NOW = 1_767_225_600


def test_a_signed_body_verifies_and_gives_its_time() -> None:
    header = signature_header(secret=SECRET, timestamp=NOW, body=BODY)
    assert header.startswith(f"t={NOW},v1=")
    assert signature_verify(secret=SECRET, header=header, body=BODY, now=NOW + 10) == NOW


@pytest.mark.parametrize(
    ("secret", "body", "now", "why"),
    [
        ("whsec_other", BODY, NOW, "does not match"),
        (SECRET, BODY + b" ", NOW, "does not match"),
        (SECRET, BODY, NOW + 301, "too old"),  # a captured request, sent again later
        (SECRET, BODY, NOW - 301, "too old"),
    ],
)
def test_another_secret_a_changed_body_or_an_old_time_is_refused(
    secret: str, body: bytes, now: int, why: str
) -> None:
    header = signature_header(secret=SECRET, timestamp=NOW, body=BODY)
    with pytest.raises(SignatureInvalid, match=why):
        signature_verify(secret=secret, header=header, body=body, now=now)


def test_a_changed_time_breaks_the_signature() -> None:
    header = signature_header(secret=SECRET, timestamp=NOW, body=BODY)
    moved = header.replace(f"t={NOW}", f"t={NOW + 1000}")
    with pytest.raises(SignatureInvalid, match="does not match"):
        signature_verify(secret=SECRET, header=moved, body=BODY, now=NOW + 1000)


@pytest.mark.parametrize("header", ["", "v1=abc", "t=soon,v1=abc", "garbage"])
def test_a_malformed_header_is_refused(header: str) -> None:
    with pytest.raises(SignatureInvalid):
        signature_verify(secret=SECRET, header=header, body=BODY, now=NOW)
