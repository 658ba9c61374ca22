"""The demo's e-mail backend: each mail the desk sends goes into a local Maildir.

`caredesk demo` sets `CAREDESK_DEMO_MAILBOX`, and the desk shows that mailbox at /demo/mailbox/,
so the whole e-mail loop can be tried on one machine with no mail server. Production uses
Django's SMTP backend; nothing else changes between the two.
"""

from __future__ import annotations

import mailbox
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class MaildirBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        path = settings.CAREDESK_DEMO_MAILBOX
        if not path:
            raise ImproperlyConfigured("MaildirBackend needs CAREDESK_DEMO_MAILBOX (a folder)")
        self.path = str(path)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        # Maildir delivery is safe with several processes: each mail is written under a unique
        # name in tmp/ and then moved into new/ whole.
        box = mailbox.Maildir(self.path, create=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            try:
                box.add(message.message().as_bytes(linesep="\n"))
            except Exception:
                if not self.fail_silently:
                    raise
            else:
                sent += 1
        return sent
