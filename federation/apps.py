from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "federation"
    verbose_name = "Federation"

    def ready(self) -> None:
        # The remote object kind, and remote inboxes as destinations of the delivery outbox.
        from federation import destinations, kinds  # noqa: F401
