"""Reads for inbound mail: the quarantine, and one mail's original."""

from __future__ import annotations

from django.db.models import QuerySet

from caredesk.channels.email.models import InboundMail, InboundStatus

PAGE_SIZE = 50


def quarantine_list(*, status: str = InboundStatus.QUARANTINED) -> QuerySet[InboundMail]:
    """Newest first; bounded by the caller's paginator, on the (status, received_at) index."""
    return InboundMail.objects.filter(status=status).order_by("-received_at", "-pk")


def mail_original(mail: InboundMail, *, limit: int = 2_000_000) -> str:
    """The raw mail as text for the page (very large ones are cut; the file stays whole)."""
    if not mail.raw:
        return ""
    with mail.raw.open("rb") as f:
        data = f.read(limit + 1)
    text = data[:limit].decode("utf-8", errors="replace")
    return text + ("\n[…cut here for the page]" if len(data) > limit else "")
