"""One HTTP POST to a receiver, with a timeout, no redirects, and no private addresses.

A webhook URL is typed by a lead but fetched by the server, so it could be pointed at the
server's own network (server-side request forgery): the cloud metadata service, a database, the
admin of a router. The host name is resolved once, every address it resolves to must be public
(or inside a network the operator allows: `CAREDESK_WEBHOOK_ALLOW_NETWORKS`, e.g. 127.0.0.0/8 for
the demo and the tests), and the connection goes to that same address, so a second DNS answer
cannot swap in another (DNS rebinding). Redirects are not followed: a 3xx is a failed attempt.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

USER_AGENT = "Caredesk-Webhooks/1"
MAX_RESPONSE_BYTES = 64 * 1024  # we read (and drop) at most this much of an answer

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(ValueError):
    """The URL is not http(s), or points to an address webhooks may not reach."""


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def networks(raw: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(n.strip(), strict=False) for n in raw if n.strip()]


def address_allowed(address: Address, allowed: list[Network]) -> bool:
    if any(address in network for network in allowed):
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address_allowed(address.ipv4_mapped, allowed)
    return address.is_global and not address.is_multicast


def url_check(url: str, *, allowed: list[Network], resolve: bool = True) -> list[Address]:
    """Refuse a URL webhooks may not call; return the addresses to connect to (resolved once).

    Without `resolve`, only what the URL itself says is checked (a literal address, `localhost`),
    which is how a subscription is checked when saved: its name may resolve differently later.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # a broken [IPv6] literal, a port that is not a number
        raise AddressRefused(f"This URL cannot be read: {exc}.") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused("Use an http:// or https:// URL with a host name.")
    if parts.username or parts.password:
        raise AddressRefused("Put no user name or password in the URL; the signature is the proof.")
    host = parts.hostname
    try:
        literal: Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is None and host.rstrip(".").lower().endswith("localhost"):
        literal = ipaddress.ip_address("127.0.0.1")
    if literal is not None:
        if not address_allowed(literal, allowed):
            raise AddressRefused(f"{host} is a private or local address; webhooks may not call it.")
        if not resolve:
            return [literal]
    if not resolve:
        return []
    try:
        infos = socket.getaddrinfo(
            host, port or _default_port(parts.scheme), type=socket.SOCK_STREAM
        )
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"{host} could not be resolved ({exc}).") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    refused = [str(a) for a in addresses if not address_allowed(a, allowed)]
    if refused or not addresses:
        raise AddressRefused(
            f"{host} resolves to a private or local address ({', '.join(refused)}); "
            "webhooks may not call it."
        )
    return addresses


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def post(
    url: str, *, body: bytes, headers: dict[str, str], timeout: float, allowed: list[Network]
) -> Outcome:
    """POST `body` to `url` once; never raises for the receiver's faults, says what happened."""
    start = time.monotonic()

    def outcome(status: int | None, error: str = "") -> Outcome:
        return Outcome(status, int((time.monotonic() - start) * 1000), error[:300])

    try:
        addresses = url_check(url, allowed=allowed)
    except AddressRefused as exc:
        return outcome(None, str(exc))
    parts = urlsplit(url)
    connection = _connection(parts.scheme, parts.hostname or "", parts.port, addresses[0], timeout)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers},
        )
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return outcome(response.status)
    except TimeoutError:
        return outcome(None, f"No answer within {timeout:g} seconds.")
    except (OSError, http.client.HTTPException) as exc:
        return outcome(None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    finally:
        connection.close()


def _connection(
    scheme: str, host: str, port: int | None, address: Address, timeout: float
) -> http.client.HTTPConnection:
    """A connection to `host` (its Host header, its TLS name and certificate) that connects to
    the `address` already checked, never to a fresh DNS answer."""
    connection: http.client.HTTPConnection
    if scheme == "https":
        connection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    target_port = port or _default_port(scheme)

    def create_connection(*args: object, **kwargs: object) -> socket.socket:
        return socket.create_connection((str(address), target_port), timeout=timeout)

    connection._create_connection = create_connection  # type: ignore[attr-defined]
    return connection
