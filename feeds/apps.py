from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "feeds"

    def ready(self) -> None:
        from feeds import signals  # noqa: F401 - activities follow their subject
