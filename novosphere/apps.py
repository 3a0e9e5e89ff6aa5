from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class NovosphereConfig(AppConfig):
    name = "novosphere"
    verbose_name = "Novosphère"

    def ready(self) -> None:
        # Each app's dispatch.py registers the kinds of after-commit work it does
        # (novosphere.publisher), so a worker or a sweep knows every kind.
        autodiscover_modules("dispatch")
