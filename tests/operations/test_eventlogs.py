"""Event log import (CLI and wizard), bad input, the analysis pages."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from portolan.core.models import AuditEntry
from portolan.operations import services
from portolan.operations.models import EventLog, Finding
from tests.conftest import client_for, last_audit
from tests.operations.conftest import MAPPING, SERVICENOW_ZIP, write_log

IMPORT = "/operations/eventlogs/import/"


def test_cli_imports_the_servicenow_zip_with_its_preset(db, capsys):
    call_command(
        "eventlog", "import", str(SERVICENOW_ZIP), "--preset", "servicenow", "--name", "ServiceNow", "--json"
    )
    out = json.loads(capsys.readouterr().out)
    log = EventLog.objects.get(pk=out["id"])
    assert (log.events, log.cases) == (141_712, 24_918)
    assert out["events"] == 141_712 and out["cases"] == 24_918 and out["bad_rows"] == 0
    assert log.parquet.exists() and log.parquet.suffix == ".parquet"
    assert log.parquet.is_relative_to(services.settings.DATA_DIR / "eventlogs")
    audit = last_audit(log)
    assert (audit.action, audit.source, audit.actor) == ("create", AuditEntry.Source.CLI, None)
    codes = set(log.findings.values_list("code", flat=True))
    assert {"reassignment", "sla_breach", "bottleneck"} <= codes
    assert log.findings.filter(kpi_code="REASSIGN").exists()
    # Pages read the cache written at import: no recomputation, and the analysis is there.
    cached = sorted(p.name for p in (log.folder / "cache").iterdir())
    assert cached == [
        "analysis-min_max.json",
        "bottlenecks-min_max.json",
        "sla-min_max.json",
        "workload-min_max.json",
    ]


def test_cli_import_with_explicit_columns_and_a_wrong_column_fails_clearly(db, tmp_path):
    path = write_log(tmp_path / "log.csv")
    with pytest.raises(CommandError, match=r"'stat'.*did you mean 'state'"):
        call_command(
            "eventlog",
            "import",
            str(path),
            "--name",
            "X",
            "--case",
            "number",
            "--activity",
            "stat",
            "--timestamp",
            "updated",
        )
    assert not EventLog.objects.exists()


def test_cli_import_rejects_bad_rows_unless_quarantined(db, tmp_path, capsys):
    path = write_log(tmp_path / "log.csv", bad=2)
    args = ["eventlog", "import", str(path), "--name", "X", "--case", "number", "--activity", "state"]
    args += ["--timestamp", "updated", "--timestamp-format", "%d/%m/%Y %H:%M"]
    with pytest.raises(CommandError, match="2 bad row"):
        call_command(*args)
    call_command(*args, "--quarantine")
    log = EventLog.objects.get()
    assert log.bad_rows == 2 and "unparseable timestamp" in log.bad_row_summary


# ---------------------------------------------------------------- the wizard


def upload(client, content: bytes, name="incidents.csv", **extra):
    data = {"step": "upload", "name": "Web log", "file": SimpleUploadedFile(name, content), **extra}
    return client.post(IMPORT, data)


def test_wizard_imports_with_explicit_mapping_and_audits_the_user(db, contributor, team, log_csv):
    client = client_for(contributor)
    step2 = upload(client, log_csv.read_bytes(), team=str(team.pk))
    assert step2.status_code == 200 and step2.context["step"] == "mapping"
    preview = client.post(IMPORT, {"step": "mapping", **MAPPING})
    assert preview.context["step"] == "preview" and preview.context["report"]["cases"] == 40
    done = client.post(IMPORT, {"step": "confirm", "on_bad_rows": "reject"})
    log = EventLog.objects.get()
    assert done.status_code == 302 and done["Location"] == log.get_absolute_url()
    assert (log.team, log.imported_by, log.cases) == (team, contributor, 40)
    assert last_audit(log).actor == contributor and last_audit(log).source == AuditEntry.Source.WEB


def test_wrong_mapping_is_explained_on_the_page(db, manager, log_csv):
    client = client_for(manager)
    upload(client, log_csv.read_bytes())
    response = client.post(IMPORT, {"step": "mapping", **MAPPING, "timestamp": "team"})
    assert response.status_code == 200 and response.context["step"] == "mapping"
    text = response.content.decode()
    assert "This mapping does not fit the file." in text
    assert "No known timestamp format parses the timestamp column" in text


def test_preset_that_does_not_fit_names_the_missing_columns(db, manager, log_csv):
    response = upload(client_for(manager), log_csv.read_bytes(), preset="servicenow")
    assert response.context["step"] == "mapping"
    assert "Unknown column(s) in mapping: &#x27;incident_state&#x27;" in response.content.decode()


def test_bad_rows_are_shown_and_can_be_quarantined(db, manager, tmp_path):
    client = client_for(manager)
    upload(client, write_log(tmp_path / "bad.csv", bad=3).read_bytes())
    preview = client.post(IMPORT, {"step": "mapping", **MAPPING, "timestamp_format": "%d/%m/%Y %H:%M"})
    text = preview.content.decode()
    assert preview.context["report"]["bad_rows"] == 3
    assert "Quarantine 3 row(s) and import" in text and "not-a-date" in text
    client.post(IMPORT, {"step": "confirm", "on_bad_rows": "quarantine"})
    log = EventLog.objects.get()
    assert log.bad_rows == 3 and (log.folder / "bad.parquet").exists()
    assert "3 bad row(s)" in client.get(log.get_absolute_url()).content.decode()


def test_rejecting_a_file_with_bad_rows_imports_nothing(db, manager, tmp_path):
    client = client_for(manager)
    upload(client, write_log(tmp_path / "bad.csv", bad=1).read_bytes())
    client.post(IMPORT, {"step": "mapping", **MAPPING, "timestamp_format": "%d/%m/%Y %H:%M"})
    response = client.post(IMPORT, {"step": "confirm", "on_bad_rows": "reject"}, follow=True)
    assert not EventLog.objects.exists()
    assert "The file was rejected: 1 bad row(s); nothing was imported." in response.content.decode()


def test_upload_above_the_limit_is_refused_with_a_clear_message(db, manager, settings, log_csv):
    settings.MAX_UPLOAD_BYTES = 1000
    response = upload(client_for(manager), log_csv.read_bytes())
    assert response.status_code == 413
    assert "larger than the upload limit" in response.content.decode()
    assert "portolan eventlog import" in response.content.decode()
    assert not EventLog.objects.exists()


def test_upload_declaring_a_huge_body_is_refused_before_reading_it(db, manager):
    response = client_for(manager).post(
        IMPORT, data=b"x", content_type="multipart/form-data; boundary=z", CONTENT_LENGTH=str(1 << 30)
    )
    assert response.status_code == 413
    assert "larger than the upload limit" in response.content.decode()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"number,state,updated\n", "empty.csv", "Empty log"),
        (
            b'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><log>&b;</log>',
            "evil.xes",
            "Refused unsafe XES",
        ),
        (b"\x00\x01binary junk", "junk.parquet", "Cannot read the file"),
    ],
)
def test_bad_files_get_a_clear_message(db, manager, content, name, message):
    client = client_for(manager)
    response = upload(client, content, name=name, preset="xes" if name.endswith(".xes") else "")
    if response.context["step"] == "mapping":  # the columns were readable: the preview says why not
        response = client.post(
            IMPORT, {"step": "mapping", "case": "number", "activity": "state", "timestamp": "updated"}
        )
    assert message in response.content.decode()
    assert not EventLog.objects.exists()


def test_one_event_cases_and_out_of_order_rows_import(db, cli_context, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text(
        "number,state,updated\nA,Closed,02/01/2024 10:00\nA,Open,01/01/2024 10:00\nB,Open,03/01/2024 10:00\n"
        "A,Closed,02/01/2024 10:00\n"
    )
    mapping, _ = services.mapping_from({"case": "number", "activity": "state", "timestamp": "updated"})
    log = services.import_eventlog(cli_context, path, name="Odd", mapping=mapping)
    assert (log.cases, log.events, log.duplicate_events) == (2, 4, 1)
    variants = {
        tuple(v["activities"])
        for v in services.analysis.page_data(log, "analysis", services.Window())["variants"]
    }
    assert variants == {("Open", "Closed", "Closed"), ("Open",)}


# ---------------------------------------------------------------- permissions and pages


def test_viewer_cannot_import_or_delete(db, viewer, imported_log):
    client = client_for(viewer)
    assert client.get(IMPORT).status_code == 403
    assert client.post(reverse("operations:eventlog_delete", args=[imported_log.pk])).status_code == 403


def test_contributor_of_another_team_cannot_delete_the_log(db, other_team, imported_log):
    from tests.factories import UserFactory

    stranger = UserFactory(username="stranger", role="contributor")
    other_team.members.add(stranger)
    assert (
        client_for(stranger).post(reverse("operations:eventlog_delete", args=[imported_log.pk])).status_code
        == 403
    )


def test_deleting_a_log_removes_its_files_and_audits_it(
    db, manager, imported_log, django_capture_on_commit_callbacks
):
    folder = imported_log.folder
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post(reverse("operations:eventlog_delete", args=[imported_log.pk]))
    assert response.status_code == 302
    assert not folder.exists()
    assert AuditEntry.objects.filter(action="delete", content_type__model="eventlog").exists()
    assert AuditEntry.objects.filter(action="delete", content_type__model="finding").count() >= 1


@pytest.mark.parametrize(
    "name",
    [
        "eventlog_detail",
        "eventlog_map",
        "eventlog_variants",
        "eventlog_bottlenecks",
        "eventlog_sla",
        "eventlog_workload",
    ],
)
def test_analysis_pages_render_whole_log_and_time_window(db, viewer, imported_log, name):
    client = client_for(viewer)
    url = reverse(f"operations:{name}", args=[imported_log.pk])
    assert client.get(url).status_code == 200
    windowed = client.get(url, {"start": "2024-01-10", "end": "2024-01-20"})
    assert windowed.status_code == 200
    assert windowed.context["window"].start.isoformat() == "2024-01-10"


def test_time_window_narrows_the_process_map(db, viewer, imported_log):
    client = client_for(viewer)
    url = reverse("operations:eventlog_map", args=[imported_log.pk])
    whole = client.get(url).context["graph"]["cases"]
    ten_days = client.get(url, {"start": "2024-01-10", "end": "2024-01-20"}).context["graph"]["cases"]
    assert (whole, ten_days) == (40, 10)
    graph = client.get(url).context["graph"]
    assert {n["id"] for n in graph["nodes"]} == {"Open", "Assigned", "Resolved", "Closed"}
    assert next(n for n in graph["nodes"] if n["id"] == "Open")["layer"] == 0


def test_lists_show_logs_and_findings_ranked_by_impact(db, viewer, imported_log):
    client = client_for(viewer)
    assert "Synthetic incidents" in client.get("/operations/eventlogs/").content.decode()
    page = client.get("/operations/findings/")
    impacts = [row["object"].impact_hours_per_month for row in page.context["rows"]]
    assert impacts == sorted(impacts, reverse=True) and impacts


def test_findings_carry_evidence_cases_from_the_log(db, imported_log):
    finding = imported_log.findings.get(code="reassignment")
    assert finding.evidence_total == 10  # every fourth case bounces between groups
    assert all(case.startswith("INC") for case in finding.evidence_case_ids)
    assert finding.kpi_code == "REASSIGN"
    assert last_audit(finding).action == "create"
    assert Finding.objects.filter(eventlog=imported_log).count() >= 2
