"""`caredesk smtpd [ADDR]`: the desk's SMTP listener (aiosmtpd).

It takes mail only for the desk's addresses (550 for any other), refuses what is over the size
limit (552), and answers 250 only once the mail is committed: the Django service runs in a worker
thread (the ORM is synchronous) while the event loop keeps serving other connections. A database
that fails gives 451, a temporary failure, so the sending server tries again later and nothing it
was told we have is lost.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections

from caredesk.channels.email.inbound import MailTooLarge, inbound_mail_receive
from caredesk.channels.email.models import InboundStatus
from caredesk.conversations import reading

log = logging.getLogger(__name__)

THREADS = 4  # mails stored at once; SQLite has one writer anyway, PostgreSQL a few


def _store(raw: bytes, null_sender: bool) -> str:
    """Runs in a worker thread: one mail, one transaction, the connection cleaned around it."""
    close_old_connections()
    try:
        mail = inbound_mail_receive(raw=raw, source="smtp", null_sender=null_sender)
        return str(mail.status)
    finally:
        close_old_connections()


class DeskHandler:
    """aiosmtpd's handler: RCPT checks the address, DATA stores the mail before answering."""

    def __init__(self, addresses: list[str], executor: ThreadPoolExecutor) -> None:
        self.addresses = {a.lower() for a in addresses}
        self.executor = executor

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.strip().lower() not in self.addresses:
            return f"550 5.1.1 <{address}>: no such mailbox at this desk"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        null_sender = (envelope.mail_from or "").strip("<> ") == ""
        loop = asyncio.get_running_loop()
        try:
            status = await loop.run_in_executor(self.executor, _store, raw, null_sender)
        except MailTooLarge as exc:
            return f"552 5.3.4 message too large: {exc}"
        except Exception:
            log.exception("storing an inbound mail failed; the sender is asked to retry")
            return "451 4.3.0 the desk could not store this message now; try again later"
        if status == InboundStatus.STORED:
            return "250 2.0.0 stored"
        return f"250 2.0.0 received ({status})"  # recorded; a lead sees it in the quarantine


def parse_addr(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{addr!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


async def serve(host: str, port: int, *, ready: asyncio.Event | None = None) -> None:
    """Listen until SIGTERM or SIGINT; a mail being stored when it comes is finished first."""
    executor = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="smtpd-store")
    handler = DeskHandler(settings.CAREDESK_DESK_ADDRESSES, executor)
    loop = asyncio.get_running_loop()
    limit = settings.CAREDESK_EMAIL_MAX_BYTES
    server = await loop.create_server(
        lambda: SMTP(handler, data_size_limit=limit, enable_SMTPUTF8=True, hostname="caredesk"),
        host=host,
        port=port,
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"caredesk smtpd: listening on {host}:{port}", file=sys.stderr, flush=True)
    if ready is not None:
        ready.set()
    async with server:
        await stop.wait()
        server.close()
        await server.wait_closed()
    executor.shutdown(wait=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="caredesk smtpd", description="The desk's SMTP listener.")
    parser.add_argument("addr", nargs="?", default=None, help="HOST:PORT (CAREDESK_SMTPD)")
    args = parser.parse_args(argv)
    try:
        host, port = parse_addr(args.addr or settings.CAREDESK_SMTPD)
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Load the emotion engines now, not inside the first mail's transaction.
    reading.inbound_read("warming up")
    asyncio.run(serve(host, port))
    return 0
