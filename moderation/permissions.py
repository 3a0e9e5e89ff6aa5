from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from moderation.selectors import is_moderator


class IsModerator(BasePermission):
    """Staff accounts only: others get a 403 that says so (anonymous callers a 401)."""

    message = _("Only moderators can do this.")

    def has_permission(self, request, view) -> bool:
        return is_moderator(request.user)
