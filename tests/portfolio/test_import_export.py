"""Import and export of the portfolio: real broken files, all-or-nothing commits, round trips."""

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from portolan.core.audit import ChangeContext
from portolan.core.models import AuditEntry
from portolan.portfolio import exporting
from portolan.portfolio.importing import (
    MAX_ROWS,
    Mapping,
    MappingError,
    neutralise,
    run_import,
    unneutralise,
)
from portolan.portfolio.models import Dependency, Initiative, Milestone, Team
from tests.conftest import client_for
from tests.factories import DependencyFactory, InitiativeFactory, MilestoneFactory, TeamFactory, UserFactory
from tests.shared_data import SHARED_DATA

US_FILE = SHARED_DATA / "portfolio" / "us-itdashboard-fy2017" / "businesscase.csv"
HEADER = [
    "Key",
    "Title",
    "Kind",
    "Team",
    "Stage",
    "Planned start",
    "Planned finish",
    "Budget capex",
    "Progress (%)",
]
IMPORT = AuditEntry.Source.IMPORT
pytestmark = pytest.mark.django_db


def import_ctx() -> ChangeContext:
    return ChangeContext(user=None, source=IMPORT)


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def counts() -> tuple[int, int, int, int, int]:
    return (
        Initiative.objects.count(),
        Dependency.objects.count(),
        Milestone.objects.count(),
        Team.objects.count(),
        AuditEntry.objects.count(),
    )


def do_import(path: Path, target: str = "initiatives", mapping: str = "portolan", **kwargs):
    return run_import(path, Mapping.load(mapping, target), import_ctx(), **kwargs)


def assert_refused(
    path: Path, message: str, *, row=None, column=None, value=None, target="initiatives", **kw
):
    """The import fails with this message (and location), and the database is unchanged."""
    before = counts()
    preview = do_import(path, target, **kw)
    assert not preview.committed
    matching = [e for e in preview.errors if message in e.message]
    assert matching, [str(e) for e in preview.errors]
    error = matching[0]
    if row is not None:
        assert error.row == row
    if column is not None:
        assert error.column == column
    if value is not None:
        assert error.value == value
    assert counts() == before
    return preview


ROW = {
    "key": "NET-100",
    "title": "Core switch refresh",
    "kind": "Project",
    "team": "NET",
    "stage": "Idea",
    "start": "2027-01-01",
    "finish": "2027-06-30",
    "budget": "1000.00",
    "progress": "0",
}


def row(key: str = "NET-100", title: str = "Core switch refresh", **changes: str) -> list[str]:
    """A valid row in HEADER's order, with some cells changed."""
    return list({**ROW, "key": key, "title": title, **changes}.values())


# --- the happy path and the audit trail ----------------------------------------------------


def test_import_creates_initiatives_with_audit_rows_of_source_import(tmp_path, team):
    path = write_csv(tmp_path / "a.csv", HEADER, [row(), row("NET-101", "Firewall", budget="2,500.5")])
    preview = do_import(path)
    assert preview.committed and preview.ok
    assert {i.key for i in Initiative.objects.all()} == {"NET-100", "NET-101"}
    assert Initiative.objects.get(key="NET-101").budget_capex == Decimal("2500.50")
    assert Initiative.objects.get(key="NET-100").team == team
    entries = AuditEntry.objects.filter(content_type__model="initiative")
    assert entries.count() == 2
    assert set(entries.values_list("source", "action")) == {(IMPORT, AuditEntry.Action.CREATE)}


def test_reimport_updates_by_key_instead_of_duplicating(tmp_path, team):
    path = write_csv(tmp_path / "a.csv", HEADER, [row(), row("NET-101", "Firewall")])
    do_import(path)
    write_csv(
        path,
        HEADER,
        [row(title="Core switch refresh, phase 2", stage="Assessment"), row("NET-101", "Firewall")],
    )
    preview = do_import(path)
    assert preview.committed
    assert [p.label for p in preview.updates] == ["NET-100"]
    assert [p.label for p in preview.unchanged] == ["NET-101"]
    assert ("title", "Core switch refresh", "Core switch refresh, phase 2") in preview.updates[0].changes
    assert Initiative.objects.count() == 2
    initiative = Initiative.objects.get(key="NET-100")
    assert initiative.title == "Core switch refresh, phase 2" and initiative.stage == "assessment"
    update = AuditEntry.objects.get(object_id=str(initiative.pk), action=AuditEntry.Action.UPDATE)
    assert update.source == IMPORT
    assert (
        update.before["title"] == "Core switch refresh"
        and update.after["title"] == "Core switch refresh, phase 2"
    )


