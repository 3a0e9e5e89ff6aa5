from django.apps import AppConfig


class OpendataConfig(AppConfig):
    """The public ecosystem of a city or territory as open data (JSON, CSV)."""

    name = "opendata"
