from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "caredesk.channels"
    label = "channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from caredesk.channels.middleware import session_stamp_on_login

        user_logged_in.connect(session_stamp_on_login, dispatch_uid="caredesk-session-stamp")
