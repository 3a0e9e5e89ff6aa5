from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class NovosphereConfig(AppConfig):
    name = "novosphere"
    verbose_name = "Novosphère"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from novosphere import signals  # noqa: F401 - connects the failed-login counter
        from novosphere.read_cache import install_write_tracking

        # Every write, from any process, moves the read cache's generation on.
        connection_created.connect(install_write_tracking, dispatch_uid="novosphere.read_cache")

        # Each app's dispatch.py registers the kinds of after-commit work it does
        # (novosphere.publisher), so a worker or a sweep knows every kind.
        autodiscover_modules("dispatch")
