from django.urls import path

from portolan.operations.views import dora, eventlogs, findings

app_name = "operations"

urlpatterns = [
    path("eventlogs/", eventlogs.EventLogListView.as_view(), name="eventlog_list"),
    path("eventlogs/import/", eventlogs.EventLogImportView.as_view(), name="eventlog_import"),
    path("eventlogs/<int:pk>/", eventlogs.EventLogDetailView.as_view(), name="eventlog_detail"),
    path("eventlogs/<int:pk>/map/", eventlogs.EventLogMapView.as_view(), name="eventlog_map"),
    path("eventlogs/<int:pk>/variants/", eventlogs.EventLogVariantsView.as_view(), name="eventlog_variants"),
    path(
        "eventlogs/<int:pk>/bottlenecks/",
        eventlogs.EventLogBottlenecksView.as_view(),
        name="eventlog_bottlenecks",
    ),
    path("eventlogs/<int:pk>/sla/", eventlogs.EventLogSlaView.as_view(), name="eventlog_sla"),
    path("eventlogs/<int:pk>/workload/", eventlogs.EventLogWorkloadView.as_view(), name="eventlog_workload"),
    path("eventlogs/<int:pk>/delete/", eventlogs.EventLogDeleteView.as_view(), name="eventlog_delete"),
    path("findings/", findings.FindingListView.as_view(), name="finding_list"),
    path("findings/<int:pk>/", findings.FindingDetailView.as_view(), name="finding_detail"),
    path("findings/<int:pk>/improve/", findings.FindingImproveView.as_view(), name="finding_improve"),
    path("findings/<int:pk>/status/", findings.FindingStatusView.as_view(), name="finding_status"),
    path("dora/", dora.DoraView.as_view(), name="dora"),
    path("dora/import/", dora.DoraImportView.as_view(), name="dora_import"),
    path("dora/<int:pk>/", dora.DoraView.as_view(), name="dora_detail"),
    path("dora/<int:pk>/delete/", dora.DoraDeleteView.as_view(), name="dora_delete"),
]
