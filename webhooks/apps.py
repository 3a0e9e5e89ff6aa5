from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        # The webhook kind of destination registers itself with the delivery outbox.
        from webhooks import destinations  # noqa: F401
