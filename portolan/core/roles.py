"""The five roles of DESIGN.md and what each may do, in one table."""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    PORTFOLIO_MANAGER = "portfolio_manager", "Portfolio manager"
    CONTRIBUTOR = "contributor", "Contributor"
    EXECUTIVE = "executive", "Executive"
    VIEWER = "viewer", "Viewer"


VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ACTIONS = (VIEW, ADD, CHANGE, DELETE)

# Which actions a role may take on portfolio objects. "own" means: only on objects the
# user or one of the user's teams owns (each model says what owning means).
ALL, OWN, NONE = "all", "own", "none"
GRANTS: dict[str, dict[str, str]] = {
    Role.ADMIN: {VIEW: ALL, ADD: ALL, CHANGE: ALL, DELETE: ALL},
    Role.PORTFOLIO_MANAGER: {VIEW: ALL, ADD: ALL, CHANGE: ALL, DELETE: ALL},
    Role.CONTRIBUTOR: {VIEW: ALL, ADD: OWN, CHANGE: OWN, DELETE: OWN},
    Role.EXECUTIVE: {VIEW: ALL, ADD: NONE, CHANGE: NONE, DELETE: NONE},
    Role.VIEWER: {VIEW: ALL, ADD: NONE, CHANGE: NONE, DELETE: NONE},
}


def role_of(user) -> str | None:
    """The user's role, or None for anonymous users and accounts without one (outsiders)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    cached = getattr(user, "_portolan_role", False)
    if cached is not False:
        return cached
    try:
        role = user.profile.role or None
    except AttributeError:  # no profile: an outsider
        role = None
    user._portolan_role = role
    return role


def grant(user, action: str) -> str:
    role = role_of(user)
    if role is None:
        return NONE
    return GRANTS[role][action]


def is_admin(user) -> bool:
    return role_of(user) == Role.ADMIN


def is_manager(user) -> bool:
    return role_of(user) in (Role.ADMIN, Role.PORTFOLIO_MANAGER)
