from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    """Articles, the public help centre and self-service that hands over to a person."""

    name = "caredesk.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge"
