"""A real HTTP receiver on 127.0.0.1 that checks every delivery's signature, as a customer's
server would (docs/webhooks.md), and answers what the test tells it to."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from huey.contrib.djhuey import HUEY

from caredesk.channels.webhooks.signing import SignatureInvalid, signature_verify

SECRET_UNSET = ""


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool
    why: str = ""

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """`answers` is consumed one per request: an HTTP status, or "hang" (answer nothing until the
    test ends, so the sender's timeout fires); when empty, 200."""

    url: str = ""
    secret: str = SECRET_UNSET
    answers: list[int | str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def verified(self) -> list[Received]:
        return [r for r in self.received if r.verified]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                signature_verify(
                    secret=receiver.secret,
                    header=self.headers.get("Caredesk-Signature", ""),
                    body=body,
                    now=int(time.time()),
                )
                verified, why = True, ""
            except SignatureInvalid as exc:
                verified, why = False, str(exc)
            receiver.received.append(Received(dict(self.headers), body, verified, why))
            answer = receiver.answers.pop(0) if receiver.answers else 200
            if answer == "hang":
                receiver.release.wait(10)
                return
            status = int(answer) if verified else 401
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.CAREDESK_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.0/8"]
    settings.CAREDESK_WEBHOOK_TIMEOUT = 0.5
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/caredesk?source=test"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    HUEY.storage.flush_schedule()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        HUEY.storage.flush_schedule()
