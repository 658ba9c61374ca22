from django.apps import AppConfig


class RepliesConfig(AppConfig):
    name = "caredesk.replies"
    label = "replies"
    verbose_name = "Replies"
