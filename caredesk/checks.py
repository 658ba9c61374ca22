"""Django system checks for the settings an operator can get wrong.

`caredesk serve` and `caredesk demo` run them before touching the database and refuse to start on
an error, so a typo in an engine name or a broken rules file is said plainly at start-up instead
of failing later inside a request or a background task. The ids are stable (`docs/deploy.md`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.validators import validate_email

E_ENGINE = "caredesk.E001"
E_REFINE_ENGINE = "caredesk.E002"
E_COACH_RULES = "caredesk.E003"
E_FROM_EMAIL = "caredesk.E004"
E_EMAIL_PORT = "caredesk.E005"
E_REDIS_URL = "caredesk.E006"
# Inbound mail's checks (E011-E013) are the channels app's: caredesk/channels/email/checks.py.
W_REFINE_MODEL = "caredesk.W001"
W_FROM_NOT_DESK = "caredesk.W021"  # outbound mail (W021-: apart from the rest)


def _engine_problem(path: str) -> str | None:
    from caredesk.empathy.emotion import get_engine

    try:
        get_engine(path or None, model_dir=settings.CAREDESK_MINILM_DIR)
    except Exception as exc:  # an import, attribute or type error: all mean "cannot build it"
        return f"{type(exc).__name__}: {exc}"
    return None


@register("caredesk")
def emotion_engines_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Both emotion engines must build; the refine engine's model weights may be missing (the
    desk then keeps the first reading and says so)."""
    from caredesk.empathy.emotion import ENGINES

    found: list[CheckMessage] = []
    names = ", ".join(ENGINES)
    engine = settings.CAREDESK_EMOTION_ENGINE
    problem = _engine_problem(engine)
    if problem:
        found.append(
            Error(
                f"CAREDESK_EMOTION_ENGINE={engine!r} cannot be used ({problem}).",
                hint=f"Name one of {names}, or a dotted path to an engine class.",
                id=E_ENGINE,
            )
        )
    refine = settings.CAREDESK_EMOTION_REFINE_ENGINE
    if refine:
        problem = _engine_problem(refine)
        if problem:
            found.append(
                Error(
                    f"CAREDESK_EMOTION_REFINE_ENGINE={refine!r} cannot be used ({problem}).",
                    hint=f"Name one of {names}, a dotted path, or set it empty to turn it off.",
                    id=E_REFINE_ENGINE,
                )
            )
        else:
            found += _refine_model_check(refine)
    return found


def _refine_model_check(path: str) -> list[CheckMessage]:
    from caredesk.empathy.emotion import get_engine
    from caredesk.empathy.emotion.minilm import ModelMissing

    try:
        getattr(get_engine(path, model_dir=settings.CAREDESK_MINILM_DIR), "ready", lambda: None)()
    except ModelMissing as exc:
        return [
            Warning(
                f"The refine engine's model is missing: {exc}",
                hint="Readings stay those of the first engine until it is installed.",
                id=W_REFINE_MODEL,
            )
        ]
    return []


@register("caredesk")
def coach_rules_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The team's rules file must load and its rules must pass their own examples."""
    from caredesk.empathy.coaching import check_examples, default_rules, load_rules

    path = settings.CAREDESK_COACH_RULES_FILE
    if path is None:
        return []
    try:
        ruleset = load_rules(extra_paths=[path])
        shipped = {rule.id for rule in default_rules().rules}
        problems = check_examples(ruleset, [r.id for r in ruleset.rules if r.id not in shipped])
    except Exception as exc:  # a file that does not parse, or a pattern that does not compile
        problems = [str(exc)]
    if not problems:
        return []
    return [
        Error(
            f"CAREDESK_COACH_RULES_FILE {str(path)!r} cannot be used: {'; '.join(problems)}",
            hint="Fix the rule it names; each rule must pass its own examples.",
            id=E_COACH_RULES,
        )
    ]


@register("caredesk")
def email_settings_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    try:
        validate_email(settings.DEFAULT_FROM_EMAIL)
    except Exception:
        found.append(
            Error(
                f"CAREDESK_FROM_EMAIL={settings.DEFAULT_FROM_EMAIL!r} is not an e-mail address.",
                id=E_FROM_EMAIL,
            )
        )
    if not 1 <= int(settings.EMAIL_PORT) <= 65535:
        found.append(
            Error(f"CAREDESK_EMAIL_PORT={settings.EMAIL_PORT} is not a port.", id=E_EMAIL_PORT)
        )
    return found


@register("caredesk")
def redis_url_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    url = settings.CONFIG.redis_url
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        return [
            Error(
                f"CAREDESK_REDIS_URL={url!r} is not a Redis URL.",
                hint="For example redis://127.0.0.1:6379/0.",
                id=E_REDIS_URL,
            )
        ]
    return []


@register("caredesk")
def reply_address_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The desk's mails ask for answers at CAREDESK_FROM_EMAIL (their Reply-To); an address the
    desk's own listener refuses would bounce every customer's answer."""
    addresses = {a.lower() for a in settings.CAREDESK_DESK_ADDRESSES}
    if addresses and settings.DEFAULT_FROM_EMAIL.lower() not in addresses:
        return [
            Warning(
                f"CAREDESK_FROM_EMAIL={settings.DEFAULT_FROM_EMAIL!r} is not one of "
                "CAREDESK_DESK_ADDRESSES, so `caredesk smtpd` refuses customers' answers to it.",
                hint="Add it to CAREDESK_DESK_ADDRESSES, unless another server receives it "
                "(IMAP polling).",
                id=W_FROM_NOT_DESK,
            )
        ]
    return []
