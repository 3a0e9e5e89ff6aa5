from django.apps import AppConfig


class NovosphereConfig(AppConfig):
    name = "novosphere"
    verbose_name = "Novosphère"

    def ready(self) -> None:
        from novosphere import signals  # noqa: F401 - connects the failed-login counter
