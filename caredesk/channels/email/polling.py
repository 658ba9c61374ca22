"""The worker's inbound-mail chores: poll the IMAP mailbox, take up orphaned mails."""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from caredesk.channels.email.imap import imap_poll
from caredesk.channels.email.inbound import inbound_mail_sweep


@db_periodic_task(crontab(minute="*"))
def inbound_mail_poll_task() -> int:
    """Every minute: the configured mailbox's unseen mail (if one is set), then the sweep."""
    taken = imap_poll(url=settings.CAREDESK_IMAP_URL) if settings.CAREDESK_IMAP_URL else 0
    return taken + inbound_mail_sweep()