def test_dry_run_validates_but_saves_nothing(tmp_path, team):
    path = write_csv(tmp_path / "a.csv", HEADER, [row()])
    before = counts()
    preview = do_import(path, commit=False)
    assert preview.ok and not preview.committed and len(preview.creates) == 1
    assert counts() == before


def test_sheet_with_only_some_default_columns_leaves_other_fields_alone(tmp_path, team):
    existing = InitiativeFactory(key="NET-100", title="Old", team=team, budget_capex=Decimal("7"))
    path = write_csv(tmp_path / "a.csv", ["Key", "Title"], [["NET-100", "New title"]])
    preview = do_import(path)
    assert preview.committed and "budget_capex" in preview.skipped_fields
    existing.refresh_from_db()
    assert existing.title == "New title" and existing.budget_capex == Decimal("7")


def test_dependencies_and_milestones_import_and_reimport(tmp_path):
    a, b = InitiativeFactory(key="A"), InitiativeFactory(key="B")
    deps = write_csv(
        tmp_path / "d.csv",
        ["Predecessor", "Successor", "Type", "Lag (days)", "Hard", "Note"],
        [["A", "B", "FS", "-5", "no", "x"]],
    )
    assert do_import(deps, "dependencies").committed
    dependency = Dependency.objects.get()
    assert (dependency.predecessor, dependency.successor, dependency.lag_days, dependency.hard) == (
        a,
        b,
        -5,
        False,
    )
    header = ["Initiative", "Name", "Planned date", "Status", "Key milestone"]
    ms = write_csv(tmp_path / "m.csv", header, [["A", "Go-live", "2027-05-31", "Planned", "yes"]])
    assert do_import(ms, "milestones").committed
    write_csv(ms, header, [["A", "Go-live", "2027-06-30", "Planned", "yes"]])
    preview = do_import(ms, "milestones")
    assert preview.committed and len(preview.updates) == 1
    assert Milestone.objects.get().planned_date == dt.date(2027, 6, 30)
    sources = set(
        AuditEntry.objects.filter(content_type__model__in=["dependency", "milestone"]).values_list(
            "source", flat=True
        )
    )
    assert sources == {IMPORT}


# --- broken files --------------------------------------------------------------------------


def test_bad_date_is_reported_with_row_column_and_value(tmp_path, team):
    path = write_csv(tmp_path / "a.csv", HEADER, [row(), row("NET-101", start="2027-02-30")])
    assert_refused(
        path, "Not a valid date: use YYYY-MM-DD", row=3, column="Planned start", value="2027-02-30"
    )


def test_finish_before_start_is_refused(tmp_path, team):
    path = write_csv(tmp_path / "a.csv", HEADER, [row(start="2027-06-30", finish="2027-01-01")])
    assert_refused(
        path, "The finish (2027-01-01) is before the start (2027-06-30).", row=2, column="Planned finish"
    )


def test_unknown_team_is_an_error_unless_the_mapping_creates_teams(tmp_path, team):
    path = write_csv(tmp_path / "a.csv", HEADER, [row(team="XYZ")])
    assert_refused(
        path, "Unknown team 'XYZ': no team has this code or name.", row=2, column="Team", value="XYZ"
    )


def test_duplicate_keys_in_the_file_are_refused(tmp_path, team):
    path = write_csv(tmp_path / "a.csv", HEADER, [row(), row("NET-101"), row()])
    assert_refused(path, "Duplicate: the same key is already on row 2.", row=4, column="Key", value="NET-100")


def test_dependency_cycle_against_existing_and_file_edges_is_refused(tmp_path):
    a, b = InitiativeFactory(key="A"), InitiativeFactory(key="B")
    InitiativeFactory(key="C")
    DependencyFactory(predecessor=a, successor=b)
    path = write_csv(tmp_path / "d.csv", ["Predecessor", "Successor"], [["B", "C"], ["C", "A"]])
    assert_refused(
        path,
        "This dependency would close a cycle: C → A → B → C.",
        row=3,
        column="Predecessor",
        value="C → A",
        target="dependencies",
    )


