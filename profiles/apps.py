from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "profiles"

    def ready(self) -> None:
        from profiles import kinds, signals  # noqa: F401 - registers the actor kind, connects the receivers
