"""Signing a delivery, and the check a receiver makes (the same code docs/webhooks.md shows).

The signature is HMAC-SHA256, keyed with the subscription's secret, over `<timestamp>.<body>`:

    Caredesk-Signature: t=1767225600,v1=<64 hex digits>

The timestamp is signed with the body, so a receiver that refuses old timestamps (five minutes by
default) cannot be made to accept a captured request again later. Pure Python, no Django.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Caredesk-Signature"
TOLERANCE_SECONDS = 300


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret=secret, timestamp=timestamp, body=body)}"


class SignatureInvalid(ValueError):
    """The request was not signed with this secret, or was signed too long ago."""


def signature_verify(
    *, secret: str, header: str, body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS
) -> int:
    """Check a `Caredesk-Signature` header; return its timestamp, or raise `SignatureInvalid`."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError) as exc:
        raise SignatureInvalid("no timestamp in the signature header") from exc
    if abs(now - timestamp) > tolerance:
        raise SignatureInvalid("the timestamp is too old (or in the future): a replay?")
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise SignatureInvalid("the signature does not match the body")
    return timestamp
