"""An agent's desk notification by e-mail, for agents who chose it (`Agent.notify_by_email`).

The in-app notification (`conversations.notifications`) is the record; this mails it once through
the desk's own outbound path, keyed by the notification, so a retried task or a second publish
finds the stored mail instead of writing another, and a failure is kept for leads to see.
"""

from __future__ import annotations

from django.core.mail import EmailMessage

from caredesk.channels.email.desk_mail import desk_mail, notification_send
from caredesk.channels.email.models import NotificationKind
from caredesk.conversations.models import Notification
from caredesk.conversations.notifications import notification_title


def agent_notification_mail(notification: Notification) -> EmailMessage | None:
    agent, conversation = notification.agent, notification.conversation
    if not agent.notify_by_email or not agent.user.email or not agent.user.is_active:
        return None
    title = notification_title(notification)
    lines = [
        f"{title}: #{conversation.pk} {conversation.subject}",
        *([notification.text] if notification.text else []),
        conversation.get_absolute_url(),
        "You get these mails because you chose them on your notifications page.",
    ]
    subject = f"[Caredesk] {title}: #{conversation.pk}"
    return desk_mail(f"{subject} {conversation.subject}", "\n\n".join(lines), [agent.user.email])


def agent_notification_send(*, notification_id: int, final: bool = True) -> str:
    """One attempt at mailing an agent's notification; "" when there is nothing to send."""
    notification = (
        Notification.objects.select_related("agent__user", "conversation", "event")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        return ""
    return notification_send(
        NotificationKind.AGENT_NOTIFICATION,
        notification.conversation,
        lambda _conversation: agent_notification_mail(notification),
        key=f"agent-notification-{notification.pk}",
        final=final,
    )
