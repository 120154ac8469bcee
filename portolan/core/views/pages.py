"""Home, audit log, users & roles, API tokens, global search."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views import View

from portolan.core.audit import ChangeContext, record, snapshot
from portolan.core.models import ApiToken, AuditEntry, Profile
from portolan.core.roles import Role, is_admin, is_manager
from portolan.core.views.generic import paginate
from portolan.kpis import dashboard
from portolan.kpis.models import Kpi
from portolan.portfolio.models import Initiative, Objective, Service, Team
from portolan.risks.models import Risk


class HomeView(View):
    """The executive dashboard: health, budget, milestones, KPIs, risk heatmaps, P80 dates."""

    def get(self, request):
        return render(request, "core/home.html", dashboard.executive(request.user, timezone.localdate()))


class AuditLogView(View):
    """Every recorded change, filterable; for portfolio managers and admins."""

    def get(self, request):
        if not is_manager(request.user):
            raise PermissionDenied("The audit log is for portfolio managers and administrators.")
        entries = AuditEntry.objects.select_related("content_type", "actor")
        f = request.GET
        if f.get("actor"):
            entries = entries.filter(actor_name=f["actor"])
        if f.get("action"):
            entries = entries.filter(action=f["action"])
        if f.get("source"):
            entries = entries.filter(source=f["source"])
        if f.get("type"):
            entries = entries.filter(content_type__model=f["type"])
        if f.get("request_id"):
            entries = entries.filter(request_id=f["request_id"])
        if f.get("q"):
            entries = entries.filter(Q(object_repr__icontains=f["q"]) | Q(reason__icontains=f["q"]))
        for param, lookup in (("since", "time__date__gte"), ("until", "time__date__lte")):
            if f.get(param):
                day = _parse_day(f[param])
                if day is None:
                    messages.warning(request, f"'{f[param]}' is not a date (YYYY-MM-DD): {param} is ignored.")
                else:
                    entries = entries.filter(**{lookup: day})
        page, per_page = paginate(request, entries)
        context = {
            "page": page,
            "per_page": per_page,
            "actions": AuditEntry.Action.choices,
            "sources": AuditEntry.Source.choices,
            "types": sorted(set(AuditEntry.objects.values_list("content_type__model", flat=True).distinct())),
            "actors": [
                "system",
                *get_user_model().objects.order_by("username").values_list("username", flat=True),
            ],
            "f": f,
            "query": _without_page(request),
        }
        return render(request, "core/audit_log.html", context)


def _parse_day(value: str):
    try:
        return parse_date(value)
    except ValueError:
        return None


def _without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


class UserListView(View):
    """Admins give roles to accounts."""

    def dispatch(self, request, *args, **kwargs):
        if not is_admin(request.user):
            raise PermissionDenied("Only administrators manage users and roles.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        users = (
            get_user_model().objects.select_related("profile").prefetch_related("teams").order_by("username")
        )
        page, per_page = paginate(request, users)
        return render(
            request, "core/user_list.html", {"page": page, "per_page": per_page, "roles": Role.choices}
        )

    def post(self, request):
        user = get_user_model().objects.filter(pk=request.POST.get("user")).first()
        role = request.POST.get("role", "")
        if user is None or role not in Role.values:
            messages.error(request, "Choose a user and one of the roles.")
        else:
            with transaction.atomic():
                profile, _ = Profile.objects.get_or_create(user=user)
                before = snapshot(profile)
                profile.role = role
                profile.save()
                record(
                    ChangeContext.from_request(request),
                    AuditEntry.Action.UPDATE,
                    profile,
                    before,
                    snapshot(profile),
                )
            messages.success(request, f"{user.username} is now {Role(role).label}.")
        return HttpResponseRedirect(reverse("user_list"))


class TokenListView(View):
    """Your API tokens (admins see everyone's). The raw token is shown once."""

    def get(self, request, raw: str | None = None):
        tokens = ApiToken.objects.select_related("user")
        if not is_admin(request.user):
            tokens = tokens.filter(user=request.user)
        return render(request, "core/token_list.html", {"tokens": tokens, "raw": raw})

    def post(self, request):
        if request.POST.get("delete"):
            tokens = ApiToken.objects.filter(pk=request.POST["delete"])
            if not is_admin(request.user):
                tokens = tokens.filter(user=request.user)
            token = tokens.first()
            if token is None:
                raise PermissionDenied
            with transaction.atomic():
                record(
                    ChangeContext.from_request(request),
                    AuditEntry.Action.DELETE,
                    token,
                    snapshot(token),
                    None,
                )
                token.delete()
            messages.success(request, "Token revoked.")
            return HttpResponseRedirect(reverse("token_list"))
        with transaction.atomic():
            token, raw = ApiToken.issue(request.user, request.POST.get("name", "")[:100])
            record(
                ChangeContext.from_request(request), AuditEntry.Action.CREATE, token, None, snapshot(token)
            )
        return self.get(request, raw=raw)


# What the global search looks in: (heading, model, fields matched, how many shown).
SEARCHES = (
    ("Initiatives", Initiative, ("key", "title"), 25),
    ("Risks", Risk, ("key", "title"), 25),
    ("KPIs", Kpi, ("code", "name"), 10),
    ("Objectives", Objective, ("code", "name"), 10),
    ("Teams", Team, ("code", "name"), 10),
    ("Services", Service, ("code", "name"), 10),
)


class SearchView(View):
    """Initiatives, risks, KPIs, reference data and people by key or name."""

    def get(self, request):
        q = request.GET.get("q", "").strip()
        results = {}
        if q:
            for heading, model, fields, limit in SEARCHES:
                match = Q()
                for field in fields:
                    match |= Q(**{f"{field}__icontains": q})
                results[heading] = model.objects.restrict(request.user).filter(match)[:limit]
            results["People"] = get_user_model().objects.filter(
                Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q)
            )[:10]
        return render(request, "core/search.html", {"q": q, "results": results})
