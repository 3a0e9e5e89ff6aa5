"""Send the deliveries that are due, in this process: `manage.py drain_deliveries [--until-empty]`."""

import time

from django.core.management.base import BaseCommand

from delivery import services


class Command(BaseCommand):
    help = "Send the webhook (and other) deliveries that are due, destination by destination, in order."

    def add_arguments(self, parser):
        parser.add_argument("--until-empty", action="store_true",
                            help="keep going, retries included, until nothing is pending (at most --seconds)")
        parser.add_argument("--seconds", type=float, default=300.0)

    def handle(self, *args, until_empty: bool = False, seconds: float = 300.0, **options):
        deadline = time.monotonic() + seconds
        sent = services.drain_due()
        while until_empty and services.next_due() is not None and time.monotonic() < deadline:
            time.sleep(0.2)
            sent += services.drain_due()
        self.stdout.write(f"{sent} deliveries sent")
