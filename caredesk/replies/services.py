"""Coaching drafts with the desk's rules, and keeping saved replies caring."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max

from caredesk.empathy.coaching import Finding, RuleSet, coach, default_rules, load_rules
from caredesk.people.models import Team, User
from caredesk.replies.models import CoachRule, SavedReply

PLACEHOLDERS = {
    "customer_name": "the customer's full name",
    "customer_first_name": "the customer's first name",
    "agent_name": "your name",
    "agent_first_name": "your first name",
    "conversation_id": "the conversation number",
    "subject": "the conversation's subject",
    "team": "the conversation's team",
}

_rules_cache: dict[str, Any] = {"key": None, "rules": None}


def coach_rules() -> RuleSet:
    """The shipped rules, the team's rules file, and the leads' rules from the admin.

    Compiling takes tens of milliseconds, so the set is rebuilt only when those rules change.
    """
    state = CoachRule.objects.aggregate(n=Count("pk"), latest=Max("updated_at"))
    path = settings.CAREDESK_COACH_RULES_FILE
    if not state["n"] and path is None:
        return default_rules()
    key = (state["n"], state["latest"], path, path.stat().st_mtime if path else None)
    if _rules_cache["key"] != key:
        extra = [r.as_rule() for r in CoachRule.objects.all()]
        _rules_cache["rules"] = load_rules(extra_paths=[path] if path else [], extra_rules=extra)
        _rules_cache["key"] = key
    rules: RuleSet = _rules_cache["rules"]
    return rules


def draft_coach(draft: str, context: Mapping[str, Any] | None = None) -> list[Finding]:
    return coach(draft, context, rules=coach_rules())


def _fields(body: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(body) if name is not None}
    except ValueError as exc:
        raise ValidationError(
            {"body": f"A brace is not closed: {exc}. Write {{{{ for a literal brace."}
        ) from exc


def saved_reply_check(body: str) -> None:
    unknown = _fields(body) - set(PLACEHOLDERS)
    if unknown:
        known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        raise ValidationError(
            {"body": f"Unknown placeholder {', '.join(sorted(unknown))}. You can use {known}."}
        )


@transaction.atomic
def saved_reply_save(
    *, title: str, body: str, team: Team | None, author: User, reply: SavedReply | None = None
) -> SavedReply:
    """Save a team's stock answer, with the coach's findings so the team can make it caring."""
    title = " ".join(title.split())
    body = body.strip()
    if not title or not body:
        raise ValidationError({"body": "A saved reply needs a title and a text."})
    saved_reply_check(body)
    reply = reply or SavedReply(created_by=author)
    reply.title, reply.body, reply.team = title, body, team
    reply.findings = [f.to_dict() for f in draft_coach(body)]
    reply.full_clean()
    reply.save()
    return reply


def saved_reply_render(reply: SavedReply, values: Mapping[str, str]) -> str:
    """Fill the placeholders with the conversation's facts."""
    return reply.body.format_map({k: values.get(k, "") for k in PLACEHOLDERS})
