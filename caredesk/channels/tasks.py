"""Background work of the channels: mail goes out from the worker, never from a request.

A request that had to wait for the mail server would hang (or fail after the user's sign-up was
stored) whenever the server is slow or down; from the worker a mail is retried instead.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from huey.contrib.djhuey import db_task

# Huey finds tasks in each app's tasks module; the inbound-mail poll lives with the e-mail code,
# the expiry of idempotency keys with the API's.
from caredesk.channels.api.tasks import idempotency_keys_expire_task  # noqa: F401
from caredesk.channels.email.polling import inbound_mail_poll_task  # noqa: F401


@db_task(retries=5, retry_delay=60)
def mail_send_task(subject: str, body: str, recipients: list[str]) -> int:
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
