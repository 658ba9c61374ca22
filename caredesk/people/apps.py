from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "caredesk.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        import caredesk.checks  # noqa: F401 - registers the desk's system checks
