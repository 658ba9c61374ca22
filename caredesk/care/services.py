"""Writes for SLA timers: a team's policies and hours, and the periodic SLA check.

The check is safe to run twice or to die half-way: each conversation is decided again from its
stored events inside a transaction that holds its row, and each warning, breach or return is
an event recorded in that transaction (with its e-mail, `SlaNotice`), so what was done once is
seen and never done again. Mail leaves after the commit, each notice claimed before it is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from caredesk.care import selectors, sla
from caredesk.care.business_hours import hours_parse
from caredesk.care.models import BusinessHours, NoticeState, SlaNotice, SlaPolicy, SlaTarget
from caredesk.channels.email.outbound import desk_address, mail_send, new_message_id
from caredesk.conversations import lifecycle
from caredesk.conversations.events import plan_record
from caredesk.conversations.models import NOT_DONE_STATUSES, Conversation, Event
from caredesk.people.models import Agent, Role, Severity, Team
from caredesk.people.selectors import may_manage_teams

log = logging.getLogger(__name__)

# A notice claimed this long ago and never marked sent: its sender died; it is tried again.
STUCK_AFTER = timedelta(minutes=10)
NOTICE_ATTEMPTS = 5

Targets = tuple[int, int, int]  # first response, next response, resolution (business minutes)


# --- settings ------------------------------------------------------------------------------------


def _positive(value: object, field: str, label: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValidationError({field: f"{label} must be a whole number of minutes above 0."})
    return value


@transaction.atomic
def sla_settings_save(
    *,
    team: Team,
    actor: Agent,
    time_zone: str,
    week: list[list[str] | None],
    holidays: list[str],
    warn_minutes: int,
    owner_answer_minutes: int,
    policies: Mapping[int, Targets | None],
) -> BusinessHours:
    """A lead sets a team's business hours and its targets per severity (None: no target at
    that severity). Everything is checked first; nothing is saved unless all of it is right.
    A new policy, or one whose targets change, takes effect now: its clocks count from this
    moment, never retroactively (care/sla.py); saving the same targets again keeps their start."""
    if not may_manage_teams(actor):
        raise PermissionDenied("Only leads and admins set a team's SLA.")
    hours = hours_parse(time_zone=time_zone, week=week, holidays=holidays)
    _positive(warn_minutes, "warn_minutes", "The warning")
    _positive(owner_answer_minutes, "owner_answer_minutes", "The owner's time to answer")
    for severity, targets in policies.items():
        if severity not in Severity.values:
            raise ValidationError({"__all__": f"{severity} is not a severity."})
        if targets is not None:
            label = Severity(severity).label
            for target, minutes in zip(SlaTarget, targets, strict=True):
                _positive(minutes, f"{target.value}_{severity}", f"{label}: {target.label}")
    row, _ = BusinessHours.objects.select_for_update().get_or_create(team=team)
    row.time_zone = str(hours.zone.key)
    row.week = [list(day) if day else None for day in week]
    row.holidays = sorted(d.isoformat() for d in hours.holidays)
    row.warn_minutes = warn_minutes
    row.owner_answer_minutes = owner_answer_minutes
    row.full_clean()
    row.save()
    _policies_save(team=team, policies=policies)
    return row


def _policies_save(*, team: Team, policies: Mapping[int, Targets | None]) -> None:
    """Save a team's checked targets: a new policy, or one whose targets change, takes effect
    now; the same targets saved again keep when they took effect."""
    now = timezone.now()
    for severity, targets in policies.items():
        if targets is None:
            SlaPolicy.objects.filter(team=team, severity=severity).delete()
            continue
        policy = SlaPolicy.objects.filter(team=team, severity=severity).first() or SlaPolicy(
            team=team, severity=severity
        )
        before = (
            policy.first_response_minutes,
            policy.next_response_minutes,
            policy.resolution_minutes,
        )
        if policy.pk is None or before != tuple(targets):
            (
                policy.first_response_minutes,
                policy.next_response_minutes,
                policy.resolution_minutes,
            ) = targets
            policy.effective_from = now
        policy.full_clean()
        policy.save()


# A desk's starting point (first response, next response, resolution in business minutes),
# stricter as the severity rises: what a new team (and each demo team) gets until a lead
# changes it at /care/sla/.
DEFAULT_TARGETS: dict[int, Targets] = {
    Severity.LOW: (8 * 60, 16 * 60, 10 * 8 * 60),
    Severity.NORMAL: (4 * 60, 8 * 60, 5 * 8 * 60),
    Severity.HIGH: (60, 2 * 60, 2 * 8 * 60),
    Severity.URGENT: (15, 30, 4 * 60),
}
DEFAULT_WEEK: list[list[str] | None] = [["09:00", "17:00"]] * 5 + [None, None]


def sla_defaults_save(*, teams: Iterable[Team], actor: Agent, time_zone: str = "UTC") -> None:
    """Give teams the desk's default SLA (office hours Monday to Friday in the time zone, the
    targets above at every severity) through the same checks as a lead's settings."""
    for team in teams:
        sla_settings_save(
            team=team,
            actor=actor,
            time_zone=time_zone,
            week=DEFAULT_WEEK,
            holidays=[],
            warn_minutes=30,
            owner_answer_minutes=240,
            policies=dict(DEFAULT_TARGETS),
        )


# --- the periodic check ----------------------------------------------------------------------


