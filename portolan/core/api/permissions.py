"""API permissions: the same role table as the pages."""

from rest_framework import permissions

from portolan.core.roles import ADD, CHANGE, DELETE, NONE, VIEW, grant

_METHOD_ACTION = {"GET": VIEW, "HEAD": VIEW, "OPTIONS": VIEW, "POST": ADD, "PUT": CHANGE, "PATCH": CHANGE}


def method_action(method: str) -> str:
    return _METHOD_ACTION.get(method, DELETE)


class RolePermission(permissions.BasePermission):
    """Authenticated users with a role; writes need a role allowed to write.

    Object-level limits come from the viewset's restricted queryset (``restrict``).
    """

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        action = method_action(request.method)
        return grant(request.user, action) != NONE and grant(request.user, VIEW) != NONE
