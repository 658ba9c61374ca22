from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "caredesk.channels"
    label = "channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from caredesk.channels.middleware import session_stamp_on_login

        user_logged_in.connect(session_stamp_on_login, dispatch_uid="caredesk-session-stamp")

        from caredesk.channels.webhooks.tasks import jobs_subscribe as webhooks_subscribe

        webhooks_subscribe()

        from caredesk.channels.email.tasks import jobs_subscribe as outbound_mail_subscribe

        outbound_mail_subscribe()

        from caredesk.channels.csv_tasks import jobs_subscribe as csv_subscribe

        csv_subscribe()

        import caredesk.channels.email.checks  # noqa: F401 - registers inbound mail's checks
