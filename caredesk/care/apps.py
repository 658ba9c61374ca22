from django.apps import AppConfig


class CareConfig(AppConfig):
    """Keeping the customer in the loop: SLAs, status updates, outreach to the silent unhappy."""

    name = "caredesk.care"
    label = "care"
    verbose_name = "Care"

    def ready(self) -> None:
        from caredesk.care.loop_tasks import jobs_subscribe as loop_subscribe

        loop_subscribe()

        # The periodic SLA check and the periodic at-risk check register themselves, and so
        # does the check of the at-risk thresholds.
        from caredesk.care import checks, outreach_tasks, tasks  # noqa: F401
