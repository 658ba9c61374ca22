from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Installed only so Django finds the `demo_seed` management command; it has no models."""

    name = "caredesk.demo"
    label = "demo"
    verbose_name = "Demo desk"