def test_wrong_types_are_reported_per_cell(tmp_path, team):
    path = write_csv(tmp_path / "a.csv", HEADER, [row(budget="lots", progress="half", kind="Epic")])
    preview = assert_refused(path, "Not a number", row=2, column="Budget capex", value="lots")
    messages = {(e.column, e.message) for e in preview.errors}
    assert ("Progress (%)", "Not a whole number.") in messages
    assert ("Kind", "Not one of the allowed values: Program, Project, Run, Improvement.") in messages


def test_invalid_key_format_and_progress_range(tmp_path, team):
    path = write_csv(tmp_path / "a.csv", HEADER, [row(key="bad key!", progress="140")])
    preview = assert_refused(path, "Use letters, digits", row=2, column="Key", value="bad key!")
    assert any(e.message == "Progress is a percentage between 0 and 100." for e in preview.errors)


def test_forbidden_stage_transition_on_update_is_refused(tmp_path, team):
    InitiativeFactory(key="NET-100", stage=Initiative.Stage.DONE, team=team)
    path = write_csv(tmp_path / "a.csv", HEADER, [row(stage="In progress")])
    assert_refused(
        path, "An initiative cannot go from Done to In progress", row=2, column="Stage", value="In progress"
    )


def test_missing_required_columns_are_refused(tmp_path, team):
    path = write_csv(tmp_path / "a.csv", ["Key", "Team"], [["NET-100", "NET"]])
    assert_refused(
        path,
        "Required column 'Title' is missing from the file (columns found: Key, Team).",
        row=1,
        column="Title",
    )


def test_required_value_missing_is_refused(tmp_path, team):
    path = write_csv(tmp_path / "a.csv", HEADER, [row(title="")])
    assert_refused(path, "A value is required.", row=2, column="Title")


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert_refused(path, "The file is empty: it has no header row and no data.")


def test_header_without_rows_is_refused(tmp_path):
    path = write_csv(tmp_path / "a.csv", HEADER, [])
    assert_refused(path, "The file has a header row but no data rows: there is nothing to import.")


def test_non_utf8_file_names_the_byte_and_offset_and_imports_with_its_encoding(tmp_path, team):
    path = write_csv(tmp_path / "cp1252.csv", HEADER, [row(title="Réseau campus")], encoding="cp1252")
    offset = path.read_bytes().index(b"\xe9")
    preview = assert_refused(path, f"The file is not UTF-8: byte 0xE9 at offset {offset} (line 2)")
    assert "--encoding cp1252" in preview.errors[0].message and preview.errors[0].row is None
    assert do_import(path, encoding="cp1252").committed
    assert Initiative.objects.get().title == "Réseau campus"


def _fifty_megabytes(path: Path) -> Path:
    line = ",".join(row(key="K-{:07d}", title="x" * 60)) + "\n"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(",".join(HEADER) + "\n")
        n = 0
        while fh.tell() < 50 * 1024 * 1024:
            fh.write("".join(line.format(i) for i in range(n, n + 10_000)))
            n += 10_000
    return path


def test_fifty_megabyte_file_is_refused_with_a_clear_message(tmp_path, team):
    path = _fifty_megabytes(tmp_path / "big.csv")
    assert path.stat().st_size >= 50 * 1024 * 1024
    assert_refused(path, f"The file has more than {MAX_ROWS:,} data rows")
    with override_settings(MAX_UPLOAD_BYTES=10 * 1024 * 1024):
        preview = assert_refused(path, "MB; the import limit is 10.0 MB (PORTOLAN_MAX_UPLOAD_MB)")
    assert preview.errors[0].message.startswith("The file is 50.")


def test_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"PK\x03\x04 this is no zip")
    assert_refused(path, "The file is not a readable XLSX workbook")


def test_mapping_with_unknown_field_is_rejected():
    with pytest.raises(MappingError, match="unknown initiatives field"):
        Mapping.from_dict({"initiatives": {"fields": {"key": "Key", "colour": "C"}}}, "initiatives")


# --- the real US IT Dashboard file ---------------------------------------------------------


