from django.apps import AppConfig


class CareConfig(AppConfig):
    """Keeping the customer in the loop: SLAs, status updates, outreach to the silent unhappy."""

    name = "caredesk.care"
    label = "care"
    verbose_name = "Care"
