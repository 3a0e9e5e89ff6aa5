"""Load the French demo network. Idempotent: run it as often as you like."""

import logging

from django.core.management.base import BaseCommand
from tqdm import tqdm

logger = logging.getLogger("novosphere")


class Command(BaseCommand):
    help = "Load the French demo data (cities, organizations, people, follows...). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--small", action="store_true",
                            help="20 people and one project per theme: the same kinds of data in a fraction of "
                                 "the time, for tests that do not count them")

    def handle(self, *args, small: bool = False, **options):
        from events import demo as events_demo
        from profiles import demo as profiles_demo
        from projects import demo as projects_demo

        # Each app seeds its own part, in dependency order.
        parts = [profiles_demo, projects_demo, events_demo]
        # Per-follow event lines would drown the progress bar; the summary line says it all.
        logging.getLogger("feeds").setLevel(logging.WARNING)
        total = sum(part.steps(small) for part in parts)
        seeded: dict = {}
        with tqdm(total=total, desc="seed_demo", unit="item", disable=options["verbosity"] == 0) as progress:
            for part in parts:
                seeded.update(part.seed(progress, small) if part is profiles_demo else part.seed(progress, seeded, small))
        # The demo is written straight to the tables, not through the services that
        # index what they write: rebuild the search index from it once.
        from search.backends import get_search_backend
        from search.registry import all_documents

        indexed = get_search_backend().reindex(all_documents())
        from profiles.services import recount_cities

        recount_cities()  # the map's per-city counts, likewise
        logger.info("seed_demo indexed %d search documents", indexed)
        logger.info("seed_demo done: %s", ", ".join(f"{k}={len(v)}" for k, v in seeded.items()))
