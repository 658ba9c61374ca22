"""The one place where Caredesk reads its environment.

Everything an operator can set is an environment variable read here, validated at start-up, so a bad
configuration fails loudly instead of half-working.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

REPO_ROOT = Path(__file__).resolve().parent.parent


DESK_ADDRESS = "support@demo.caredesk.test"  # the demo desk's inbound address

# The at-risk rules' thresholds (care/outreach.py), each set by CAREDESK_AT_RISK_<NAME>; their
# ranges are checked at start-up (caredesk.E031, care/checks.py).
AT_RISK_DEFAULTS: dict[str, int] = {
    "negative_hours": 24,  # a negative reading left unresolved this long
    "long_wait_hours": 48,  # waiting on us without a person's answer this long
    "abandoned_hours": 72,  # a portal conversation left unanswered by the customer this long
    "low_satisfaction": 2,  # a rating at or below this (of 5)
    "silence_days": 14,  # no word from the customer this long after a bad experience
    "people_per_problem": 3,  # the customer explained one problem to this many agents
}


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def _not_negative(name: str, default: int) -> int:
    value = _int(name, default)
    if value < 0:
        raise ImproperlyConfigured(f"{name} must be 0 or more, not {value}")
    return value


def _networks(name: str) -> list[str]:
    """Comma-separated IP networks (`127.0.0.0/8, ::1/128`), each checked now."""
    raw = [n.strip() for n in os.environ.get(name, "").split(",") if n.strip()]
    for network in raw:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {network!r} is not an IP network") from exc
    return raw


def _positive(name: str, default: int) -> int:
    value = _int(name, default)
    if value < 1:
        raise ImproperlyConfigured(f"{name} must be 1 or more, not {value}")
    return value


def _existing_file(name: str) -> Path | None:
    raw = os.environ.get(name, "")
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file():
        raise ImproperlyConfigured(f"{name} points to {raw!r}, which is not a file")
    return path


def _nice(name: str, default: int) -> int:
    value = _int(name, default)
    if not 0 <= value <= 19:
        raise ImproperlyConfigured(f"{name} must be from 0 to 19, not {value}")
    return value


def _optional_path(name: str) -> Path | None:
    raw = os.environ.get(name, "")
    return Path(raw).resolve() if raw else None


def _check_production(*, debug: bool, secret: str) -> None:
    """Refuse in production what `manage.py check --deploy` would warn about in the environment."""
    if debug:
        raise ImproperlyConfigured("CAREDESK_DEBUG must be off when CAREDESK_PRODUCTION is on")
    if len(secret) < 50 or len(set(secret)) < 5 or secret.startswith("django-insecure-"):
        raise ImproperlyConfigured(
            "CAREDESK_SECRET_KEY is too weak for production: use 50 or more random characters "
            "(or leave it unset to use the key generated in the data folder)"
        )


@dataclass(frozen=True)
class Config:
    debug: bool
    secret_key: str
    data_dir: Path
    database_url: str
    redis_url: str
    allowed_hosts: list[str]
    max_message_chars: int
    max_attachment_bytes: int
    emotion_engine: str
    emotion_refine_engine: str
    # The minilm engine's base model (model.safetensors, tokenizer.json); unset: the installed
    # package's. The public data sets `caredesk eval emotion` reads; unset: <repo>/../shared/data.
    minilm_dir: Path | None
    shared_data: Path | None
    coach_rules_file: Path | None
    huey_immediate: bool
    email_host: str
    email_port: int
    default_from_email: str
    # The demo's mailbox (a Maildir): every mail the desk sends lands there and the desk shows it at
    # /demo/mailbox/; unset (production), mail goes to the SMTP server above.
    demo_mailbox: Path | None
    # Production mode: HTTPS only behind a TLS proxy, secure cookies, HSTS (docs/deploy.md).
    production: bool
    hsts_seconds: int
    # The web server (gunicorn) and the threads of numerical libraries (caredesk/server.py).
    web_workers: int
    web_threads: int
    web_timeout: int
    model_threads: int
    worker_nice: int
    # When set, every background task's enqueue, completion and error is appended to this file
    # (one JSON line each; caredesk/taskaudit.py): how the scaled-mode check proves each task ran
    # exactly once across several workers. Off by default.
    task_audit_log: Path | None
    # Accounts: a session ends after this many hours without a request; a login form refuses an
    # account or a client address after this many failures, for this many minutes.
    session_idle_hours: int
    login_failure_limit: int
    login_cooloff_minutes: int
    # Webhooks never call private or local addresses (SSRF) except inside these networks (the demo
    # and the tests allow 127.0.0.0/8); each request gives up after this many seconds.
    webhook_allow_networks: list[str]
    webhook_timeout: int
    # How many reverse proxies in front of the desk append to X-Forwarded-For: 0 (the default) takes
    # the client address from the connection; behind one proxy that overwrites the header, 1.
    proxy_count: int
    # Inbound e-mail: the SMTP listener's HOST:PORT, the addresses it takes mail for (comma
    # separated), the largest mail it accepts, and an optional IMAP mailbox to poll
    # (imaps://user:password@host:993/INBOX).
    smtpd_addr: str
    desk_addresses: list[str]
    email_max_bytes: int
    imap_url: str
    # An API `Idempotency-Key` is kept this many hours; then a periodic task deletes it and the same
    # key is a new request.
    idempotency_key_hours: int
    # Where customers reach the desk (scheme, host, port): the links in the desk's own e-mails
    # (a closing message's rating link) start with it.
    public_url: str = "http://127.0.0.1:8000"
    # The at-risk rules' thresholds by name (`AT_RISK_DEFAULTS`).
    at_risk: dict[str, int] = field(default_factory=lambda: dict(AT_RISK_DEFAULTS))


def _secret_key(data_dir: Path) -> str:
    """The configured key, or a per-install key kept in the data folder: safe defaults without a
    setup step."""
    secret = os.environ.get("CAREDESK_SECRET_KEY", "")
    if secret:
        return secret
    data_dir.mkdir(parents=True, exist_ok=True)
    key_file = data_dir / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _production(*, debug: bool, secret: str) -> bool:
    """Whether this is production; refuses to start with a setting that is unsafe there."""
    production = _bool("CAREDESK_PRODUCTION", False)
    if production:
        _check_production(debug=debug, secret=secret)
        if os.environ.get("CAREDESK_DEMO_MAILBOX"):
            # The demo mailbox shows every mail the desk sends (sign-up and reset links) to anyone.
            raise ImproperlyConfigured("CAREDESK_DEMO_MAILBOX is for the demo, not production")
    return production


# size: one line per setting, a flat table read top to bottom; it grows with every new setting.
def load() -> Config:
    data_dir = Path(os.environ.get("CAREDESK_DATA_DIR", REPO_ROOT / "data")).resolve()
    debug = _bool("CAREDESK_DEBUG", False)
    secret = _secret_key(data_dir)
    production = _production(debug=debug, secret=secret)
    hosts = os.environ.get("CAREDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    return Config(
        debug=debug,
        secret_key=secret,
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL", ""),
        redis_url=os.environ.get("CAREDESK_REDIS_URL", ""),
        allowed_hosts=[h.strip() for h in hosts.split(",") if h.strip()],
        max_message_chars=_int("CAREDESK_MAX_MESSAGE_CHARS", 20_000),
        max_attachment_bytes=_int("CAREDESK_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024),
        emotion_engine=os.environ.get("CAREDESK_EMOTION_ENGINE", ""),
        # No second reading by default: minilm adds nothing on real text over the polar engine
        # on arrival (docs/emotion-training.md); name an engine here to re-read in the background.
        emotion_refine_engine=os.environ.get("CAREDESK_EMOTION_REFINE_ENGINE", ""),
        minilm_dir=_optional_path("CAREDESK_MINILM_DIR"),
        shared_data=_optional_path("CAREDESK_SHARED_DATA"),
        coach_rules_file=_existing_file("CAREDESK_COACH_RULES_FILE"),
        huey_immediate=_bool("CAREDESK_HUEY_IMMEDIATE", False),
        email_host=os.environ.get("CAREDESK_EMAIL_HOST", "localhost"),
        email_port=_int("CAREDESK_EMAIL_PORT", 25),
        # The desk's mails ask for answers here; by default the address its listener takes.
        default_from_email=os.environ.get("CAREDESK_FROM_EMAIL", "support@demo.caredesk.test"),
        demo_mailbox=_optional_path("CAREDESK_DEMO_MAILBOX"),
        production=production,
        hsts_seconds=_int("CAREDESK_HSTS_SECONDS", 365 * 24 * 3600),
        web_workers=_positive("CAREDESK_WEB_WORKERS", 3),
        web_threads=_positive("CAREDESK_WEB_THREADS", 2),
        web_timeout=_positive("CAREDESK_WEB_TIMEOUT", 30),
        model_threads=_positive("CAREDESK_MODEL_THREADS", 1),
        worker_nice=_nice("CAREDESK_WORKER_NICE", 10),
        task_audit_log=_optional_path("CAREDESK_TASK_AUDIT_LOG"),
        session_idle_hours=_positive("CAREDESK_SESSION_IDLE_HOURS", 12),
        login_failure_limit=_positive("CAREDESK_LOGIN_FAILURE_LIMIT", 10),
        login_cooloff_minutes=_positive("CAREDESK_LOGIN_COOLOFF_MINUTES", 15),
        webhook_allow_networks=_networks("CAREDESK_WEBHOOK_ALLOW_NETWORKS"),
        webhook_timeout=_positive("CAREDESK_WEBHOOK_TIMEOUT", 10),
        proxy_count=_not_negative("CAREDESK_PROXY_COUNT", 0),
        smtpd_addr=os.environ.get("CAREDESK_SMTPD", "127.0.0.1:2525"),
        desk_addresses=[
            a.strip().lower()
            for a in os.environ.get("CAREDESK_DESK_ADDRESSES", DESK_ADDRESS).split(",")
            if a.strip()
        ],
        email_max_bytes=_positive("CAREDESK_EMAIL_MAX_BYTES", 25 * 1024 * 1024),
        imap_url=os.environ.get("CAREDESK_IMAP_URL", ""),
        idempotency_key_hours=_positive("CAREDESK_IDEMPOTENCY_KEY_HOURS", 24),
        public_url=os.environ.get("CAREDESK_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        at_risk={
            name: _int(f"CAREDESK_AT_RISK_{name.upper()}", default)
            for name, default in AT_RISK_DEFAULTS.items()
        },
    )
