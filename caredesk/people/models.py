"""Users, agents, teams and roles, and the severity bands a team's risk policy maps signals to."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models


class UserManager(BaseUserManager["User"]):
    """Users log in with their email address; there is no separate username."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        """Addresses are stored in lower case, so "Ana@Example.com" logs in as ana@example.com."""
        return self.get(email__iexact=(username or "").strip())

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in: a customer on the portal or an agent on the desk."""

    username = None  # type: ignore[assignment,misc]
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]

    objects = UserManager()  # type: ignore[misc,assignment]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    LEAD = "lead", "Lead"
    ADMIN = "admin", "Admin"


class Presence(models.TextChoices):
    ONLINE = "online", "Online"
    AWAY = "away", "Away"
    OFFLINE = "offline", "Offline"


class Severity(models.IntegerChoices):
    """Severity bands of the fair queue. Only the problem and its risk set them, never revenue.

    A conversation's severity, defined here beside `Team` because a team's risk policy
    (`Team.signal_policy`) maps the reading's signals to these bands, and people sit below
    conversations (docs/architecture.md, "Imports").
    """

    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"
    URGENT = 4, "Urgent"


# Which signal (`empathy.types.SIGNALS`) lifts a conversation to which severity, unless its team
# sets its own policy (`Team.signal_policy`, checked by `services.signal_policy_check`).
DEFAULT_SIGNAL_POLICY: dict[str, int] = {
    "safety": Severity.URGENT,
    "legal_threat": Severity.URGENT,
    "public_escalation": Severity.URGENT,
    "churn_intent": Severity.HIGH,
    "repeated_contact": Severity.HIGH,
    "long_wait": Severity.HIGH,
    "urgency": Severity.HIGH,
}
# The signals that escalate at once (an ESCALATED event, the leads told), whatever severity they
# raise to: a customer about to leave is a lead's business even where the policy says High.
# (Any signal a policy raises to Urgent escalates too.)
ESCALATING_SIGNALS: frozenset[str] = frozenset(
    {"safety", "legal_threat", "public_escalation", "churn_intent"}
)


class Team(models.Model):
    """A group of agents with a shared queue and how it wants work handed out."""

    name = models.CharField(max_length=100, unique=True)
    auto_assign = models.BooleanField(
        default=False,
        help_text="Hand new conversations to the online agent with the lightest load.",
    )
    update_interval_hours = models.PositiveIntegerField(
        default=48, help_text="How often a waiting customer hears from us during a long problem."
    )
    signal_policy = models.JSONField(
        default=dict,
        blank=True,
        help_text='Severity a risk signal raises a conversation to, e.g. {"churn_intent": 3}.',
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Agent(models.Model):
    """A user who answers customers, with a role that sets what they may see."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="agent")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    teams = models.ManyToManyField(Team, related_name="agents", blank=True)
    capacity = models.PositiveIntegerField(
        default=8,
        help_text="Open conversations this agent can hold before auto-assignment skips them.",
    )
    presence = models.CharField(max_length=10, choices=Presence.choices, default=Presence.OFFLINE)
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    notify_by_email = models.BooleanField(
        default=False, help_text="Also send this agent's desk notifications by e-mail."
    )

    class Meta:
        ordering = ["user__first_name", "user__email"]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def name(self) -> str:
        return str(self.user)

    @property
    def sees_everything(self) -> bool:
        return self.role in (Role.LEAD, Role.ADMIN)


class TokenScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"


def token_scopes_default() -> list[str]:
    """A token made without saying may read and write, as every token could before scopes."""
    return [TokenScope.READ.value, TokenScope.WRITE.value]


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(
        default=token_scopes_default,
        help_text='What the token may do: ["read"] (GET only) or ["read", "write"].',
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"
