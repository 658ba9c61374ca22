"""What a CSV import made, row by row: importing the same file again creates nothing twice."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from caredesk.conversations.models import Conversation, Message


class ImportedRow(models.Model):
    """One imported CSV row: its external id (unique), the conversation key it belongs to in the
    file, and the message it became."""

    external_id = models.CharField(max_length=100, unique=True)
    conversation_key = models.CharField(max_length=100)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    imported_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["conversation_key"], name="imported_row_conversation")]

    def __str__(self) -> str:
        return f"CSV row {self.external_id} → #{self.conversation_id}"


class ImportState(models.TextChoices):
    QUEUED = "queued", "Waiting for the worker"
    RUNNING = "running", "Importing"
    DONE = "done", "Done"
    FAILED = "failed", "Stopped"


class CsvImport(models.Model):
    """One uploaded file and how far its import got: the page polls this row while the worker
    imports, so a big file never holds a request (or the write lock) for its whole length.

    The file is kept as text in the row (the page takes at most a few MB): it is stored in the
    same commit as the row, so a queued import can never point at a file that is gone."""

    file_name = models.CharField(max_length=255)
    text = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=ImportState, default=ImportState.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)  # created + skipped + failed
    rows_created = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)  # imported before
    rows_failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [[line, reason], …]
    failure = models.TextField(blank=True)  # why the whole import stopped, if it did
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["-created_at"], name="csv_import_created")]

    def __str__(self) -> str:
        return f"CSV import {self.file_name} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (ImportState.DONE, ImportState.FAILED)

    @property
    def percent(self) -> int:
        return 100 if not self.rows_total else round(100 * self.rows_done / self.rows_total)
