"""Django settings. Values an operator can change come from `caredesk.config`, never from here."""

from __future__ import annotations

from datetime import timedelta

import dj_database_url

from caredesk import config

CONFIG = config.load()
BASE_DIR = config.REPO_ROOT
DEBUG = CONFIG.debug
SECRET_KEY = CONFIG.secret_key
ALLOWED_HOSTS = CONFIG.allowed_hosts

INSTALLED_APPS = [
    "caredesk.admin_site.DeskAdminConfig",  # Django's admin, open to leads (admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "ninja",  # serves the API docs' own Swagger UI files, so /api/docs works offline
    "huey.contrib.djhuey",
    "axes",  # counts failed logins on every login form, the admin's included
    "caredesk.people",
    "caredesk.customers",
    "caredesk.conversations",
    "caredesk.channels",
    "caredesk.insights",
    "caredesk.care",
    "caredesk.knowledge",
    "caredesk.replies",
    "caredesk.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "caredesk.channels.middleware.SessionIdleMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during authentication into the page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "caredesk.urls"
WSGI_APPLICATION = "caredesk.wsgi.application"
AUTH_USER_MODEL = "people.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sections the desk's search adds after conversations and customers (conversations/search.py):
# apps above conversations plug theirs in here instead of being imported by it.
SEARCH_SECTIONS = ["caredesk.knowledge.search_section.article_section"]
# Axes first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed logins are counted per account and, separately, per client address, so neither guessing
# one account's password from many addresses nor many accounts' from one address gets far. The
# address is REMOTE_ADDR unless CAREDESK_PROXY_COUNT says how many proxies append to
# X-Forwarded-For (behind a proxy every client would otherwise share the proxy's address and be
# locked out together); set it only when the proxy overwrites that header from clients.
CAREDESK_PROXY_COUNT = CONFIG.proxy_count
AXES_CLIENT_IP_CALLABLE = "caredesk.channels.accounts.client_address"
AXES_FAILURE_LIMIT = CONFIG.login_failure_limit
AXES_COOLOFF_TIME = timedelta(minutes=CONFIG.login_cooloff_minutes)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "caredesk.channels.accounts.login_username"
AXES_LOCKOUT_CALLABLE = "caredesk.channels.accounts.lockout_response"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "caredesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "caredesk.people.context_processors.role",
            ],
        },
    },
]

if CONFIG.database_url:
    DATABASES = {"default": dj_database_url.parse(CONFIG.database_url, conn_max_age=60)}
else:
    CONFIG.data_dir.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(CONFIG.data_dir / "caredesk.sqlite3"),
            "OPTIONS": {
                # WAL lets readers and one writer work at once; IMMEDIATE avoids lock upgrades
                # failing mid-transaction when two requests write.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    # Compares the password with the user's email address and names.
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
# English only for now: without i18n, every lazy label (choices, messages) skips the per-call
# translation lookup, which was a sixth of an inbox render.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = CONFIG.data_dir / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves `collectstatic` output from here
STATICFILES_DIRS = [BASE_DIR / "caredesk" / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # The charts' plotly.js, straight from the installed plotly package (works offline).
    "caredesk.insights.staticfiles.PlotlyFinder",
]
MEDIA_URL = "media/"
MEDIA_ROOT = CONFIG.data_dir / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# WhiteNoise finds static files in the apps at start-up, so gunicorn serves them with DEBUG off and
# without a `collectstatic` step; re-scanning on every request is for development only.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = CONFIG.debug
DATA_UPLOAD_MAX_MEMORY_SIZE = CONFIG.max_attachment_bytes + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
# A session ends after this long without a request (idle, not absolute): SessionIdleMiddleware
# pushes the expiry on at most every CAREDESK_SESSION_REFRESH_SECONDS, so reading pages does not
# write the session row on every request (SESSION_SAVE_EVERY_REQUEST would).
SESSION_COOKIE_AGE = CONFIG.session_idle_hours * 3600
CAREDESK_SESSION_REFRESH_SECONDS = min(300, SESSION_COOKIE_AGE // 4)
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Only our own files run: no inline script or style, no eval, no framing (docs/deploy.md). The API
# docs' Swagger UI draws its icons from data: URIs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if CONFIG.production:
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_HSTS_SECONDS = CONFIG.hsts_seconds
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

if CONFIG.redis_url:
    HUEY: dict[str, object] = {
        "huey_class": "caredesk.taskqueue.SharedScheduleRedisHuey",
        "name": "caredesk",
        "url": CONFIG.redis_url,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "caredesk",
        "filename": str(CONFIG.data_dir / "huey.sqlite3"),
    }
# Immediate mode runs tasks in-process (tests, or a desk without a worker).
HUEY["immediate"] = CONFIG.huey_immediate

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# The demo keeps every outgoing mail in a local mailbox shown at /demo/mailbox/ (None: no page).
CAREDESK_DEMO_MAILBOX = str(CONFIG.demo_mailbox) if CONFIG.demo_mailbox else None
if CAREDESK_DEMO_MAILBOX:
    EMAIL_BACKEND = "caredesk.channels.email.backends.MaildirBackend"
EMAIL_HOST = CONFIG.email_host
EMAIL_PORT = CONFIG.email_port
EMAIL_TIMEOUT = 30  # a mail server that hangs fails the attempt, and the task retries it later
DEFAULT_FROM_EMAIL = CONFIG.default_from_email

CAREDESK_MAX_MESSAGE_CHARS = CONFIG.max_message_chars
CAREDESK_MAX_ATTACHMENT_BYTES = CONFIG.max_attachment_bytes
CAREDESK_EMOTION_ENGINE = CONFIG.emotion_engine
CAREDESK_EMOTION_REFINE_ENGINE = CONFIG.emotion_refine_engine
CAREDESK_MINILM_DIR = CONFIG.minilm_dir  # handed to the empathy library, which reads no environment
CAREDESK_COACH_RULES_FILE = CONFIG.coach_rules_file
CAREDESK_TASK_AUDIT_LOG = CONFIG.task_audit_log
CAREDESK_IDEMPOTENCY_KEY_HOURS = CONFIG.idempotency_key_hours
CAREDESK_WEBHOOK_ALLOW_NETWORKS = CONFIG.webhook_allow_networks
CAREDESK_WEBHOOK_TIMEOUT = CONFIG.webhook_timeout
CAREDESK_SMTPD = CONFIG.smtpd_addr
CAREDESK_DESK_ADDRESSES = CONFIG.desk_addresses
CAREDESK_EMAIL_MAX_BYTES = CONFIG.email_max_bytes
CAREDESK_IMAP_URL = CONFIG.imap_url
CAREDESK_PUBLIC_URL = CONFIG.public_url
CAREDESK_AT_RISK = CONFIG.at_risk  # the at-risk rules' thresholds (care/outreach.py)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
