"""Coaching drafts with the desk's rules, and keeping saved replies caring."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from caredesk.empathy.coaching import Finding, RuleSet, coach, default_rules, load_rules
from caredesk.people.models import Team, User
from caredesk.replies.models import CoachOutcome, CoachRule, SavedReply
from caredesk.replies.placeholders import placeholders_check, placeholders_fill
from caredesk.text import clean_line, clean_text

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


def saved_reply_check(body: str) -> None:
    """A body may use only the known placeholders, as plain ``{name}``."""
    placeholders_check(body)


@transaction.atomic
def saved_reply_save(
    *, title: str, body: str, team: Team | None, author: User, reply: SavedReply | None = None
) -> SavedReply:
    """Save a team's stock answer, with the coach's findings so the team can make it caring."""
    title = clean_line(title, field="title", max_chars=120)
    body = clean_text(body, field="body")
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
    """Fill the placeholders with the conversation's facts; never a format spec or a width."""
    return placeholders_fill(reply.body, values)


MAX_SHOWN = 60  # rule ids a draft can carry; more is not a draft an agent wrote
_RULE_ID = re.compile(r"^[\w.\-]{1,100}$")


def shown_rules(value: str | Iterable[str]) -> list[str]:
    """The rule ids the coach showed while a draft was written, as the reply box carries them
    (space-separated, from the browser): anything that is not a rule id is dropped."""
    tokens = value.split() if isinstance(value, str) else value
    return list(dict.fromkeys(t for t in tokens if _RULE_ID.match(t)))[:MAX_SHOWN]


def coach_outcomes_record(
    *,
    author: User,
    at: datetime,
    findings: Iterable[Mapping[str, Any]],
    shown: Collection[str] = (),
) -> list[CoachOutcome]:
    """Record what the agent did with the coach on one sent reply, for coaching over time.

    A finding still in the sent text was ignored; a rule the coach showed on the draft that no
    longer fires on the sent text was accepted (a rewrite applied, or the words changed by
    hand). Rule ids the desk does not know are dropped: the browser sends them.
    """
    sent = {str(f.get("rule", "")): str(f.get("category", "")) for f in findings}
    sent.pop("", None)
    rules = coach_rules()
    accepted: dict[str, str] = {}
    for rule_id in shown_rules(shown):
        if rule_id in sent:
            continue
        try:
            accepted[rule_id] = rules.get(rule_id).category
        except KeyError:
            continue
    local = timezone.localtime(at).date()
    week = local - timedelta(days=local.weekday())
    rows = [
        CoachOutcome(
            author=author,
            at=at,
            week=week,
            category=category[:40],
            rule=rule[:100],
            accepted=is_accepted,
        )
        for is_accepted, found in ((False, sent), (True, accepted))
        for rule, category in found.items()
    ]
    return CoachOutcome.objects.bulk_create(rows)
