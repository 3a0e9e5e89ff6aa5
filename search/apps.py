from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class SearchConfig(AppConfig):
    name = "search"

    def ready(self) -> None:
        # Each app's documents.py registers what it gives to search.
        autodiscover_modules("documents")
