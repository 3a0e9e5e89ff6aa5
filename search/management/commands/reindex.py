"""`manage.py reindex`: rebuild the whole search index from the database, with a progress bar;
`--pending`: index only what the backend could not take while it was unreachable."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from search import sync
from search.backends import SearchUnavailable, get_search_backend
from search.models import PendingIndexKey
from search.registry import all_documents, count_documents


class Command(BaseCommand):
    help = "Rebuild the search index from the database; searches keep answering meanwhile."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")
        parser.add_argument(
            "--pending", action="store_true",
            help="only the documents kept while the index was unreachable (exit status 1 if some remain)",
        )

    def handle(self, *args, no_progress: bool = False, pending: bool = False, **options):
        backend = get_search_backend()
        if pending:
            indexed, remaining = sync.index_pending()
            self.stdout.write(f"indexed {indexed} pending documents into {backend.name}; {remaining} still pending")
            if remaining:
                raise CommandError(f"{remaining} documents still pending: is {backend.name} reachable?")
            return
        started = timezone.now()
        try:
            with tqdm(total=count_documents(), unit="doc", disable=no_progress, file=self.stderr._out) as bar:
                total = backend.reindex(all_documents(), progress=bar.update)
        except SearchUnavailable as error:
            raise CommandError(f"{backend.name} is unreachable: {error}") from error
        # The rebuild read every object after these failed: they are in it.
        PendingIndexKey.objects.filter(since__lte=started).delete()
        self.stdout.write(f"reindexed {total} documents into {backend.name}")
