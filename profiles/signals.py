"""Ending credentials ends the sockets opened with them."""

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete
from django.dispatch import receiver
from knox.models import AuthToken

from novosphere.ws_auth import recheck_connections


@receiver(post_delete, sender=AuthToken)
def token_deleted(sender, instance: AuthToken, **kwargs) -> None:
    recheck_connections(instance.user_id)


@receiver(user_logged_out)
def session_ended(sender, request, user, **kwargs) -> None:
    if user is not None:
        # Django sends this signal before it ends the session: end it first, or a socket
        # rechecking at once still finds the session and stays open. (logout() flushing
        # again afterwards does nothing.)
        request.session.flush()
        recheck_connections(user.pk)
