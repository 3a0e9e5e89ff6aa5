"""Failed logins are counted where Django reports them, whichever form was used
(the API's token and session logins, the admin's login page)."""

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from novosphere.api.throttling import count_login_failure


@receiver(user_login_failed)
def count_failed_login(sender, credentials, request=None, **kwargs):
    username = credentials.get("username")
    if request is not None and isinstance(username, str):
        count_login_failure(request, username)
