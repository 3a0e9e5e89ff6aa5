from django.apps import AppConfig


class NovosphereConfig(AppConfig):
    name = "novosphere"
    verbose_name = "Novosphère"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from novosphere import signals  # noqa: F401 - connects the failed-login counter
        from novosphere.read_cache import install_write_tracking

        # Every write, from any process, moves the read cache's generation on.
        connection_created.connect(install_write_tracking, dispatch_uid="novosphere.read_cache")
