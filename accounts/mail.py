"""E-mail to account holders: rendered in the person's language, plain text and
HTML, and sent after commit by a worker that retries.

Every e-mail of the service leaves through `send_account_email`, so how it
leaves (a task today, an outbox row tomorrow) is decided here and nowhere else.
"""

import logging

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from profiles.models import User

logger = logging.getLogger(__name__)


def display_name(user: User) -> str:
    actor = getattr(user, "actor", None)
    return actor.name if actor is not None else user.get_username()


def render_email(*, template: str, language: str, context: dict) -> dict:
    """Subject, text and HTML of `accounts/email/<template>.*` in `language`."""
    with translation.override(language):
        context = {**context, "language": language}
        return {
            "subject": " ".join(render_to_string(f"accounts/email/{template}.subject.txt", context).split()),
            "text": render_to_string(f"accounts/email/{template}.txt", context),
            "html": render_to_string(f"accounts/email/{template}.html", context),
        }


def send_account_email(*, user: User, template: str, context: dict, to: str | None = None) -> None:
    """Render now, in the account's language; send once the caller's transaction commits."""
    from accounts.tasks import deliver_email

    message = {
        "to": to or user.email,
        **render_email(template=template, language=user.language, context={"name": display_name(user), **context}),
    }

    def queue() -> None:
        deliver_email.delay(message)

    logger.info("e-mail queued template=%s user=%s", template, user.pk)
    # robust: the change is committed; an e-mail that cannot be queued is logged, not a 500.
    transaction.on_commit(queue, robust=True)
