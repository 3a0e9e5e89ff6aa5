from django.apps import AppConfig


class NovosphereConfig(AppConfig):
    name = "novosphere"
    verbose_name = "Novosphère"
