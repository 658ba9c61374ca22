"""Daily rollups: what the metrics are read from, so no page ever scans the event history.

One `DailyRollup` row per day × team × channel × severity × agent holds counters and, for the two
durations, how many conversations fell in each fixed bucket (`metrics.DURATION_EDGES`): integer
columns the database sums, so a dashboard is one aggregate query. `ConversationFact` remembers
what each conversation last added to the rollups, so a change is applied as "take the old
contribution away, add the new one"; the same pure function computes it incrementally and in
`caredesk insights rebuild`, so the two agree.
`RollupState` records how far the rollups got through the events (Zulip's `FillState`).
"""

from __future__ import annotations

from django.db import models

from caredesk.insights.metrics import DURATION_EDGES

# The counters of a rollup row (each a sum over conversations), in the order the metrics use them.
COUNTERS: tuple[str, ...] = (
    "opened",
    "merged",
    "first_responses",
    "resolved",
    "first_resolved",
    "fcr",
    "reopened",
    "reopens",
    "people_sum",
    "people_many",
    "rated",
    "satisfaction_sum",
    "effort_sum",
    "complaints",
    "complaints_resolved",
    "complaints_reopened",
    "complaints_open",
    "bad_experiences",
    "came_back",
    "backlog_delta",
    "backlog_since_delta",
)
# Durations: a conversation's facts keep its seconds; a rollup row counts them per bucket.
DURATIONS: tuple[str, ...] = ("frt", "ttr")


def bucket_columns(duration: str) -> tuple[str, ...]:
    """The rollup columns of one duration's histogram, one per bucket of `DURATION_EDGES`."""
    return tuple(f"{duration}_b{i:02d}" for i in range(len(DURATION_EDGES)))


HISTOGRAMS: dict[str, tuple[str, ...]] = {name: bucket_columns(name) for name in DURATIONS}
# Every column a read sums: the counters and the histograms' buckets.
SUMMED: tuple[str, ...] = (*COUNTERS, *(c for cols in HISTOGRAMS.values() for c in cols))


class RollupSums(models.Model):
    """The sums a rollup row keeps: `COUNTERS` and, added below, the `HISTOGRAMS` columns."""

    opened = models.IntegerField(default=0)
    merged = models.IntegerField(default=0)
    first_responses = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    first_resolved = models.IntegerField(default=0)
    fcr = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    reopens = models.IntegerField(default=0)
    people_sum = models.IntegerField(default=0)
    people_many = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfaction_sum = models.IntegerField(default=0)
    effort_sum = models.IntegerField(default=0)
    complaints = models.IntegerField(default=0)
    complaints_resolved = models.IntegerField(default=0)
    complaints_reopened = models.IntegerField(default=0)
    complaints_open = models.IntegerField(default=0)
    bad_experiences = models.IntegerField(default=0)
    came_back = models.IntegerField(default=0)
    # Backlog as a flow: +1 when a conversation enters it, -1 when it leaves; the sum of the
    # epoch seconds it entered at moves the same way, so the backlog's mean age at any day is
    # a sum over earlier rows.
    backlog_delta = models.IntegerField(default=0)
    backlog_since_delta = models.BigIntegerField(default=0)
    # The histogram columns (`HISTOGRAMS`) are added below the class: 2 × 39 integers.

    class Meta:
        abstract = True


for _column in SUMMED[len(COUNTERS) :]:
    RollupSums.add_to_class(_column, models.IntegerField(default=0))


