"""Request ids and the login wall."""

import re
import uuid

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import Http404

from portolan.core.roles import role_of

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Give each request an id (or keep a sane X-Request-ID) and echo it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


# Pages an account without a role (an outsider) may still use: its own login and password.
ROLELESS_PAGES = frozenset({"login", "logout", "password_change", "password_change_done"})


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a login; the API authenticates itself (tokens) and answers 401/403.

    A logged-in outsider (no role) gets 404 on every page but its login and password pages:
    outsiders get 404, read-only users 403 (STYLE.md).
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        response = super().process_view(request, view_func, view_args, view_kwargs)
        match = request.resolver_match
        outsider = request.user.is_authenticated and role_of(request.user) is None
        if response is None and outsider and (match is None or match.view_name not in ROLELESS_PAGES):
            raise Http404("No such page.")
        return response
