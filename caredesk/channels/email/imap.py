"""Polling an IMAP mailbox (imapclient): unseen mail in, marked \\Seen only once it is committed.

Mail is fetched with BODY.PEEK[], which leaves the \\Seen flag alone; the flag is set after
`inbound_mail_receive` has committed, so a crash in between leaves the mail unseen and the next
poll takes it again (the Message-ID makes that a no-op if it was in fact stored).
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from imapclient import IMAPClient

from caredesk.channels.email.inbound import inbound_mail_receive, inbound_mail_too_large

log = logging.getLogger(__name__)

BATCH = 50
SEEN = b"\\Seen"


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    ssl: bool
    username: str
    password: str
    folder: str


def mailbox_from_url(url: str) -> Mailbox:
    """imaps://user:password@host:993/INBOX (or imap:// without TLS, for a local server)."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
        raise ValueError("an IMAP URL looks like imaps://user:password@host:993/INBOX")
    ssl = parts.scheme == "imaps"
    return Mailbox(
        host=parts.hostname,
        port=parts.port or (993 if ssl else 143),
        ssl=ssl,
        username=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
    )


def imap_poll(*, url: str) -> int:
    """Take every unseen mail of the mailbox once; returns how many were taken."""
    box = mailbox_from_url(url)
    taken = 0
    with IMAPClient(box.host, port=box.port, ssl=box.ssl, timeout=60) as client:
        client.login(box.username, box.password)
        client.select_folder(box.folder)
        uids = client.search(["UNSEEN"])
        for start in range(0, len(uids), BATCH):
            batch = uids[start : start + BATCH]
            sizes = client.fetch(batch, ["RFC822.SIZE"])
            for uid in batch:
                size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
                if size > settings.CAREDESK_EMAIL_MAX_BYTES:
                    head = client.fetch([uid], ["BODY.PEEK[HEADER]"]).get(uid, {})
                    inbound_mail_too_large(
                        headers=head.get(b"BODY[HEADER]", b""), size=size, source="imap"
                    )
                else:
                    body = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
                    inbound_mail_receive(raw=body.get(b"BODY[]", b""), source="imap")
                # Committed (stored or quarantined): only now is it seen.
                client.add_flags([uid], [SEEN])
                taken += 1
    return taken


def main(argv: list[str]) -> int:
    """`caredesk imap-poll`: one poll of CAREDESK_IMAP_URL (the worker polls every minute)."""
    parser = argparse.ArgumentParser(prog="caredesk imap-poll", description=main.__doc__)
    parser.parse_args(argv)
    url = settings.CAREDESK_IMAP_URL
    if not url:
        print("caredesk imap-poll: CAREDESK_IMAP_URL is not set", file=sys.stderr)
        return 2
    taken = imap_poll(url=url)
    print(f"{taken} mail(s) taken")
    return 0
