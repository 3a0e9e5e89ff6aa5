"""Who may give, change and take away which role: one table per kind of group,
checked by `RoleTable.check` and nowhere else (profiles and projects services
call it for every invitation, role change and removal).

The rules, for both tables:
- a manager gives (invites to, or changes a member to) only the roles of its row;
- a manager changes or removes only members whose current role is in its row:
  only an owner changes or removes an owner, only an admin an admin;
- anyone may leave (remove themself), whatever their role;
- the last holder of the top role (a project's last owner, a group's last
  admin) can neither leave nor be demoted: 409 until another takes over.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from novosphere.errors import Conflict, Forbidden

LEAVE = None  # "the new role" of someone removed


class MembershipStatus(models.TextChoices):
    """How a project's or a group's member list shows each row: a member, or an invitation."""

    ACTIVE = "active", pgettext_lazy("membership", "active")
    INVITED = "invited", pgettext_lazy("membership", "invited")


@dataclass(frozen=True)
class RoleTable:
    top: str
    # manager's role -> the roles it may give, and the roles of the members it may change or remove
    manages: dict[str, frozenset[str]]

    def may(self, *, by: str | None, current: str | None, new: str | None, is_self: bool) -> bool:
        """Whether a member with role `by` (None: not a member) may take someone from
        `current` (None: not a member, an invitation) to `new` (None: out)."""
        if is_self and new is LEAVE:
            return True
        row = self.manages.get(by or "", frozenset())
        if current is not None and current not in row:
            return False
        return new is LEAVE or new in row

    def check(self, *, by: str | None, current: str | None, new: str | None, is_self: bool,
              others_at_top: int) -> None:
        """Raise Forbidden (403) or Conflict (409) unless the change is allowed."""
        if not self.may(by=by, current=current, new=new, is_self=is_self):
            if current == self.top or new == self.top:
                raise Forbidden(_("Only an %(role)s can give, change or remove this role.") % {"role": self.label()})
            raise Forbidden(_("You may not give, change or remove this role."))
        if current == self.top and new != self.top and others_at_top == 0:
            raise Conflict(
                _("The last %(role)s can neither leave nor be demoted: make someone else %(role)s first.")
                % {"role": self.label()}
            )

    def label(self) -> str:
        return {"owner": _("owner"), "admin": _("admin")}.get(self.top, self.top)


PROJECT_ROLES = RoleTable(
    top="owner",
    manages={
        "owner": frozenset({"owner", "maintainer", "contributor"}),
        "maintainer": frozenset({"maintainer", "contributor"}),
    },
)

GROUP_ROLES = RoleTable(
    top="admin",
    manages={"admin": frozenset({"admin", "member"})},
)
