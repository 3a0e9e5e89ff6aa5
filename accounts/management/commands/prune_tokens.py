from django.core.management.base import BaseCommand

from accounts.services import prune_expired_tokens


class Command(BaseCommand):
    help = "Delete the API tokens past their expiry (Celery beat runs this every TOKEN_PRUNE_SECONDS)."

    def handle(self, *args, **options):
        count = prune_expired_tokens()
        self.stdout.write(f"{count} expired token(s) deleted")
