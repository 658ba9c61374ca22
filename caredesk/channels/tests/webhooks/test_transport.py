"""Server-side request forgery: webhooks never call private or local addresses unless allowed."""

from __future__ import annotations

import ipaddress
import time

import pytest

from caredesk.channels.tests.webhooks.conftest import Receiver
from caredesk.channels.webhooks.signing import signature_header
from caredesk.channels.webhooks.transport import AddressRefused, networks, post, url_check

NONE_ALLOWED: list = []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/",
        "http://localhost/hook",
        "http://LOCALHOST./hook",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://169.254.169.254/latest/meta-data/",  # the cloud metadata service
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://[fd00::1]/",
    ],
)
def test_private_and_local_addresses_are_refused(url: str) -> None:
    with pytest.raises(AddressRefused, match="private or local"):
        url_check(url, allowed=NONE_ALLOWED, resolve=False)


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/", "file:///etc/passwd", "http:///nohost", "http://[::1/", "http://a:b/"],
)
def test_urls_that_are_not_http_are_refused(url: str) -> None:
    with pytest.raises(AddressRefused):
        url_check(url, allowed=NONE_ALLOWED, resolve=False)


def test_credentials_in_the_url_are_refused() -> None:
    with pytest.raises(AddressRefused, match="no user name"):
        url_check("https://user:pw@example.com/", allowed=NONE_ALLOWED, resolve=False)


def test_an_allowed_network_lets_the_operator_use_a_local_receiver() -> None:
    allowed = networks(["127.0.0.0/8"])
    assert url_check("http://127.0.0.1:9/", allowed=allowed) == [ipaddress.ip_address("127.0.0.1")]
    with pytest.raises(AddressRefused):
        url_check("http://10.0.0.1/", allowed=allowed, resolve=False)


def test_a_public_address_is_allowed() -> None:
    assert url_check("https://93.184.215.14/hook", allowed=NONE_ALLOWED) == [
        ipaddress.ip_address("93.184.215.14")
    ]


def test_sending_to_a_refused_address_connects_to_nothing(receiver: Receiver) -> None:
    outcome = post(receiver.url, body=b"{}", headers={}, timeout=1, allowed=NONE_ALLOWED)
    assert not outcome.ok and outcome.status_code is None
    assert "private or local" in outcome.error
    assert receiver.received == []


def test_a_redirect_is_a_failed_attempt_never_followed(receiver: Receiver) -> None:
    receiver.answers = [302]
    receiver.secret = "whsec_test"
    body = b"{}"
    signed = {
        "Caredesk-Signature": signature_header(
            secret="whsec_test", timestamp=int(time.time()), body=body
        )
    }
    outcome = post(
        receiver.url, body=body, headers=signed, timeout=1, allowed=networks(["127.0.0.1/32"])
    )
    assert outcome.status_code == 302 and not outcome.ok
    assert len(receiver.verified) == 1
