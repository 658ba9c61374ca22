from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "caredesk.people"
    label = "people"
    verbose_name = "People"
