"""IMAP polling against a real dovecot (Debian's dovecot-imapd) started for the test.

A throwaway server with its own configuration, a passwd-file user and a Maildir in a temporary
folder, on a free port of 127.0.0.1; scripts/test.sh installs the package.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from imapclient import IMAPClient

from caredesk.channels.email.imap import imap_poll, mailbox_from_url
from caredesk.channels.email.models import InboundMail, InboundStatus
from caredesk.channels.tests.email.inbound_support import mail, port_open, wait_until
from caredesk.channels.tests.email.inbound_support import wire as wire_bytes
from caredesk.conversations.models import Message
from caredesk.tests.ports import free_port

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else ""
)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not DOVECOT, reason="dovecot-imapd is not installed (scripts/test.sh installs it)"
    ),
]
USER, PASSWORD = "desk", "desk-imap-pass"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = caredesk-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = {uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = 0
  }}
}}
"""


@pytest.fixture(scope="module")
def imap_url() -> Iterator[str]:
    """Dovecot in the foreground; as root its mail processes run as the `dovecot` user (it
    refuses uid 0), so the folder is made reachable for that user."""
    root = Path(tempfile.mkdtemp(prefix="caredesk-dovecot-"))
    root.chmod(0o755)
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:
        account = pwd.getpwnam("dovecot")
        uid, gid = account.pw_uid, account.pw_gid
    (root / "mail").mkdir()
    os.chown(root / "mail", uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
    (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=port, uid=uid, gid=gid))
    server = subprocess.Popen([DOVECOT, "-F", "-c", str(root / "dovecot.conf")])
    try:
        wait_until("dovecot to listen", lambda: server.poll() is not None or port_open(port))
        assert server.poll() is None, (root / "dovecot.log").read_text()
        yield f"imap://{USER}:{PASSWORD}@127.0.0.1:{port}/INBOX"
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def mailbox(url: str) -> IMAPClient:
    box = mailbox_from_url(url)
    client = IMAPClient(box.host, port=box.port, ssl=False)
    client.login(box.username, box.password)
    client.select_folder("INBOX")
    return client


def unseen(url: str) -> list[int]:
    with mailbox(url) as client:
        return list(client.search(["UNSEEN"]))


@pytest.mark.django_db
def test_polling_stores_threads_and_marks_seen_only_what_is_committed(imap_url: str) -> None:
    first = mail(text="The scanner shows error E42 since yesterday.")
    reply = mail(
        subject="Re: Printer jam", text="It happens again.", in_reply_to=first["Message-ID"]
    )
    already_read = mail(sender="someone@example.com", text="Read by a person in the mailbox.")
    with mailbox(imap_url) as client:
        client.append("INBOX", wire_bytes(first))
        client.append("INBOX", wire_bytes(reply))
        client.append("INBOX", wire_bytes(already_read), flags=[b"\\Seen"])
    assert imap_poll(url=imap_url) == 2
    assert unseen(imap_url) == []
    a, b = (InboundMail.objects.get(message_id=m["Message-ID"]) for m in (first, reply))
    assert a.source == "imap" and {a.status, b.status} == {InboundStatus.STORED}
    assert a.conversation_id == b.conversation_id
    assert not InboundMail.objects.filter(sender="someone@example.com").exists()
    assert imap_poll(url=imap_url) == 0  # nothing new, nothing twice
    assert Message.objects.count() == 2


@pytest.mark.django_db
def test_a_mail_whose_commit_fails_stays_unseen_and_is_taken_next_time(imap_url: str) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the failing commit is made with an SQLite trigger")
    good = mail(sender="good@example.com", text="A good mail.")
    poison = mail(sender="poison@example.com", text="The database refuses this one.")
    with mailbox(imap_url) as client:
        client.append("INBOX", wire_bytes(good))
        client.append("INBOX", wire_bytes(poison))
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON conversations_message "
            "WHEN NEW.text LIKE '%database refuses%' BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    with pytest.raises(Exception, match="disk full"):
        imap_poll(url=imap_url)
    assert len(unseen(imap_url)) == 1  # the good one was committed and seen; not the poison
    assert InboundMail.objects.get(message_id=good["Message-ID"]).status == InboundStatus.STORED
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER refuse_poison")
    assert imap_poll(url=imap_url) == 1
    assert unseen(imap_url) == []
    stored = InboundMail.objects.get(message_id=poison["Message-ID"])
    assert stored.status == InboundStatus.STORED
    assert Message.objects.filter(external_id=poison["Message-ID"]).count() == 1