def test_us_it_dashboard_imports_747_investments_with_zero_errors_then_reimports_unchanged(db):
    preview = do_import(US_FILE, mapping="us-itdashboard-fy2017")
    assert preview.errors == []
    assert preview.committed and len(preview.creates) == 747
    assert Initiative.objects.count() == 747 and Team.objects.count() == 26
    assert (
        AuditEntry.objects.filter(content_type__model="initiative", source=IMPORT, action="create").count()
        == 747
    )
    assert AuditEntry.objects.exclude(source=IMPORT).count() == 0
    ias = Initiative.objects.get(key="005-000000039")
    assert ias.team.code == "005" and ias.team.name == "Department of Agriculture"
    assert ias.planned_start.month == 1 and ias.planned_finish.month == 12 and ias.health_overall
    assert Initiative.objects.filter(health_overall="red").count() == 30
    audit_rows = AuditEntry.objects.count()
    again = do_import(US_FILE, mapping="us-itdashboard-fy2017")
    assert again.ok and len(again.unchanged) == 747 and not again.creates and not again.updates
    assert AuditEntry.objects.count() == audit_rows


# --- export, round trip, formula neutralisation --------------------------------------------


@pytest.fixture
def portfolio(team, other_team):
    owner = UserFactory(username="alice")
    program = InitiativeFactory(
        key="PRG-1", title="Datacenter exit", kind="program", team=team, stage="approved"
    )
    InitiativeFactory(
        key="NET-1",
        title='=HYPERLINK("http://evil")',
        parent=program,
        owner=owner,
        team=team,
        stage="in_progress",
        health_overall="amber",
        health_reason="-3 weeks late; @vendor",
        budget_capex=Decimal("1234.50"),
        budget_opex=Decimal("10"),
        progress=40,
        description="+1 line\nsecond line",
        baseline_start=dt.date(2026, 12, 1),
    ).tags.set([])
    InitiativeFactory(key="SEC-1", title="'=already quoted", team=other_team, kind="improvement")
    return program


def _export(fmt: str, path: Path) -> Path:
    mode = {"csv": ("w", {"encoding": "utf-8", "newline": ""}), "xlsx": ("wb", {})}[fmt]
    with path.open(mode[0], **mode[1]) as fh:
        exporting.export("initiatives", Initiative.objects.all(), fmt, fh)
    return path


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_round_trips_through_import_unchanged(tmp_path, portfolio, fmt):
    from portolan.portfolio.services import tag_objects

    Initiative.objects.get(key="NET-1").tags.set(tag_objects(["network", "dc-exit"]))
    path = _export(fmt, tmp_path / f"export.{fmt}")
    before = counts()
    preview = do_import(path)
    assert preview.ok, [str(e) for e in preview.errors]
    assert len(preview.unchanged) == 3 and not preview.updates and not preview.creates
    assert counts() == before


def test_round_trip_into_an_empty_database_recreates_the_same_rows(tmp_path, portfolio):
    path = _export("xlsx", tmp_path / "export.xlsx")
    snapshot = list(
        Initiative.objects.order_by("key").values(
            "key", "title", "parent__key", "budget_capex", "description"
        )
    )
    Initiative.objects.filter(parent__isnull=False).delete()
    Initiative.objects.all().delete()
    assert do_import(path).committed
    again = list(
        Initiative.objects.order_by("key").values(
            "key", "title", "parent__key", "budget_capex", "description"
        )
    )
    assert again == snapshot


def test_csv_export_neutralises_formulas(tmp_path, portfolio):
    text = _export("csv", tmp_path / "e.csv").read_text(encoding="utf-8")
    rows = {r["Key"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["NET-1"]["Title"] == '\'=HYPERLINK("http://evil")'
    assert rows["NET-1"]["Health reason"] == "'-3 weeks late; @vendor"
    assert rows["NET-1"]["Description"].startswith("'+1 line")
    assert rows["SEC-1"]["Title"] == "''=already quoted"


def test_xlsx_export_neutralises_formulas_and_keeps_types(tmp_path, portfolio):
    book = openpyxl.load_workbook(_export("xlsx", tmp_path / "e.xlsx"))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    net = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "NET-1")
    cell = net[header.index("Title")]
    assert cell.value == '\'=HYPERLINK("http://evil")' and cell.data_type == "s"
    assert not any(c.data_type == "f" for r in sheet.iter_rows() for c in r)
    assert net[header.index("Budget capex")].value == pytest.approx(1234.5)
    assert net[header.index("Baseline start")].value == dt.datetime(2026, 12, 1)


@pytest.mark.parametrize("text", ["=1+1", "+x", "-2", "@SUM(A1)", "'=x", "''@", "plain", "it's", "'", ""])
def test_neutralise_and_unneutralise_are_inverse(text):
    assert unneutralise(neutralise(text)) == text
    assert neutralise(text)[:1] not in ("=", "+", "-", "@")


# --- command line ---------------------------------------------------------------------------


def test_cli_import_success_dry_run_and_failure_exit_codes(tmp_path, team):
    good = write_csv(tmp_path / "good.csv", HEADER, [row()])
    out = io.StringIO()
    call_command("import", "initiatives", str(good), "--mapping", "portolan", "--dry-run", stdout=out)
    assert "Would create 1" in out.getvalue() and Initiative.objects.count() == 0
    call_command("import", "initiatives", str(good), "--mapping", "portolan", stdout=io.StringIO())
    assert Initiative.objects.count() == 1
    created = AuditEntry.objects.filter(source=IMPORT, action="create")
    assert sorted(created.values_list("content_type__model", flat=True)) == ["initiative", "raciassignment"]
    bad = write_csv(tmp_path / "bad.csv", HEADER, [row("NET-200"), row("NET-201", team="NOPE")])
    before, out = counts(), io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "import", "initiatives", str(bad), "--mapping", "portolan", stdout=out, stderr=io.StringIO()
        )
    assert exit_info.value.code == 1
    assert "Unknown team 'NOPE'" in out.getvalue() and "3" in out.getvalue()
    assert counts() == before


