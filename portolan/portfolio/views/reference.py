"""Objectives, teams and services: list, detail, edit, delete."""

from portolan.core.views import generic
from portolan.portfolio import filters, forms, tables
from portolan.portfolio.models import Objective, Service, Team


class ObjectiveListView(generic.ObjectListView):
    model = Objective
    filterset = filters.ObjectiveFilterSet
    table = tables.ObjectiveTable
    default_sort = "code"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent")


class ObjectiveDetailView(generic.ObjectDetailView):
    model = Objective
    template_name = "portfolio/objective_detail.html"

    def extra_context(self, request, obj):
        links = obj.initiative_links.select_related("initiative", "initiative__team").order_by(
            "initiative__key"
        )
        return {"links": links, "children": obj.children.all()}


class ObjectiveEditView(generic.ObjectEditView):
    model = Objective
    form_class = forms.ObjectiveForm


class ObjectiveDeleteView(generic.ObjectDeleteView):
    model = Objective


class TeamListView(generic.ObjectListView):
    model = Team
    filterset = filters.TeamFilterSet
    table = tables.TeamTable
    default_sort = "name"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("lead")


class TeamDetailView(generic.ObjectDetailView):
    model = Team
    template_name = "portfolio/team_detail.html"

    def extra_context(self, request, obj):
        return {
            "members": obj.members.order_by("username"),
            "initiatives": obj.initiatives.restrict(request.user).order_by("key")[:200],
            "efforts": obj.efforts.select_related("initiative").order_by("initiative__key")[:200],
            "services": obj.services.all(),
        }


class TeamEditView(generic.ObjectEditView):
    model = Team
    form_class = forms.TeamForm


class TeamDeleteView(generic.ObjectDeleteView):
    model = Team


class ServiceListView(generic.ObjectListView):
    model = Service
    filterset = filters.ServiceFilterSet
    table = tables.ServiceTable
    default_sort = "code"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner_team")


class ServiceDetailView(generic.ObjectDetailView):
    model = Service
    template_name = "portfolio/service_detail.html"

    def extra_context(self, request, obj):
        return {"initiatives": obj.initiatives.restrict(request.user).select_related("team").order_by("key")}


class ServiceEditView(generic.ObjectEditView):
    model = Service
    form_class = forms.ServiceForm


class ServiceDeleteView(generic.ObjectDeleteView):
    model = Service
