"""E-mail to account holders: rendered in the person's language, plain text and
HTML, and sent after commit as an outbox row a worker drains and retries
(`accounts.dispatch.deliver_email`; a Celery worker at scale, in-process on the
embedded default). Every e-mail of the service leaves through `send_account_email`.
"""

import logging

from django.template.loader import render_to_string
from django.utils import translation

from accounts.dispatch import EMAIL
from novosphere.publisher import publish_on_commit
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
    message = {
        "to": to or user.email,
        **render_email(template=template, language=user.language, context={"name": display_name(user), **context}),
    }
    # A row in the caller's transaction: nothing leaves if it rolls back, and a
    # mail server that is down delays the message, never the request.
    publish_on_commit(EMAIL, message)
    logger.info("e-mail queued template=%s user=%s", template, user.pk)
