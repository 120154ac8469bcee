"""An incident event log import feeds the catalogue's ITSM KPIs (MTTR, SLA_COMPL, REASSIGN ...)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from portolan.core.models import AuditEntry
from portolan.kpis import services as kpi_services
from portolan.kpis.models import Kpi, Measurement
from portolan.operations import services
from portolan.operations.models import EventLog
from tests.conftest import client_for
from tests.operations.conftest import MAPPING, SERVICENOW_ZIP


def audit_of(measurement: Measurement) -> AuditEntry:
    entries = AuditEntry.objects.filter(content_type__model="measurement", object_id=str(measurement.pk))
    return entries.order_by("-pk").first()


def series(code: str) -> dict[str, float]:
    return dict(
        Measurement.objects.filter(kpi__code=code).order_by("period_start").values_list("period", "value")
    )


@pytest.fixture
def library(db, cli_context):
    kpi_services.load_library(cli_context)


def test_servicenow_import_feeds_monthly_itsm_kpis(library, manager, capsys):
    call_command(
        "eventlog", "import", str(SERVICENOW_ZIP), "--preset", "servicenow", "--name", "ServiceNow", "--json"
    )
    out = json.loads(capsys.readouterr().out)
    log = EventLog.objects.get(pk=out["id"])
    fed = {k["code"] for k in out["kpis"]["fed"]}
    assert {"MTTR", "SLA_COMPL", "REASSIGN", "REOPEN", "INC_VOLUME", "INC_P1", "INC_P2", "FCR"} <= fed
    assert "BACKLOG_AGE" in fed  # weekly in the library: fed per ISO week
    assert set(out["kpis"]["skipped"]) == {"MTBF", "SLA_RESP"}
    assert log.analysis["kpis"] == out["kpis"]

    mttr, sla, reassign, reopen, volume = (
        series(c) for c in ("MTTR", "SLA_COMPL", "REASSIGN", "REOPEN", "INC_VOLUME")
    )
    for values in (mttr, sla, reassign, reopen, volume):
        assert 10 <= len(values) <= 13  # the log runs from 2016-02-29 to 2017-02-18
    # The busy months, Mar-May 2016 (the log's tail holds a few long-running incidents).
    assert all(24 < mttr[m] < 200 for m in ("2016-03", "2016-04", "2016-05"))
    assert mttr["2016-04"] == pytest.approx(95.4895)
    assert all(0 <= v <= 100 for d in (sla, reassign, reopen) for v in d.values())
    assert 30 < reassign["2016-04"] < 45 and reopen["2016-04"] < 3 and 60 < sla["2016-05"] < 90
    # Volumes only for months the log covers: not February 2016 (one day) nor 2017 (18 days).
    assert volume["2016-03"] == 8995 and "2016-02" not in volume and "2017-02" not in volume
    assert all(period.count("-W") == 1 for period in series("BACKLOG_AGE"))
    assert not Measurement.objects.filter(kpi__code__in=["MTBF", "SLA_RESP"]).exists()

    for measurement in Measurement.objects.filter(kpi__code__in=["MTTR", "REOPEN"]):
        assert measurement.source == Measurement.Source.COMPUTED
        assert measurement.note == "Event log: ServiceNow"
        audit = audit_of(measurement)
        assert (audit.action, audit.source, audit.actor) == ("create", AuditEntry.Source.CLI, None)

    page = client_for(manager).get(log.get_absolute_url()).content.decode()
    assert "Feeds KPIs:" in page
    mttr_kpi = Kpi.objects.get(code="MTTR")
    assert f'href="{mttr_kpi.get_absolute_url()}?tab=measurements"' in page


def test_a_kpi_missing_from_the_catalogue_is_skipped_and_reported(library, log_csv, cli_context):
    Kpi.objects.filter(code="REOPEN").delete()
    mapping, _ = services.mapping_from(MAPPING)
    log = services.import_eventlog(cli_context, log_csv, name="Synthetic", mapping=mapping)
    kpis = log.analysis["kpis"]
    assert kpis["skipped"]["REOPEN"] == "not in the KPI catalogue"
    assert "no SLA" in kpis["skipped"]["SLA_COMPL"] and "priority" in kpis["skipped"]["INC_P1"]
    assert {k["code"] for k in kpis["fed"]} >= {"MTTR", "REASSIGN", "INC_VOLUME"}
    # 40 daily incidents from 2024-01-01, each opened by the desk and handed to network: all reassigned.
    assert series("MTTR")["2024-01"] > 0 and series("REASSIGN")["2024-01"] == 100.0
    assert not Measurement.objects.filter(kpi__code="REOPEN").exists()


def test_a_second_import_replaces_the_periods_values(library, log_csv, cli_context):
    mapping, _ = services.mapping_from(MAPPING)
    services.import_eventlog(cli_context, log_csv, name="First", mapping=mapping)
    count = Measurement.objects.count()
    services.import_eventlog(cli_context, log_csv, name="Again", mapping=mapping)
    assert Measurement.objects.count() == count
    assert set(Measurement.objects.filter(kpi__code="MTTR").values_list("note", flat=True)) == {
        "Event log: Again"
    }


def test_without_kpis_nothing_is_recorded(library, log_csv, cli_context):
    mapping, _ = services.mapping_from(MAPPING)
    log = services.import_eventlog(cli_context, log_csv, name="Quiet", mapping=mapping, record_kpis=False)
    assert "kpis" not in log.analysis and not Measurement.objects.exists()


def test_wizard_import_feeds_only_the_kpis_the_contributor_may_change(library, contributor, team, log_csv):
    Kpi.objects.filter(code="MTTR").update(team=team)  # the contributor's team owns MTTR only
    client = client_for(contributor)
    upload = SimpleUploadedFile("incidents.csv", log_csv.read_bytes())
    data = {"step": "upload", "name": "Web log", "team": str(team.pk), "file": upload}
    client.post("/operations/eventlogs/import/", data)
    client.post("/operations/eventlogs/import/", {"step": "mapping", **MAPPING})
    client.post("/operations/eventlogs/import/", {"step": "confirm", "on_bad_rows": "reject"})
    log = EventLog.objects.get()
    assert [k["code"] for k in log.analysis["kpis"]["fed"]] == ["MTTR"]
    assert log.analysis["kpis"]["skipped"]["REASSIGN"] == "you may not record values of this KPI"
    measurement = Measurement.objects.get(kpi__code="MTTR", period="2024-01")
    audit = audit_of(measurement)
    assert (audit.source, audit.actor) == (AuditEntry.Source.WEB, contributor)
    assert "Feeds KPIs:" in client.get(log.get_absolute_url()).content.decode()
