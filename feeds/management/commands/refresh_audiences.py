"""`manage.py refresh_audiences`: recompute the stored audience of every activity from its subject's rule."""

from django.core.management.base import BaseCommand, CommandError

from feeds.selectors import stale_audiences
from feeds.services import refresh_every_audience


class Command(BaseCommand):
    help = "Recompute who may see each activity from its subject (after an upgrade or a bulk change)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="only count the stale ones; exit 1 if any")

    def handle(self, *args, check: bool = False, **options) -> None:
        if check:
            stale = stale_audiences()
            if stale:
                raise CommandError(f"{len(stale)} activities have a stale audience (run without --check)")
            self.stdout.write("every activity's audience follows its subject")
            return
        written = refresh_every_audience()
        self.stdout.write(f"{written} activities brought in step with their subjects")