class DailyRollup(RollupSums):
    """Sums for one day (the desk's time zone) and one team, channel, severity and agent.

    Team and agent are plain ids (0: none) rather than foreign keys: a rollup outlives a team
    renamed or removed, and a unique key needs no NULLs."""

    day = models.DateField()
    team_id = models.PositiveIntegerField(default=0)
    channel = models.CharField(max_length=10)
    severity = models.PositiveSmallIntegerField()
    agent_id = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "team_id", "channel", "severity", "agent_id"],
                name="rollup_key",
            )
        ]
        indexes = [
            models.Index(fields=["team_id", "day"], name="rollup_team_day"),
            models.Index(fields=["agent_id", "day"], name="rollup_agent_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.team_id}/{self.channel}/{self.severity}/{self.agent_id}"


class TeamRollup(RollupSums):
    """The same sums without the agent: what every read not about one agent sums.

    The agent is the key's largest factor (a day has a row per agent who touched a team,
    channel and severity), so desk and team dashboards read at most teams × channels ×
    severities rows a day, however many agents and conversations there are. Kept by the same
    refresh and rebuild as `DailyRollup`, so it always equals `DailyRollup` summed over agents."""

    day = models.DateField()
    team_id = models.PositiveIntegerField(default=0)
    channel = models.CharField(max_length=10)
    severity = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "team_id", "channel", "severity"], name="team_rollup_key"
            )
        ]
        indexes = [models.Index(fields=["team_id", "day"], name="team_rollup_team_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.team_id}/{self.channel}/{self.severity}"


RollupRow = DailyRollup | TeamRollup  # a row of either rollup table


class ConversationFact(models.Model):
    """What one conversation last added to the rollups: its key and, per day, its counts.

    The columns after `contribution` are the conversation's totals as plain columns, so the
    correlations have the database count and sum them over an indexed range of `opened_at`
    instead of decoding one JSON document per conversation (3.9 s at 20,000 conversations).
    `coaching` is what it added to `CoachDay`: the reply-coach findings per author and day."""

    conversation_id = models.PositiveIntegerField(primary_key=True)
    key = models.JSONField(help_text="[team, channel, severity, agent]")
    contribution = models.JSONField(help_text="{day: {counter or duration: value}}")
    coaching = models.JSONField(
        default=dict, blank=True, help_text="{day: {author: {category: replies}}}"
    )
    opened_at = models.DateTimeField(
        null=True, blank=True, help_text="None: merged away, or not yet counted"
    )
    team_id = models.PositiveIntegerField(default=0)
    complaint = models.BooleanField(default=False)
    first_resolved = models.BooleanField(default=False)
    fcr = models.BooleanField(default=False)
    satisfaction = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="its rating, if rated"
    )
    people_many = models.BooleanField(default=False)
    bad_experience = models.BooleanField(default=False)
    came_back = models.BooleanField(default=False)
    first_response = models.PositiveIntegerField(
        null=True, blank=True, help_text="seconds, as counted"
    )
    replies = models.PositiveIntegerField(default=0)
    coached = models.PositiveIntegerField(default=0, help_text="replies with a coach finding")

    class Meta:
        indexes = [
            models.Index(fields=["opened_at"], name="fact_opened"),
            models.Index(fields=["team_id", "opened_at"], name="fact_team_opened"),
        ]

    def __str__(self) -> str:
        return f"facts of #{self.conversation_id}"


class CoachDay(models.Model):
    """Replies one agent sent on one day with a finding of one coach category (the category ""
    counts all their replies): what the review's coaching needs read instead of the messages.
    Kept, like the rollups, as the sum of the conversations' `ConversationFact.coaching`."""

    day = models.DateField()
    author_id = models.PositiveIntegerField()
    category = models.CharField(max_length=60, blank=True)
    replies = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "author_id", "category"], name="coach_day_key")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.author_id}/{self.category or 'replies'}: {self.replies}"


class DirtyConversation(models.Model):
    """A conversation whose facts an event changed and no refresh has counted yet.

    Events only mark (an upsert: `marks` goes up); one pending drain task refreshes the marked
    conversations and removes a mark only if it did not move meanwhile, so a burst of events
    costs one task, and a drain killed half-way leaves its marks for the next one."""

    conversation_id = models.PositiveIntegerField(primary_key=True)
    marks = models.PositiveIntegerField(default=1)
    customer_new = models.BooleanField(
        default=False, help_text="opened: the customer's recent conversations may change too"
    )

    def __str__(self) -> str:
        return f"#{self.conversation_id} to refresh ({self.marks})"


class RollupState(models.Model):
    """How far the rollups got: every event up to `last_event_id` is counted."""

    name = models.CharField(max_length=40, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}: up to event {self.last_event_id}"


# -- goals and the review ---------------------------------------------------------------------


class Cadence(models.TextChoices):
    WEEKLY = "week", "Weekly"
    MONTHLY = "month", "Monthly"
    QUARTERLY = "quarter", "Quarterly"


class Goal(models.Model):
    """A lead's target on one metric of the registry, for the desk or a team, over a period.

    A goal is changed in place (its `GoalChange` rows keep what it was) and retired, never
    deleted, so the history of what the desk aimed for stays readable."""

    metric = models.CharField(max_length=40)
    team = models.ForeignKey(
        "people.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="goals"
    )
    target = models.FloatField()
    start = models.DateField()
    end = models.DateField()
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.MONTHLY)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        "people.Agent", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="goal_span")
        ]
        indexes = [models.Index(fields=["retired_at", "end"], name="goal_live")]

    def __str__(self) -> str:
        return f"{self.metric} → {self.target}"


class Checkpoint(models.Model):
    """One weekly, monthly or quarterly step of a goal, with its own (editable) target.

    `reached_at` and `mailed_at` are the stored state that makes the celebration happen once:
    each is set by a conditional update that only one caller can win."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="checkpoints")
    start = models.DateField()
    end = models.DateField()
    target = models.FloatField()
    reached_at = models.DateTimeField(null=True, blank=True)
    reached_value = models.FloatField(null=True, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "start"], name="checkpoint_once"),
        ]

    def __str__(self) -> str:
        return f"{self.goal_id}: {self.start}..{self.end} → {self.target}"


class GoalChange(models.Model):
    """What a goal was before a change, and who changed it: goals are adaptable, not rewritable."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        "people.Agent", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    what = models.CharField(max_length=200)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.goal_id} at {self.at}: {self.what}"


class ReviewSchedule(models.Model):
    """A lead's standing order: e-mail the review of the last week, month or quarter."""

    cadence = models.CharField(max_length=10, choices=Cadence.choices)
    to = models.EmailField()
    created_by = models.ForeignKey(
        "people.Agent", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.cadence} review to {self.to}"


class ReviewSent(models.Model):
    """One period's review was mailed on a schedule: the unique key makes it exactly once."""

    schedule = models.ForeignKey(ReviewSchedule, on_delete=models.CASCADE, related_name="sent")
    period_start = models.DateField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["schedule", "period_start"], name="review_sent_once")
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id} for {self.period_start}"