def test_cli_import_with_a_mapping_file_and_unknown_mapping(tmp_path, team):
    mapping = tmp_path / "m.json"
    mapping.write_text('{"initiatives": {"fields": {"key": "ID", "title": "Name", "health_overall": '
                       '{"column": "RAG", "value_map": {"G": "green", "R": "red"}}}}}')  # fmt: skip
    data = write_csv(tmp_path / "x.csv", ["ID", "Name", "RAG"], [["X-1", "One", "G"], ["X-2", "Two", "R"]])
    call_command("import", "initiatives", str(data), "--mapping", str(mapping), stdout=io.StringIO())
    assert dict(Initiative.objects.values_list("key", "health_overall")) == {"X-1": "green", "X-2": "red"}
    with pytest.raises(CommandError, match="no bundled mapping"):
        call_command("import", "initiatives", str(data), "--mapping", "nope")


def test_cli_export_with_filters_round_trips(tmp_path, portfolio, team):
    out = tmp_path / "net.csv"
    call_command(
        "export", "initiatives", "--format", "csv", "--out", str(out), "--team", "NET", stdout=io.StringIO()
    )
    keys = [r["Key"] for r in csv.DictReader(out.open(encoding="utf-8"))]
    assert keys == ["NET-1", "PRG-1"]
    preview = do_import(out)
    assert preview.ok and len(preview.unchanged) == 2


def test_cli_export_of_dependencies_and_milestones_reimports_unchanged(tmp_path):
    dep = DependencyFactory(lag_days=-3, note="=cmd")
    MilestoneFactory(initiative=dep.successor, name="@go-live")
    for target in ("dependencies", "milestones"):
        out = tmp_path / f"{target}.xlsx"
        call_command("export", target, "--format", "xlsx", "--out", str(out), stdout=io.StringIO())
        preview = do_import(out, target)
        assert preview.ok and len(preview.unchanged) == 1, [str(e) for e in preview.errors]


# --- pages ----------------------------------------------------------------------------------


def _upload(client, path: Path, target="initiatives", mapping="portolan"):
    with path.open("rb") as fh:
        return client.post(
            reverse("portfolio:import"), {"step": "upload", "target": target, "mapping": mapping, "file": fh}
        )


def test_page_flow_upload_mapping_preview_commit(tmp_path, manager, team):
    path = write_csv(tmp_path / "a.csv", ["ID", "Name", "Team"], [["NET-300", "Wi-Fi 7", "Network"]])
    client = client_for(manager)
    response = _upload(client, path)
    assert response.status_code == 200
    assert b"Map the columns of a.csv" in response.content
    token = client.session["portolan_import"]["token"]
    choice = {"token": token, "step": "preview", "col_key": "ID", "col_title": "Name", "col_team": "Team"}
    response = client.post(reverse("portfolio:import"), choice)
    assert response.status_code == 200 and b"To create" in response.content
    assert response.context["counts"]["create"] == 1 and Initiative.objects.count() == 0
    response = client.post(reverse("portfolio:import"), {"token": token, "step": "commit"})
    assert response.status_code == 302 and response.url == reverse("portfolio:initiative_list")
    initiative = Initiative.objects.get(key="NET-300")
    entry = AuditEntry.objects.get(object_id=str(initiative.pk), content_type__model="initiative")
    assert (entry.source, entry.actor) == (IMPORT, manager)
    assert "portolan_import" not in client.session


