"""Help articles (Markdown, owned by a team) and the self-service resolutions they earn."""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from caredesk.customers.models import Customer
from caredesk.people.models import Team, User


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Article(models.Model):
    """A help article. Only published ones reach customers; its team's agents and leads edit it.

    `body` is the Markdown the team writes; `body_html` is its safe rendering, made by
    `services.article_save` so that reading an article never renders Markdown again. The full-text
    index follows the table by itself (triggers on SQLite, an expression index on PostgreSQL:
    migration 0002).
    """

    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        help_text="The team that keeps this article right; without one, only leads edit it.",
    )
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    body = models.TextField(help_text="Markdown.")
    body_html = models.TextField(editable=False)
    status = models.CharField(
        max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title", "pk"]
        indexes = [models.Index(fields=["status", "title"], name="knowledge_article_status")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("help:article", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class SelfServiceResolution(models.Model):
    """A customer said "This solved it" to an article instead of opening a conversation.

    Whether it really did is measured later (`selectors.self_service_outcomes`): a new
    conversation from the same customer within a week means it did not.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="self_service_resolutions"
    )
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, related_name="resolutions"
    )
    question = models.TextField(blank=True, help_text="What the customer had typed.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["created_at"], name="knowledge_resolution_at"),
            models.Index(fields=["customer", "created_at"], name="knowledge_resolution_cust"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} solved by {self.article or 'a removed article'}"
