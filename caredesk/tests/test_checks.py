"""The desk's system checks name each setting that cannot work, with a stable id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks

from caredesk import checks


def ids(settings: Any) -> set[str]:
    return {m.id for m in run_checks(tags=["caredesk"]) if m.id}


def test_a_good_configuration_passes(settings: Any) -> None:
    settings.CAREDESK_EMOTION_ENGINE = "linear"
    settings.CAREDESK_EMOTION_REFINE_ENGINE = ""
    assert ids(settings) == set()


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("CAREDESK_EMOTION_ENGINE", "lineer", checks.E_ENGINE),
        ("CAREDESK_EMOTION_ENGINE", "caredesk.no.such.Engine", checks.E_ENGINE),
        ("CAREDESK_EMOTION_ENGINE", "caredesk.config.load", checks.E_ENGINE),  # not an engine
        ("CAREDESK_EMOTION_REFINE_ENGINE", "minilm2", checks.E_REFINE_ENGINE),
        ("DEFAULT_FROM_EMAIL", "support at example", checks.E_FROM_EMAIL),
        ("EMAIL_PORT", 70000, checks.E_EMAIL_PORT),
        ("DEFAULT_FROM_EMAIL", "help@elsewhere.example", checks.W_FROM_NOT_DESK),
    ],
)
def test_each_bad_setting_is_named(settings: Any, setting: str, value: Any, expected: str) -> None:
    setattr(settings, setting, value)
    found = ids(settings)
    assert expected in found
    message = next(m for m in run_checks(tags=["caredesk"]) if m.id == expected)
    assert str(value) in message.msg


def test_a_coach_rules_file_whose_rule_fails_its_own_examples(
    settings: Any, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(
        '{"rules": [{"id": "jargon", "category": "jargon", "reason": "Internal names.", '
        '"patterns": ["\\\\bL3 queue\\\\b"], "rewrites": ["our specialists"], '
        '"examples": {"fire": ["I escalated it."], "quiet": []}}]}'
    )
    settings.CAREDESK_COACH_RULES_FILE = rules
    assert checks.E_COACH_RULES in ids(settings)
    rules.write_text(rules.read_text().replace("I escalated it.", "It is in the L3 queue."))
    assert checks.E_COACH_RULES not in ids(settings)


def test_a_redis_url_that_is_not_one(settings: Any) -> None:
    settings.CONFIG = settings.CONFIG.__class__(
        **{**settings.CONFIG.__dict__, "redis_url": "localhost:6379"}
    )
    assert checks.E_REDIS_URL in ids(settings)