def sla_sweep(*, at: datetime | None = None) -> int:
    """Act on every open conversation with an SLA action due, then send the notices. Returns
    how many conversations were acted on."""
    now = at or timezone.now()
    acted = 0
    for pk in selectors.sla_due_ids(at=now):
        if sla_apply(conversation_id=pk, at=now):
            acted += 1
    notices_send(at=now)
    return acted


@transaction.atomic
def sla_apply(*, conversation_id: int, at: datetime) -> list[Event]:
    """Lock one conversation, decide again from its stored events what is due, and record it:
    a warning (event and mail to the owner), a breach (event, severity one step up, mail to the
    leads), a return to the queue (event, owner cleared)."""
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("owner__user", "team", "customer")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None or conversation.status not in NOT_DONE_STATUSES:
        return []
    team = selectors.team_sla([conversation.team_id]).get(conversation.team_id or 0)
    if team is None:
        return []
    marks = selectors.marks_of([conversation.pk])[conversation.pk]
    recorded: list[Event] = []
    for action in selectors.conversation_actions(conversation, marks, team, at=at):
        recorded += _act(conversation, action, at=at)
    return recorded


def _act(conversation: Conversation, action: sla.Action, *, at: datetime) -> list[Event]:
    label = SlaTarget(action.target).label if action.target else ""
    if action.kind == "warn":
        due = action.due or at
        events = plan_record(
            lifecycle.sla_warned(
                conversation, target=action.target, cycle=action.cycle, due=due, at=at
            )
        )
        owner = conversation.owner
        if owner is not None and owner.user.email:
            _notice(
                events[0],
                [owner.user.email],
                f"[Caredesk] SLA near: #{conversation.pk} {conversation.subject}",
                f"{label} for #{conversation.pk} ({conversation.customer.name}) is due "
                f"{due:%Y-%m-%d %H:%M} UTC. Please answer before then.\n\n"
                f"{conversation.get_absolute_url()}\n",
                at,
            )
        return events
    if action.kind == "breach":
        over = max(1, int(action.over.total_seconds() // 60))
        events = plan_record(
            lifecycle.sla_breached(
                conversation,
                target=action.target,
                cycle=action.cycle,
                over_minutes=over,
                at=at,
                left=action.left,
            )
        )
        leads = _lead_addresses()
        if leads:
            _notice(
                events[0],
                leads,
                f"[Caredesk] SLA breached: #{conversation.pk} {conversation.subject}",
                f"{label} target of #{conversation.pk} ({conversation.customer.name}) was "
                f"missed by {over} min. Its severity is now "
                f"{conversation.get_severity_display().lower()}.\n\n"
                f"{conversation.get_absolute_url()}\n",
                at,
            )
        return events
    owner = conversation.owner
    minutes = int(action.over.total_seconds() // 60)
    reason = f"{owner} did not answer within the team's limit" + (
        f" (over by {minutes} min)" if minutes else ""
    )
    return plan_record(lifecycle.returned(conversation, at=at, reason=reason))


def _lead_addresses() -> list[str]:
    return list(
        Agent.objects.filter(role__in=(Role.LEAD, Role.ADMIN), user__is_active=True)
        .exclude(user__email="")
        .order_by("pk")
        .values_list("user__email", flat=True)
    )


def _notice(event: Event, to: list[str], subject: str, body: str, at: datetime) -> None:
    SlaNotice.objects.create(
        event=event, recipients=to, subject=subject[:200], body=body, created_at=at
    )


def notices_send(*, at: datetime | None = None, limit: int = 200) -> int:
    """Send the SLA notices not sent yet. Each is claimed first (queued → sending, a
    compare-and-set), so two runs never send the same one; one whose sender died mid-way is
    tried again after `STUCK_AFTER`. Returns how many were sent."""
    now = at or timezone.now()
    SlaNotice.objects.filter(state=NoticeState.SENDING, claimed_at__lt=now - STUCK_AFTER).update(
        state=NoticeState.QUEUED
    )
    sent = 0
    ids = SlaNotice.objects.filter(state=NoticeState.QUEUED).order_by("created_at", "pk")
    for pk in list(ids.values_list("pk", flat=True)[:limit]):
        claimed = SlaNotice.objects.filter(pk=pk, state=NoticeState.QUEUED).update(
            state=NoticeState.SENDING, attempts=F("attempts") + 1, claimed_at=now
        )
        if not claimed:
            continue
        notice = SlaNotice.objects.get(pk=pk)
        try:
            mail_send(_mail(notice))
        except Exception as exc:
            final = notice.attempts >= NOTICE_ATTEMPTS
            SlaNotice.objects.filter(pk=pk).update(
                state=NoticeState.FAILED if final else NoticeState.QUEUED,
                error=f"{type(exc).__name__}: {exc}"[:500],
            )
            log.warning("SLA notice %s not sent: %s", pk, exc)
            continue
        SlaNotice.objects.filter(pk=pk).update(
            state=NoticeState.SENT, sent_at=timezone.now(), error=""
        )
        sent += 1
    return sent


def _mail(notice: SlaNotice) -> EmailMessage:
    """A mail the desk writes by itself: marked so that auto-responders never answer it."""
    desk = desk_address()
    return EmailMessage(
        subject=notice.subject,
        body=notice.body,
        from_email=desk,
        to=list(notice.recipients),
        reply_to=[desk],
        headers={"Message-ID": new_message_id(), "Auto-Submitted": "auto-generated"},
    )
