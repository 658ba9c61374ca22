"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, RequestFactory

from caredesk.customers.models import Customer
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.models import Agent, Role, Team
from caredesk.people.tests.factories import PASSWORD, AgentFactory, TeamFactory

# Fixtures that live in their own module: `smtp_server`, a real SMTP server on 127.0.0.1.
pytest_plugins = ["caredesk.tests.smtp"]


@pytest.fixture(autouse=True, scope="session")
def _tasks_run_in_process() -> None:
    """Background tasks run at once, in-process, with an in-memory queue."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # A fast hasher: the real one is slow on purpose, which only slows the suite down.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Re-reading every test's messages with the network would only slow the suite down; the
    # tests of the refinement turn it back on (conversations/tests/test_reading.py).
    settings.CAREDESK_EMOTION_REFINE_ENGINE = ""


@pytest.fixture
def team(db: None) -> Team:
    return TeamFactory(name="Billing")


@pytest.fixture
def other_team(db: None) -> Team:
    return TeamFactory(name="Technical")


@pytest.fixture
def agent(team: Team) -> Agent:
    return AgentFactory(teams=[team])


@pytest.fixture
def lead(db: None) -> Agent:
    return AgentFactory(role=Role.LEAD)


@pytest.fixture
def customer(db: None) -> Customer:
    return CustomerFactory()


def login(client: Client, email: str) -> Client:
    # django-axes checks every authentication against a request (its address is counted).
    assert client.login(request=RequestFactory().post("/login/"), email=email, password=PASSWORD)
    return client


@pytest.fixture
def agent_client(agent: Agent) -> Client:
    return login(Client(), agent.user.email)


@pytest.fixture
def customer_client(customer: Customer) -> Client:
    assert customer.user is not None
    return login(Client(), customer.user.email)


# --- Browser tests: Playwright driving Debian's Chromium (never a downloaded browser) ---------
CHROMIUM = os.environ.get("CAREDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(
        os.environ.get("CAREDESK_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts")
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}; `bin/caredesk test` installs Debian's chromium"
        )
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
    # itself are still synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


# Chromium logs a CSP violation on the console; this makes sure of it, with the directive and the
# source, in every page of every browser test (init scripts are exempt from the page's policy).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => console.error(
  `CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || "inline code"}` +
  ` in ${e.sourceFile}:${e.lineNumber}`));
"""
# An answer of 4xx to a form or htmx request is part of a test's story (e.g. an empty reply is
# refused); the test checks the page for it. A 4xx for a static file, or any 5xx, is a bug.
EXPECTED_HTTP_ERROR = re.compile(
    r"^Failed to load resource: the server responded with a status of 4"
)


class BrowserSession:
    """One person's browser tab, logged in, saving a screenshot per step.

    Every console error, uncaught exception and CSP violation is kept in `errors`; the
    `open_browser` fixture fails the test if there are any.
    """

    def __init__(self, browser: Any, base_url: str, artifacts: Path, who: str) -> None:
        self.context = browser.new_context(
            base_url=base_url, viewport={"width": 1280, "height": 900}
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.artifacts = artifacts
        self.who = who
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._on_dialog)
        self.context.add_init_script(REPORT_CSP_VIOLATIONS)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught exception: {exc}"))

    def _on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if EXPECTED_HTTP_ERROR.match(message.text) and "/static/" not in url:
            return
        self.errors.append(f"console error: {message.text} ({url})")

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def login(self, email: str, password: str = PASSWORD) -> None:
        self.page.goto("/login/")
        self.page.fill("input[name=username]", email)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        # Logging in is slow on purpose (password hashing); wait until we have left the page.
        self.page.wait_for_url(lambda url: "/login/" not in url)

    def shot(self, step: str) -> None:
        self.page.screenshot(path=str(self.artifacts / f"{step}-{self.who}.png"), full_page=True)


@pytest.fixture
def open_browser(browser: Any, live_server: Any, artifacts_dir: Path) -> Iterator[Any]:
    sessions: list[BrowserSession] = []

    def make(who: str) -> BrowserSession:
        session = BrowserSession(browser, live_server.url, artifacts_dir, who)
        sessions.append(session)
        return session

    yield make
    for s in sessions:
        s.context.close()
    # Pages poll (presence, notifications); a request already in flight when the page closed still
    # runs in the live server's thread on the test's own SQLite connection, and would write into the
    # database flush that follows (a foreign key failure at its commit). Let it finish first.
    time.sleep(0.5)
    errors = [f"{s.who}: {error}" for s in sessions for error in s.errors]
    if errors:
        pytest.fail("the browser reported errors:\n" + "\n".join(errors))
