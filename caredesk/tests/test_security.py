"""Production mode, the Content-Security-Policy and /healthz.

Production mode is read once at start-up, so its tests run Django in a subprocess with
CAREDESK_PRODUCTION=1, exactly as an operator would.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from huey import RedisHuey

from caredesk import config, health
from caredesk.conftest import login

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES = ROOT / "caredesk" / "templates"


def _production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREDESK_")}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests in this process
    env.update(CAREDESK_DATA_DIR=str(tmp_path), CAREDESK_PRODUCTION="1")
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "caredesk.cli", "manage", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- Production mode ----------------------------------------------------------------------------


def test_check_deploy_is_clean_in_production_mode(tmp_path: Path) -> None:
    out = _manage(_production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "System check identified no issues" in out.stdout


def test_check_deploy_warns_outside_production_mode(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    del env["CAREDESK_PRODUCTION"]
    out = _manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert out.returncode != 0
    assert "security.W004" in out.stderr  # no HSTS: the check this test relies on can fail


def test_production_redirects_to_https_except_healthz(tmp_path: Path) -> None:
    script = (
        "import json; from django.test import Client; c = Client(); "
        "plain, probe = c.get('/login/'), c.get('/healthz'); "
        "tls = c.get('/login/', headers={'X-Forwarded-Proto': 'https'}); "
        "print(json.dumps({'plain': [plain.status_code, plain.headers.get('Location')], "
        "'probe': probe.status_code, 'tls': tls.status_code, "
        "'hsts': tls.headers.get('Strict-Transport-Security'), "
        "'cookies': {k: bool(m['secure']) for k, m in tls.cookies.items()}}))"
    )
    env = _production_env(tmp_path)
    env["CAREDESK_HSTS_SECONDS"] = "86400"
    assert _manage(env, "migrate", "--no-input", "-v", "0").returncode == 0
    out = _manage(env, "shell", "-c", script)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://testserver/login/"]
    assert seen["probe"] == 200  # load balancers probe over plain HTTP
    assert seen["tls"] == 200
    assert seen["hsts"] == "max-age=86400; includeSubDomains; preload"
    assert seen["cookies"] == {"csrftoken": True}


def test_production_refuses_debug_and_weak_secret_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CAREDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CAREDESK_PRODUCTION", "1")
    monkeypatch.delenv("CAREDESK_SECRET_KEY", raising=False)
    assert config.load().production  # the generated key is strong enough
    monkeypatch.setenv("CAREDESK_DEBUG", "1")
    with pytest.raises(ImproperlyConfigured, match="CAREDESK_DEBUG must be off"):
        config.load()
    monkeypatch.setenv("CAREDESK_DEBUG", "0")
    for weak in ("short", "a" * 60, "django-insecure-" + secrets.token_urlsafe(50)):
        monkeypatch.setenv("CAREDESK_SECRET_KEY", weak)
        with pytest.raises(ImproperlyConfigured, match="too weak for production"):
            config.load()
    monkeypatch.setenv("CAREDESK_WEB_WORKERS", "0")
    monkeypatch.setenv("CAREDESK_SECRET_KEY", secrets.token_urlsafe(60))
    with pytest.raises(ImproperlyConfigured, match="CAREDESK_WEB_WORKERS must be 1 or more"):
        config.load()


# --- Content-Security-Policy --------------------------------------------------------------------


def _policy(response: Any) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "as_agent"),
    [("/login/", False), ("/signup/", False), ("/api/docs", True), ("/desk/", True)],
)
def test_every_page_has_a_strict_policy(url: str, as_agent: bool, agent: Any) -> None:
    response = (login(Client(), agent.user.email) if as_agent else Client()).get(url)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I),
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_templates_hold_nothing_the_policy_blocks() -> None:
    found = [
        f"{path.relative_to(TEMPLATES)}: {what}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        if "email" not in path.parts  # e-mails are not pages, and mail clients want inline style
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text())
    ]
    assert found == []


def test_htmx_is_told_not_to_inject_style_or_eval() -> None:
    base = (TEMPLATES / "base.html").read_text()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", base)
    assert meta is not None
    settings = json.loads(meta.group(1))
    assert settings["includeIndicatorStyles"] is False
    assert settings["allowEval"] is False


# --- /healthz -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_without_login_and_only_reads(client: Client) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "queue": "ok",
        "pending_tasks": 0,
    }
    assert queries.captured_queries
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_healthz_is_503_and_names_the_part_when_the_queue_is_unreachable(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    unreachable = RedisHuey("caredesk-health", url=f"redis://127.0.0.1:{port}/0")
    monkeypatch.setattr(health, "HUEY", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["database"] == "ok"
    assert body["queue"] == "failed (ConnectionError)"


# --- In the browser -----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_api_docs_load_in_chromium_without_console_errors(open_browser: Any) -> None:
    visitor = open_browser("api-docs")
    visitor.page.goto("/api/docs")
    visitor.page.wait_for_selector(".swagger-ui .opblock-tag")  # Swagger UI drew the API
    visitor.page.click(".opblock-summary-path >> nth=0")  # and it still works once opened
    visitor.page.wait_for_selector(".opblock-body")
    visitor.shot("api-docs")
    assert visitor.errors == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_browser_check_catches_a_policy_violation(open_browser: Any, customer: Any) -> None:
    visitor = open_browser("csp-probe")
    visitor.login(customer.user.email)
    with visitor.page.expect_console_message(lambda m: "CSP violation" in m.text):
        visitor.page.evaluate("document.body.setAttribute('style', 'color: red')")
    assert any("CSP violation: style-src-attr" in e for e in visitor.errors), visitor.errors
    visitor.errors.clear()  # seen and expected here; any other would fail this test
