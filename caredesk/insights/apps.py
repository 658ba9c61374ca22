from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "caredesk.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from caredesk.insights.tasks import jobs_subscribe

        jobs_subscribe()
