from django.conf import settings

from portolan.core.navigation import menu
from portolan.core.roles import ADD, NONE, Role, grant, role_of


def portolan(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"currency": settings.CURRENCY}
    role = role_of(user)
    return {
        "currency": settings.CURRENCY,
        "nav": menu(user, request.path) if role else [],
        "user_role": Role(role).label if role else "No role",
        "can_write": grant(user, ADD) != NONE,
    }
