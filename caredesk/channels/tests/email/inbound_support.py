"""Helpers for the inbound-mail tests: the corpus, mails to send, and a real `caredesk smtpd`."""

from __future__ import annotations

import email.policy
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
CORPUS = Path(__file__).resolve().parent / "corpus"
DESK = "support@demo.caredesk.test"
CLI = [sys.executable, "-m", "caredesk.cli"]
WAIT_S = 90.0  # only ends a hang; never a timing claim


@dataclass(frozen=True)
class Case:
    name: str
    expect: str  # stored, quarantined or any
    fragment: str

    @property
    def raw(self) -> bytes:
        return (CORPUS / f"{self.name}.eml").read_bytes()


def corpus() -> list[Case]:
    lines = (CORPUS / "MANIFEST.tsv").read_text().splitlines()
    cases = []
    for line in lines:
        if line and not line.startswith("#"):
            name, expect, fragment = [*line.split("\t"), ""][:3]
            cases.append(Case(name, expect, fragment))
    return cases


def mail(
    *,
    sender: str = "Dana Reyes <dana@example.com>",
    subject: str = "Printer jam",
    text: str = "My printer jams on every page. Can you help?",
    in_reply_to: str = "",
    references: str = "",
    message_id: str = "",
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = DESK
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="mail.example.com")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    return msg


def wire(msg: EmailMessage) -> bytes:
    """The mail as it travels: CRLF line ends (smtplib sends bytes as they are)."""
    return msg.as_bytes(policy=email.policy.SMTP)


def wait_until(what: str, condition: Callable[[], object]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def desk_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREDESK_")}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.pop("DATABASE_URL", None)
    env.update(
        CAREDESK_DATA_DIR=str(data_dir),
        CAREDESK_EMOTION_REFINE_ENGINE="",
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="caredesk.settings",
        **extra,
    )
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=WAIT_S
    )


@dataclass
class Listener:
    """A real `caredesk smtpd` process on a free port of 127.0.0.1."""

    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*CLI, "smtpd", f"127.0.0.1:{self.port}"],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        process = self.process
        wait_until(
            f"caredesk smtpd on port {self.port} (log: {self.log})",
            lambda: process.poll() is not None or port_open(self.port),
        )
        assert process.poll() is None, self.log.read_text()[-3000:]

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=WAIT_S)
