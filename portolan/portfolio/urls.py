from django.urls import path

from portolan.portfolio.views import children, initiatives, io, map, reference

app_name = "portfolio"


def crud(prefix: str, name: str, list_view, detail_view, edit_view, delete_view) -> list:
    return [
        path(f"{prefix}/", list_view.as_view(), name=f"{name}_list"),
        path(f"{prefix}/add/", edit_view.as_view(), name=f"{name}_add"),
        path(f"{prefix}/<int:pk>/", detail_view.as_view(), name=f"{name}_detail"),
        path(f"{prefix}/<int:pk>/edit/", edit_view.as_view(), name=f"{name}_edit"),
        path(f"{prefix}/<int:pk>/delete/", delete_view.as_view(), name=f"{name}_delete"),
    ]


def child(prefix: str, name: str, edit_view, delete_view=None) -> list:
    routes = [
        path(f"{prefix}/add/", edit_view.as_view(), name=f"{name}_add"),
        path(f"{prefix}/<int:pk>/edit/", edit_view.as_view(), name=f"{name}_edit"),
    ]
    if delete_view is not None:
        routes.append(path(f"{prefix}/<int:pk>/delete/", delete_view.as_view(), name=f"{name}_delete"))
    return routes


urlpatterns = [
    *crud(
        "initiatives",
        "initiative",
        initiatives.InitiativeListView,
        initiatives.InitiativeDetailView,
        initiatives.InitiativeEditView,
        initiatives.InitiativeDeleteView,
    ),
    path("initiatives/bulk-edit/", initiatives.InitiativeBulkEditView.as_view(), name="initiative_bulk_edit"),
    path("initiatives/<int:pk>/stage/", initiatives.InitiativeStageView.as_view(), name="initiative_stage"),
    path(
        "initiatives/<int:pk>/baseline/",
        initiatives.InitiativeBaselineView.as_view(),
        name="initiative_baseline",
    ),
    *crud(
        "objectives",
        "objective",
        reference.ObjectiveListView,
        reference.ObjectiveDetailView,
        reference.ObjectiveEditView,
        reference.ObjectiveDeleteView,
    ),
    *crud(
        "teams",
        "team",
        reference.TeamListView,
        reference.TeamDetailView,
        reference.TeamEditView,
        reference.TeamDeleteView,
    ),
    *crud(
        "services",
        "service",
        reference.ServiceListView,
        reference.ServiceDetailView,
        reference.ServiceEditView,
        reference.ServiceDeleteView,
    ),
    *child("dependencies", "dependency", children.DependencyEditView, children.DependencyDeleteView),
    *child("milestones", "milestone", children.MilestoneEditView, children.MilestoneDeleteView),
    path("status-updates/add/", children.StatusUpdateAddView.as_view(), name="statusupdate_add"),
    *child("raci", "raciassignment", children.RaciEditView, children.RaciDeleteView),
    *child(
        "objective-links", "objectivelink", children.ObjectiveLinkEditView, children.ObjectiveLinkDeleteView
    ),
    *child("efforts", "effort", children.EffortEditView, children.EffortDeleteView),
    path("map/", map.MapHierarchyView.as_view(), name="map_hierarchy"),
    path("map/graph/", map.MapGraphView.as_view(), name="map_graph"),
    path("map/alignment/", map.MapAlignmentView.as_view(), name="map_alignment"),
    path("map/raci/", map.MapRaciView.as_view(), name="map_raci"),
    path("import/", io.ImportView.as_view(), name="import"),
    path("export/initiatives.<str:fmt>", io.ExportView.as_view(), name="initiative_export"),
]
