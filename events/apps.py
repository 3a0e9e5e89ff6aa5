from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events, territories and the map"

    def ready(self) -> None:
        from events import kinds  # noqa: F401 - registers this app's kinds
