"""`manage.py reindex`: rebuild the whole search index from the database, with a progress bar."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from search.backends import get_search_backend
from search.registry import all_documents, count_documents


class Command(BaseCommand):
    help = "Rebuild the search index from the database; searches keep answering meanwhile."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")

    def handle(self, *args, no_progress: bool = False, **options):
        backend = get_search_backend()
        with tqdm(total=count_documents(), unit="doc", disable=no_progress, file=self.stderr._out) as bar:
            total = backend.reindex(all_documents(), progress=bar.update)
        self.stdout.write(f"reindexed {total} documents into {backend.name}")