def test_page_prefills_the_mapping_and_shows_errors_without_saving(tmp_path, admin, team):
    path = write_csv(tmp_path / "a.csv", HEADER, [row(start="31/12/2027")])
    client = client_for(admin)
    response = _upload(client, path)
    fields = {f["name"]: f["selected"] for f in response.context["fields"]}
    assert fields["key"] == "Key" and fields["planned_start"] == "Planned start" and fields["owner"] == ""
    token = client.session["portolan_import"]["token"]
    post = {"token": token, "step": "preview", **{f"col_{k}": v for k, v in fields.items()}}
    response = client.post(reverse("portfolio:import"), post)
    assert response.context["counts"]["errors"] == 1
    assert b"Not a valid date" in response.content and b"31/12/2027" in response.content
    response = client.post(reverse("portfolio:import"), {"token": token, "step": "commit"})
    assert response.status_code == 200 and b"Nothing will be imported" in response.content
    assert Initiative.objects.count() == 0


def test_page_reports_file_problems_on_upload(tmp_path, manager):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    uploads = Path(settings.DATA_DIR) / "uploads" / "imports"
    kept = set(uploads.glob("*"))
    response = _upload(client_for(manager), path)
    assert response.status_code == 200 and b"The file is empty" in response.content
    assert set(uploads.glob("*")) == kept


def test_page_refuses_a_token_from_another_session(tmp_path, manager, team):
    path = write_csv(tmp_path / "a.csv", HEADER, [row()])
    _upload(client_for(manager), path)
    response = client_for(manager).post(reverse("portfolio:import"), {"token": "forged", "step": "commit"})
    assert response.status_code == 302 and Initiative.objects.count() == 0


@pytest.mark.parametrize("persona", ["viewer", "contributor", "executive"])
def test_only_managers_may_import(personas, persona, tmp_path):
    client = client_for(personas[persona])
    assert client.get(reverse("portfolio:import")).status_code == 403
    path = write_csv(tmp_path / "a.csv", HEADER, [row()])
    assert _upload(client, path).status_code == 403


def test_export_view_applies_filters_for_any_reader(portfolio, viewer, team):
    client = client_for(viewer)
    url = reverse("portfolio:initiative_export", args=["csv"])
    response = client.get(url, {"team": team.pk, "kind": "program"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["Key"] for r in rows] == ["PRG-1"]
    xlsx = client.get(reverse("portfolio:initiative_export", args=["xlsx"]))
    assert xlsx.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).worksheets[0].max_row == 4
    assert client.get(reverse("portfolio:initiative_export", args=["pdf"])).status_code == 404


def test_teams_are_created_only_when_the_mapping_says_so(tmp_path):
    TeamFactory(code="NET", name="Network")
    path = write_csv(tmp_path / "a.csv", ["Key", "Title", "Team"], [["A-1", "One", "Cloud Platform"]])
    mapping = Mapping.load("portolan", "initiatives")
    mapping.create_missing_teams = True
    preview = run_import(path, mapping, import_ctx())
    assert preview.committed and preview.new_teams == [("CLOUD-PLATFORM", "Cloud Platform")]
    team = Team.objects.get(code="CLOUD-PLATFORM")
    assert AuditEntry.objects.get(object_id=str(team.pk), content_type__model="team").source == IMPORT


def test_page_with_the_us_mapping_prefills_computed_rules_and_previews_747_rows(manager):
    client = client_for(manager)
    response = _upload(client, US_FILE, mapping="us-itdashboard-fy2017")
    fields = {f["name"]: f for f in response.context["fields"]}
    assert fields["budget_capex"]["selected"] == "__mapping__"
    assert "sum of Funding PY1 and Prior ($ M)" in fields["budget_capex"]["rule"]
    assert fields["key"]["selected"] == "Unique Investment Identifier"
    post = {f"col_{name}": f["selected"] for name, f in fields.items()}
    token = client.session["portolan_import"]["token"]
    post |= {"token": token, "step": "preview", "create_missing_teams": "on"}
    response = client.post(reverse("portfolio:import"), post)
    assert response.context["counts"] == {
        "rows": 747,
        "create": 747,
        "update": 0,
        "unchanged": 0,
        "errors": 0,
        "new_teams": 26,
    }
    assert Initiative.objects.count() == 0


def test_xlsx_files_are_parsed_with_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
