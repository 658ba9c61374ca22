"""Care automation's own rows: SLA policies, a team's business hours, and the SLA mail outbox.

What happened to a conversation (warned, breached, returned) is an `Event` on it; these rows
hold only the team's settings and the mails still to send, so the periodic task keeps nothing in
memory and decides every action from what is stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from caredesk.conversations.models import Event
from caredesk.people.models import Severity, Team


def week_default() -> list[list[str] | None]:
    """Monday to Friday, 09:00 to 17:00; closed at the weekend."""
    return [["09:00", "17:00"]] * 5 + [None, None]


class BusinessHours(models.Model):
    """When a team's SLA clock runs: its opening hours per weekday, in its time zone, but for
    holidays. A team without a row runs its clock around the clock (UTC, every day)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="business_hours")
    time_zone = models.CharField(max_length=64, default="UTC")
    week = models.JSONField(
        default=week_default,
        help_text='Seven entries, Monday first: ["09:00", "17:00"], or null when closed.',
    )
    holidays = models.JSONField(default=list, blank=True, help_text='Dates: ["2026-12-25"].')
    warn_minutes = models.PositiveIntegerField(
        default=30, help_text="Warn the owner this much business time before a breach."
    )
    owner_answer_minutes = models.PositiveIntegerField(
        default=240,
        help_text="A conversation whose owner has not answered in this much business time "
        "goes back to the queue.",
    )

    class Meta:
        verbose_name_plural = "business hours"

    def __str__(self) -> str:
        return f"Business hours of {self.team}"


class SlaTarget(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"


class SlaPolicy(models.Model):
    """How soon a team answers and resolves at one severity, in business minutes, counted from
    when these targets took effect: a policy set today never judges yesterday (care/sla.py)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="sla_policies")
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    first_response_minutes = models.PositiveIntegerField()
    next_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    effective_from = models.DateTimeField(
        null=True,
        blank=True,
        default=timezone.now,
        help_text="When these targets took effect (set on creation and on a change of targets); "
        "no clock counts before it. Empty on a policy saved before this was recorded: it "
        "counts from each conversation's start.",
    )

    class Meta:
        ordering = ["team", "-severity"]
        constraints = [
            models.UniqueConstraint(fields=["team", "severity"], name="sla_policy_team_severity"),
            models.CheckConstraint(
                condition=models.Q(
                    first_response_minutes__gt=0,
                    next_response_minutes__gt=0,
                    resolution_minutes__gt=0,
                ),
                name="sla_policy_targets_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.get_severity_display()}"

    def minutes(self, target: str) -> int:
        return int(getattr(self, f"{target}_minutes"))


class NoticeState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class SlaNotice(models.Model):
    """The e-mail an SLA event sends (a warning to the owner, a breach to the leads), written in
    the same transaction as its event: the mail exists exactly when the event does, and the
    sender claims it before sending, so a second run never sends it again."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="sla_notice")
    recipients = models.JSONField(default=list)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=NoticeState.choices, default=NoticeState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"], name="sla_notice_state")]

    def __str__(self) -> str:
        return self.subject


class UpdateTemplate(models.Model):
    """The status update a team's waiting customers get (care/updates.py), in the team's words;
    the reply coach's findings are kept from when it was saved and shown where it is edited."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="update_template")
    text = models.TextField(max_length=2000)
    findings = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Status update of {self.team}"


class OutreachOutcome(models.TextChoices):
    """How reaching out to an at-risk customer went; an open task has none yet."""

    REACHED = "reached", "Reached"
    RECOVERED = "recovered", "Recovered"
    LOST = "lost", "Lost"


class OutreachRule(models.TextChoices):
    """Why a customer looks at risk: the rules of care/outreach.py, each with a plain name."""

    NEGATIVE_UNRESOLVED = "negative_unresolved", "Negative reading left unresolved"
    LONG_WAIT = "long_wait", "Long wait"
    REOPENED = "reopened", "Reopened"
    ABANDONED_PORTAL = "abandoned_portal", "Abandoned portal conversation"
    LOW_RATING = "low_rating", "Low rating"
    SILENT_AFTER_BAD = "silent_after_bad", "Silence after a bad experience"
    PEOPLE_PER_PROBLEM = "people_per_problem", "Several people per problem"


class OutreachTask(models.Model):
    """An agent is asked to reach out to a customer who looks unhappy and silent (care/outreach.py
    says why). One open task per customer: a new reason joins it rather than opening another."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="outreach_tasks"
    )
    agent = models.ForeignKey(
        "people.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outreach_tasks",
        help_text="Who reaches out; none when no agent of the team can (leads see it).",
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        related_name="outreach_tasks",
        help_text="Its first reason's conversation: the history one click away.",
    )
    opened_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=OutreachOutcome.choices, blank=True)
    note = models.TextField(max_length=2000, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["opened_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(outcome=""),
                name="outreach_one_open_per_customer",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome="", closed_at__isnull=True)
                | (~models.Q(outcome="") & models.Q(closed_at__isnull=False)),
                name="outreach_closed_with_outcome",
            ),
        ]
        indexes = [
            models.Index(fields=["outcome", "opened_at"], name="outreach_state"),
            models.Index(fields=["agent", "outcome"], name="outreach_agent"),
            # The insights' "at-risk customers reached" reads tasks by the period they opened in.
            models.Index(fields=["opened_at"], name="outreach_opened"),
        ]

    def __str__(self) -> str:
        return f"Outreach to {self.customer}"

    @property
    def is_open(self) -> bool:
        return not self.outcome


class OutreachReason(models.Model):
    """One rule's finding about a customer, kept once: its `key` names what it saw (an event, a
    rating, a message), so the periodic task never records the same finding twice."""

    task = models.ForeignKey(OutreachTask, on_delete=models.CASCADE, related_name="reasons")
    rule = models.CharField(max_length=30, choices=OutreachRule.choices)
    key = models.CharField(max_length=100, unique=True)
    reason = models.CharField(max_length=300)
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    event = models.OneToOneField(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="outreach_reason"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.reason
