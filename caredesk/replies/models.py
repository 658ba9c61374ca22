"""Saved replies (a team's stock answers) and the coach rules leads add beside the shipped ones."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from caredesk.people.models import Team
from caredesk.text import check_encodable


class SavedReply(models.Model):
    """A reusable answer with placeholders, coached when it is written so stock answers care too."""

    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="saved_replies",
        help_text="Leave empty to share it with every team.",
    )
    title = models.CharField(max_length=120)
    body = models.TextField(max_length=5000)
    findings = models.JSONField(default=list, blank=True, help_text="The coach's findings.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "saved replies"
        constraints = [
            models.UniqueConstraint(fields=["team", "title"], name="saved_reply_title_per_team")
        ]

    def __str__(self) -> str:
        return self.title


class CoachRule(models.Model):
    """A rule a lead adds or overrides, in the same JSON shape as the shipped `rules.json`."""

    rule_id = models.CharField(max_length=100, unique=True)
    definition = models.JSONField(
        help_text='One rule: {"category": "indifference", "reason": "…", "patterns": ["…"], '
        '"rewrites": ["…"], "examples": {"fire": ["…"], "quiet": ["…"]}}'
    )
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["rule_id"]

    def __str__(self) -> str:
        return self.rule_id

    def as_rule(self) -> dict[str, object]:
        return {**self.definition, "id": self.rule_id, "enabled": self.enabled}

    def clean(self) -> None:
        """A rule must compile and behave as its own examples say, before anyone relies on it."""
        from caredesk.empathy.coaching import RuleError, check_examples, load_rules

        if not isinstance(self.definition, dict):
            raise ValidationError({"definition": "A rule is a JSON object."})
        check_encodable(self.definition, field="definition")
        try:
            ruleset = load_rules(extra_rules=[{**self.as_rule(), "enabled": True}])
        except (RuleError, KeyError, TypeError, ValueError) as exc:
            raise ValidationError({"definition": f"This rule does not compile: {exc}"}) from exc
        problems = check_examples(ruleset, [self.rule_id])
        if problems:
            raise ValidationError({"definition": "Its examples disagree: " + "; ".join(problems)})


class CoachOutcome(models.Model):
    """What became of one coach finding on one sent reply: accepted (shown while the agent wrote,
    gone from the text sent) or ignored (sent with it). Coaching over time reads these rows."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coach_outcomes"
    )
    at = models.DateTimeField()
    week = models.DateField(help_text="The Monday of the week the reply was sent (desk time).")
    category = models.CharField(max_length=40)
    rule = models.CharField(max_length=100)
    accepted = models.BooleanField()

    class Meta:
        ordering = ["-at", "pk"]
        indexes = [
            models.Index(fields=["week", "author"], name="coach_outcome_week"),
            models.Index(fields=["author", "week"], name="coach_outcome_author"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {'accepted' if self.accepted else 'ignored'} on {self.week}"
