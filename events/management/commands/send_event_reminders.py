"""Notify the people going to an event that starts within a day. Idempotent: run it from cron."""

from django.core.management.base import BaseCommand

from events.services import send_event_reminders


class Command(BaseCommand):
    help = "Send reminders for events starting within 24 hours (each attendee once per occurrence)."

    def handle(self, *args, **options):
        sent = send_event_reminders()
        self.stdout.write(f"reminders sent: {sent}")
