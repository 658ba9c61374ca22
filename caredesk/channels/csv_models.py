"""What a CSV import made, row by row: importing the same file again creates nothing twice."""

from __future__ import annotations

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
