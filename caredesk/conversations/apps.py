from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "caredesk.conversations"
    label = "conversations"
    verbose_name = "Conversations"

    def ready(self) -> None:
        # Tasks are enqueued by web processes and run by workers; both load this app, so this is
        # where every process starts recording them when an audit log is configured.
        from django.conf import settings

        from caredesk.conversations.tasks import jobs_subscribe

        jobs_subscribe()

        if settings.CAREDESK_TASK_AUDIT_LOG:
            from huey.contrib.djhuey import HUEY

            from caredesk.taskaudit import audit_connect

            audit_connect(HUEY, settings.CAREDESK_TASK_AUDIT_LOG)
