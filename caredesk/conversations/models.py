"""Conversations (one customer problem each), their messages, events and ratings.

Every state change of a conversation is an `Event`; the timeline and metrics derive from events.
The columns on `Conversation` that repeat what events say (owner, status, timestamps) exist so the
inbox can be read with one indexed query.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from caredesk.customers.models import Customer
from caredesk.people.models import Agent, Severity, Team  # Severity: with teams' risk policies


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
    WAITING_ON_US = "waiting_on_us", "Waiting on us"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING_ON_US)
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)
NOT_DONE_STATUSES = (*ACTIVE_STATUSES, Status.WAITING_ON_CUSTOMER)


class Channel(models.TextChoices):
    PORTAL = "portal", "Portal"
    EMAIL = "email", "Email"
    API = "api", "API"


class Tag(models.Model):
    """A word agents put on conversations to find and work them together ("refund", "outage")."""

    name = models.CharField(max_length=40, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Conversation(models.Model):
    """One customer problem (a ticket), whichever channels it travels through."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="conversations")
    subject = models.CharField(max_length=200)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.NEW)
    # Derived by the database from `status`, never written: "not done" as one column, so the
    # inbox's partial indexes below (WHERE is_open) are walked in page order. SQLite uses a
    # partial index on `status IN (...)` only for literal values, and Django binds them.
    # Stored on PostgreSQL, virtual on SQLite (migration 0019: adding a stored column there
    # would rebuild the table and its search index).
    is_open = models.GeneratedField(
        expression=models.Q(status__in=NOT_DONE_STATUSES),  # type: ignore[arg-type]  # a Q works
        output_field=models.BooleanField(),
        db_persist=True,
    )
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.NORMAL)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    owner = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    created_at = models.DateTimeField()
    queued_at = models.DateTimeField(help_text="When it joined the queue; the fair queue's clock.")
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField()
    # No index: almost every row is NULL, and SQLite would pick such an index for every inbox.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged",
        db_index=False,
    )
    # The latest inbound reading, copied here so the inbox needs no extra query per row.
    emotion = models.CharField(max_length=20, blank=True)
    intensity = models.FloatField(null=True, blank=True)
    # Calibrated; below the engine's threshold the inbox says "mood unclear" instead of guessing.
    confidence = models.FloatField(null=True, blank=True)
    low_confidence = models.BooleanField(default=False)
    signals = models.JSONField(default=list, blank=True)
    # The strongest risk signal read since the conversation was last opened (lifecycle keeps it,
    # resolution clears it): the inbox row shows it after the customer's next, calmer message.
    risk_signal = models.CharField(max_length=30, blank=True)
    # Changed only by `services.conversation_tag` (one TAGGED event per change).
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "owner", "severity", "queued_at"], name="conv_queue"),
            # Partial: only open rows, and `WHERE is_open` (no parameter) always matches.
            models.Index(
                fields=["owner", "last_message_at"],
                condition=models.Q(is_open=True),
                name="conv_owner_open",
            ),
            models.Index(
                fields=["team", "last_message_at"],
                condition=models.Q(is_open=True),
                name="conv_team_open",
            ),
            # The fair queue, one band at a time (`queue.queue_parts`).
            models.Index(
                fields=["severity", "queued_at"],
                condition=models.Q(is_open=True, owner__isnull=True),
                name="conv_queue_open",
            ),
            models.Index(fields=["customer", "created_at"], name="conv_customer"),
            models.Index(fields=["created_at"], name="conv_created"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("desk:conversation", args=[self.pk])

    @property
    def is_done(self) -> bool:
        return self.status in DONE_STATUSES


class SavedView(models.Model):
    """An agent's own inbox view: one of the desk's views with the filters they chose, kept by
    name ("Refunds waiting over 4h") and shown beside the desk's views with its count."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=60)
    view = models.CharField(max_length=10)  # queue, mine, team or waiting
    query = models.CharField(max_length=500, blank=True, help_text="The filters, as a query.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "name"], name="saved_view_name_per_agent")
        ]

    def __str__(self) -> str:
        return self.name


class Direction(models.TextChoices):
    INBOUND = "inbound", "From the customer"
    OUTBOUND = "outbound", "To the customer"
    NOTE = "note", "Internal note"


class Delivery(models.TextChoices):
    """Where an outbound message's e-mail stands; empty when it is not mailed at all."""

    NONE = "", "Not mailed"
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Not delivered yet, retrying"
    FAILED = "failed", "Failed"


class Message(models.Model):
    """One message in a conversation; internal notes are never shown to the customer."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=10, choices=Direction.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    text = models.TextField()
    html = models.TextField(blank=True, help_text="Sanitized HTML, safe to render.")
    created_at = models.DateTimeField()
    external_id = models.CharField(max_length=255, blank=True, help_text="e.g. an email Message-ID")
    reading = models.JSONField(null=True, blank=True, help_text="The emotion reading (inbound).")
    findings = models.JSONField(null=True, blank=True, help_text="Coach findings when sent.")
    # The e-mail of an outbound message (channels/email/outbound.py): shown beside the reply, so
    # a mail that cannot be delivered is never lost silently.
    delivery_status = models.CharField(
        max_length=10, choices=Delivery.choices, default=Delivery.NONE, blank=True
    )
    delivery_error = models.CharField(max_length=500, blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # When the attempt now sending was claimed, cleared with its outcome: a claim that stays
    # long after no send could still be running is a worker killed mid-send (the sweep's).
    delivery_claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="msg_conv"),
            # The outbound sweep's: the few replies queued and never tried (a lost enqueue).
            models.Index(
                fields=["created_at"],
                name="msg_delivery_queued",
                condition=models.Q(delivery_status="queued", delivery_attempts=0),
            ),
            # And the few whose sending attempt never ended (a worker killed mid-send).
            models.Index(
                fields=["delivery_claimed_at"],
                name="msg_delivery_claimed",
                condition=models.Q(delivery_claimed_at__isnull=False),
            ),
            # Mail threads by Message-ID (In-Reply-To, References) and imports skip rows they
            # stored before by their external id: both look messages up by it.
            models.Index(
                fields=["external_id"], name="msg_external_id", condition=~models.Q(external_id="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} message on #{self.conversation_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.message.conversation_id}/{instance.message_id}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    filename = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.filename


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    ASSIGNED = "assigned", "Assigned"
    TRANSFERRED = "transferred", "Transferred"
    REPLIED = "replied", "Replied"
    CUSTOMER_REPLIED = "customer_replied", "Customer replied"
    NOTED = "noted", "Internal note"
    SEVERITY_CHANGED = "severity_changed", "Severity changed"
    STATUS_CHANGED = "status_changed", "Status changed"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"
    MERGED = "merged", "Merged"
    RATED = "rated", "Rated"
    ESCALATED = "escalated", "Escalated"
    CUSTOMER_MERGED = "customer_merged", "Customer merged"
    # Care automation (issue 11): what the desk did on its own to keep the customer in the loop.
    UPDATE_SENT = "update_sent", "Status update sent"
    CLOSING_SENT = "closing_sent", "Closing message sent"
    SLA_WARNED = "sla_warned", "SLA warning"
    SLA_BREACHED = "sla_breached", "SLA breached"
    RETURNED = "returned", "Returned to the queue"
    AT_RISK = "at_risk", "Customer at risk"
    OUTREACH_DONE = "outreach_done", "Outreach outcome"
    TAGGED = "tagged", "Tags changed"


class Event(models.Model):
    """An append-only record of something that happened to a conversation."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="event_conv"),
            models.Index(fields=["kind", "created_at"], name="event_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.conversation_id}"


class Rating(models.Model):
    """How the customer judged a resolved conversation: satisfaction and the effort it took."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="rating"
    )
    satisfaction = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    effort = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 = very easy, 5 = very hard.",
    )
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="rating_satisfaction_1_5",
            ),
            models.CheckConstraint(
                condition=models.Q(effort__gte=1, effort__lte=5), name="rating_effort_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.satisfaction}/5 on #{self.conversation_id}"


class Viewer(models.Model):
    """An agent who has a conversation's page open (collision detection): the page renews the row
    every few seconds while open, and a row older than `VIEWER_TTL_SECONDS` no longer counts, so
    presence expires by itself when the tab closes."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()
    typing_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "agent"], name="viewer_once"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} on #{self.conversation_id}"


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "Assigned to you"
    TRANSFERRED = "transferred", "Transferred to you"
    CUSTOMER_REPLIED = "customer_replied", "Customer replied"
    MENTIONED = "mentioned", "Mentioned in a note"
    ESCALATED = "escalated", "Risk escalated"


class Notification(models.Model):
    """Something an agent should know about a conversation, made once per event and agent."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="notifications")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    text = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "agent"], name="notification_once"),
        ]
        indexes = [
            models.Index(
                fields=["agent", "created_at"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.agent} on #{self.conversation_id}"
