"""A real `caredesk smtpd` process on a free port, driven with smtplib.

The kill test: a client sends mail while the listener is killed with SIGKILL and started again;
every mail that got a 250 is stored exactly once. Real-server tests run in the SQLite pass only
(they read the desk's database file directly); they are marked `slow`.
"""

from __future__ import annotations

import os
import smtplib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from caredesk.channels.tests.email.inbound_support import (
    DESK,
    Listener,
    cli,
    desk_env,
    mail,
    wait_until,
    wire,
)
from caredesk.tests.ports import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")), reason="real-server tests run in the SQLite pass only"
    ),
]
KILL_TEST_MAILS = 1000  # as the issue asks: every acknowledged mail, through two SIGKILLs


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    data_dir = tmp_path_factory.mktemp("smtpd-desk")
    env = desk_env(data_dir, CAREDESK_EMAIL_MAX_BYTES="200000")
    migrated = cli(env, "manage", "migrate", "--no-input", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    yield data_dir, env


def query(data_dir: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(data_dir / "caredesk.sqlite3", timeout=60) as db:
        return db.execute(sql, params).fetchall()


@pytest.fixture
def listener(desk: tuple[Path, dict[str, str]]) -> Iterator[Listener]:
    data_dir, env = desk
    smtpd = Listener(env, free_port(), data_dir / "smtpd.log")
    smtpd.start()
    yield smtpd
    smtpd.stop()


def test_mail_over_smtp_opens_a_conversation_and_is_read(
    desk: tuple[Path, dict[str, str]], listener: Listener
) -> None:
    data_dir, _ = desk
    msg = mail(text="I am furious, the refund never came and nobody answers!")
    with smtplib.SMTP("127.0.0.1", listener.port, timeout=60) as client:
        refused = client.sendmail("dana@example.com", [DESK], wire(msg))
        assert refused == {}
        client.mail("dana@example.com")
        code, _ = client.rcpt("someone-else@example.com")
    assert code == 550
    rows = query(
        data_dir,
        "SELECT m.channel, m.reading, c.subject FROM conversations_message m "
        "JOIN conversations_conversation c ON c.id = m.conversation_id WHERE m.external_id = ?",
        msg["Message-ID"],
    )
    assert len(rows) == 1
    channel, reading, subject = rows[0]
    assert channel == "email" and subject == "Printer jam"
    assert reading and "emotion" in str(reading)


def test_a_mail_over_the_size_limit_gets_552(listener: Listener) -> None:
    msg = mail(text=("x" * 70 + "\n") * 4000)
    # 552 at MAIL FROM (the SIZE the client declared) or, without SIZE, after DATA.
    with (
        smtplib.SMTP("127.0.0.1", listener.port, timeout=60) as client,
        pytest.raises(smtplib.SMTPResponseException) as refused,
    ):
        client.sendmail("dana@example.com", [DESK], wire(msg))
    assert refused.value.smtp_code == 552
    with smtplib.SMTP("127.0.0.1", listener.port, timeout=60) as client:
        client.ehlo()
        client.esmtp_features.pop("size", None)  # a client that does not declare the size
        with pytest.raises(smtplib.SMTPDataError) as after_data:
            client.sendmail("dana@example.com", [DESK], wire(msg))
    assert after_data.value.smtp_code == 552


class Sender:
    """Sends numbered mails over one connection after another; records the ones that got 250."""

    def __init__(self, port: int, total: int) -> None:
        self.port = port
        self.total = total
        self.acked: list[str] = []
        self.next = 0
        self.lock = threading.Lock()

    def run(self) -> None:
        while self.next < self.total:
            try:
                with smtplib.SMTP("127.0.0.1", self.port, timeout=60) as client:
                    while self.next < self.total:
                        msg = mail(
                            sender=f"kill{self.next}@example.com",
                            subject=f"Kill test {self.next}",
                            text=f"Kill test message number {self.next}.",
                            message_id=f"<kill-{self.next}@mail.example.com>",
                        )
                        client.sendmail(f"kill{self.next}@example.com", [DESK], wire(msg))
                        with self.lock:
                            self.acked.append(msg["Message-ID"])
                        self.next += 1
            except (OSError, smtplib.SMTPException):
                continue  # the listener is gone: reconnect, and send the same mail again

    def count(self) -> int:
        with self.lock:
            return len(self.acked)


def test_sigkill_mid_way_loses_no_acknowledged_mail_and_stores_none_twice(
    desk: tuple[Path, dict[str, str]], listener: Listener
) -> None:
    data_dir, _ = desk
    sender = Sender(listener.port, KILL_TEST_MAILS)
    thread = threading.Thread(target=sender.run)
    thread.start()
    try:
        wait_until(
            "a third of the mails acknowledged", lambda: sender.count() >= KILL_TEST_MAILS // 3
        )
        listener.kill()
        listener.start()
        wait_until("a second third", lambda: sender.count() >= 2 * KILL_TEST_MAILS // 3)
        listener.kill()
        listener.start()
    finally:
        thread.join()
    assert len(sender.acked) == KILL_TEST_MAILS
    stored: dict[object, object] = dict(
        query(
            data_dir,
            "SELECT external_id, COUNT(*) FROM conversations_message "
            "WHERE external_id LIKE '<kill-%' GROUP BY external_id",
        )
    )
    assert {mid: stored.get(mid) for mid in sender.acked} == dict.fromkeys(sender.acked, 1)
    statuses = query(
        data_dir,
        "SELECT status, COUNT(*) FROM channels_inboundmail WHERE message_id LIKE '<kill-%' "
        "GROUP BY status",
    )
    assert dict(statuses) == {"stored": KILL_TEST_MAILS}
