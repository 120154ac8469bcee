"""KPI catalogue, measurements, imports and evaluation through the services, pages and API."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portolan.core import services as core
from portolan.core.audit import ChangeContext
from portolan.core.models import AuditEntry
from portolan.engine.kpi_library import STANDARD_KPIS
from portolan.kpis import services
from portolan.kpis.models import Kpi, Measurement
from tests.conftest import client_for, last_audit
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)


def make_kpi(
    code="AVAIL", direction="higher_is_better", levels=(99.9, 99.5, 99.0), frequency="month", **extra
):
    target, amber, red = levels
    data = {
        "code": code,
        "name": code.title(),
        "direction": direction,
        "target": target,
        "amber": amber,
        "red": red,
    }
    return core.create(ChangeContext(user=None), Kpi, {**data, "frequency": frequency, **extra})


def record(kpi, values, last="2026-11", ctx=None):
    """Record ``values`` (oldest first) for consecutive months ending with ``last``."""
    from portolan.engine.kpi import parse_period

    end = parse_period(last)
    for k, value in enumerate(values):
        period = end.shift(k - len(values) + 1).label
        services.add_measurement(
            ctx or ChangeContext(user=None), {"kpi": kpi, "period": period, "value": value}
        )


# ---------------------------------------------------------------------------- thresholds


@pytest.mark.parametrize(
    ("direction", "levels", "needle"),
    [
        ("higher_is_better", (95, 97, 90), "target must be at or above the amber threshold"),
        ("higher_is_better", (95, 90, 92), "target must be at or above the amber threshold"),
        ("lower_is_better", (5, 3, 10), "target must be at or below the amber threshold"),
        ("lower_is_better", (5, 10, 8), "target must be at or below the amber threshold"),
    ],
)
def test_thresholds_that_contradict_the_direction_are_refused_and_nothing_is_saved(direction, levels, needle):
    with pytest.raises(ValidationError) as exc:
        make_kpi(direction=direction, levels=levels)
    assert needle in " ".join(exc.value.message_dict["amber"])
    assert "contradict the direction" in str(exc.value)
    assert not Kpi.objects.exists()
    assert not AuditEntry.objects.exists()


def test_kpi_form_shows_the_threshold_error_next_to_the_field(manager):
    response = client_for(manager).post(
        reverse("kpis:kpi_add"),
        {
            "code": "BAD",
            "name": "Bad",
            "direction": "lower_is_better",
            "target": 5,
            "amber": 3,
            "red": 10,
            "frequency": "month",
            "source": "manual",
        },
    )
    assert response.status_code == 200
    assert "contradict the direction" in response.content.decode()
    assert not Kpi.objects.exists()


def test_manager_creates_a_kpi_through_the_page_with_an_audit_row(manager):
    response = client_for(manager).post(
        reverse("kpis:kpi_add"),
        {
            "code": "SLA",
            "name": "SLA compliance",
            "direction": "higher_is_better",
            "target": 95,
            "amber": 90,
            "red": 85,
            "frequency": "month",
            "source": "manual",
            "unit": "%",
        },
    )
    kpi = Kpi.objects.get(code="SLA")
    assert response.status_code == 302
    entry = last_audit(kpi)
    assert (entry.action, entry.actor, entry.after["target"]) == ("create", manager, 95.0)


# ---------------------------------------------------------------------------- library


def test_library_loads_at_least_25_standard_kpis_once():
    ctx = ChangeContext(user=None, source=AuditEntry.Source.CLI)
    first = services.load_library(ctx)
    again = services.load_library(ctx)
    assert first["created"] == len(services.LIBRARY) >= 25
    assert again == {"created": 0, "kept": len(services.LIBRARY)}
    assert set(Kpi.objects.values_list("code", flat=True)) >= {k.code for k in STANDARD_KPIS}
    avail = Kpi.objects.get(code="AVAIL")
    assert (avail.target, avail.amber, avail.red, avail.direction) == (99.9, 99.5, 99.0, "higher_is_better")
    assert last_audit().source == AuditEntry.Source.CLI


def test_load_library_command_reports_what_it_added(capsys):
    from django.core.management import call_command

    call_command("kpis", "load-library")
    call_command("kpis", "load-library")
    out = capsys.readouterr().out
    assert f"{len(services.LIBRARY)} added" in out and "0 added" in out


# ---------------------------------------------------------------------------- measurements


def test_measurement_for_a_period_of_the_wrong_kind_or_unknown_is_refused():
    kpi = make_kpi()
    ctx = ChangeContext(user=None)
    with pytest.raises(
        ValidationError, match="measured monthly; '2026-Q3' is a quarter. Use a period like 2026-07"
    ):
        services.add_measurement(ctx, {"kpi": kpi, "period": "2026-Q3", "value": 99})
    with pytest.raises(ValidationError, match="'2026-13' is not a period"):
        services.add_measurement(ctx, {"kpi": kpi, "period": "2026-13", "value": 99})
    with pytest.raises(ValidationError, match="Choose a KPI"):
        services.add_measurement(ctx, {"kpi": None, "period": "2026-10", "value": 99})
    with pytest.raises(ValidationError, match="not a number"):
        services.add_measurement(ctx, {"kpi": kpi, "period": "2026-10", "value": "lots"})
    assert not Measurement.objects.exists()


def test_second_value_for_the_same_period_is_refused_with_a_hint():
    kpi = make_kpi()
    record(kpi, [99.7], last="2026-10")
    with pytest.raises(ValidationError, match="already has a value for 2026-10: edit that value instead"):
        services.add_measurement(ChangeContext(user=None), {"kpi": kpi, "period": "2026-10", "value": 99})
    assert Measurement.objects.count() == 1


def test_contributor_records_values_of_their_teams_kpi_but_not_of_another_team(contributor, team, other_team):
    own, foreign = make_kpi("OWN", team=team), make_kpi("FOREIGN", team=other_team)
    ctx = ChangeContext(user=contributor)
    value = services.add_measurement(ctx, {"kpi": own, "period": "2026-11", "value": 99.95})
    entry = last_audit(value)
    assert (entry.action, entry.actor, entry.after["value"]) == ("create", contributor, 99.95)
    assert value.entered_by == contributor
    with pytest.raises(PermissionDenied):
        services.add_measurement(ctx, {"kpi": foreign, "period": "2026-11", "value": 1})
    assert not foreign.measurements.exists()


def test_measurement_add_page_offers_only_kpis_the_contributor_may_record(contributor, team, other_team):
    make_kpi("OWN", team=team)
    make_kpi("FOREIGN", team=other_team)
    page = client_for(contributor).get(reverse("kpis:measurement_add")).content.decode()
    assert "OWN" in page and "FOREIGN" not in page


# ---------------------------------------------------------------------------- imports


CSV_OK = b"kpi,period,value,note\nAVAIL,2026-09,99.95,\nAVAIL,2026-10,99.4,outage\nMTTR,2026-10,6.5,\n"


def test_csv_import_saves_every_row_with_import_audit_rows(manager):
    make_kpi()
    make_kpi("MTTR", direction="lower_is_better", levels=(4, 8, 24))
    rows = services.parse_measurement_file("values.csv", CSV_OK)
    ctx = ChangeContext(user=manager, source=AuditEntry.Source.IMPORT)
    assert services.import_measurements(ctx, rows) == {"created": 3, "replaced": 0}
    assert Measurement.objects.filter(source="import").count() == 3
    assert last_audit().source == AuditEntry.Source.IMPORT


def test_import_with_one_bad_row_saves_nothing_and_names_each_bad_row(manager):
    make_kpi()
    content = (
        b"kpi,period,value\nAVAIL,2026-09,99.95\nNOPE,2026-10,1\nAVAIL,2026-Q4,99\nAVAIL,2026-10,abc\n"
        b"AVAIL,2026-09,99.1\n"
    )
    rows = services.parse_measurement_file("values.csv", content)
    with pytest.raises(ValidationError) as exc:
        services.import_measurements(ChangeContext(user=manager), rows)
    messages = exc.value.messages
    assert messages[0] == "Row 3: unknown KPI 'NOPE' (not in the catalogue)."
    assert messages[1].startswith("Row 4: AVAIL is measured monthly")
    assert messages[2] == "Row 5: 'abc' is not a number."
    assert messages[3] == "Row 6: AVAIL 2026-09 is also on row 2."
    assert not Measurement.objects.exists()


def test_xlsx_import_page_is_all_or_nothing(manager):
    make_kpi()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["KPI", "Period", "Value"])
    sheet.append(["AVAIL", "2026-10", 99.8])
    sheet.append(["AVAIL", dt.date(2026, 11, 1), 99.9])  # a date cell in a monthly KPI: a day period
    buffer = io.BytesIO()
    book.save(buffer)
    upload = io.BytesIO(buffer.getvalue())
    upload.name = "values.xlsx"
    response = client_for(manager).post(reverse("kpis:measurement_import"), {"file": upload})
    assert response.status_code == 400
    assert "Nothing was imported" in response.content.decode()
    assert "Row 3: AVAIL is measured monthly" in response.content.decode()
    assert not Measurement.objects.exists()
    book.active.delete_rows(3)
    buffer = io.BytesIO()
    book.save(buffer)
    upload = io.BytesIO(buffer.getvalue())
    upload.name = "values.xlsx"
    response = client_for(manager).post(reverse("kpis:measurement_import"), {"file": upload})
    assert response.status_code == 302
    assert Measurement.objects.get().period == "2026-10"


def test_api_measurement_for_an_unknown_kpi_or_period_is_a_400_and_a_valid_one_is_audited(manager):
    make_kpi()
    client = client_for(manager)
    url = reverse("api:measurement-list")
    bad_kpi = client.post(
        url, {"kpi": "NOPE", "period": "2026-10", "value": 1}, content_type="application/json"
    )
    assert bad_kpi.status_code == 400 and "kpi" in bad_kpi.json()
    bad_period = client.post(
        url, {"kpi": "AVAIL", "period": "2026-W40", "value": 1}, content_type="application/json"
    )
    assert bad_period.status_code == 400
    assert "measured monthly" in bad_period.json()["period"][0]
    ok = client.post(
        url, {"kpi": "AVAIL", "period": "2026-10", "value": 99.7}, content_type="application/json"
    )
    assert ok.status_code == 201, ok.content
    measurement = Measurement.objects.get()
    assert (measurement.source, measurement.period_start) == ("api", dt.date(2026, 10, 1))
    assert last_audit(measurement).source == AuditEntry.Source.API


# ---------------------------------------------------------------------------- evaluation


@pytest.mark.parametrize(
    ("direction", "levels", "value", "status"),
    [
        ("higher_is_better", (99.9, 99.5, 99.0), 99.95, "green"),
        ("higher_is_better", (99.9, 99.5, 99.0), 99.6, "green"),
        ("higher_is_better", (99.9, 99.5, 99.0), 99.5, "amber"),
        ("higher_is_better", (99.9, 99.5, 99.0), 99.0, "red"),
        ("lower_is_better", (4, 8, 24), 3, "green"),
        ("lower_is_better", (4, 8, 24), 8, "amber"),
        ("lower_is_better", (4, 8, 24), 30, "red"),
    ],
)
def test_evaluation_gives_the_rag_of_the_latest_value_for_each_direction(direction, levels, value, status):
    kpi = make_kpi(direction=direction, levels=levels)
    record(kpi, [value])
    result = services.evaluate([kpi], TODAY)[0]
    assert (result.status, result.last_value, result.last_period, result.stale) == (
        status,
        value,
        "2026-11",
        False,
    )


def test_trend_and_forecast_of_an_improving_kpi():
    kpi = make_kpi("BACKUP", levels=(99, 97, 95))
    record(kpi, [95.0, 96.0, 97.0], last="2026-11")  # +1 per month: reaches 99 two months later
    result = services.evaluate([kpi], TODAY)[0]
    assert result.status == "amber"
    assert result.trend.direction == "improving"
    assert result.forecast == "2027-01"
    assert result.forecast_label == "target by 2027-01"


def test_worsening_kpi_has_no_forecast_and_an_old_value_is_stale():
    kpi = make_kpi("MTTR", direction="lower_is_better", levels=(4, 8, 24))
    record(kpi, [6.0, 7.0, 9.0], last="2026-08")  # last value 3 months before TODAY
    result = services.evaluate([kpi], TODAY)[0]
    assert result.trend.direction == "worsening"
    assert result.forecast is None
    assert result.stale is True
    never = services.evaluate([make_kpi("NEW")], TODAY)[0]
    assert (never.last_value, never.stale, never.forecast_label) == (None, True, "no data")


def test_kpi_catalogue_and_detail_show_rag_with_words_and_stale_marks(viewer):
    fresh, old = make_kpi(), make_kpi("OLD")
    record(fresh, [99.0])
    record(old, [99.95], last="2026-06")
    client = client_for(viewer)
    listing = client.get(reverse("kpis:kpi_list")).content.decode()
    assert "■ Red" in listing and "stale" in listing
    detail = client.get(reverse("kpis:kpi_detail", args=[fresh.pk])).content.decode()
    assert "■ Red" in detail and "kpi-trend" in detail


# ---------------------------------------------------------------------------- computed


def test_portfolio_evm_matches_a_worked_example():
    # BAC 100,000; half of the planned time elapsed (PV 50,000); 40 % done (EV 40,000); AC 45,000.
    InitiativeFactory(
        key="EVM-1",
        stage="in_progress",
        budget_capex=80000,
        budget_opex=20000,
        actual_cost=45000,
        progress=40,
        planned_start=dt.date(2026, 1, 1),
        planned_finish=dt.date(2026, 12, 31),
    )
    from portolan.portfolio.models import Initiative

    figures = services.portfolio_evm(Initiative.objects.all(), dt.date(2026, 7, 2))
    assert figures.bac == 100000
    assert figures.pv == pytest.approx(50000, rel=1e-2)
    assert (figures.ev, figures.ac) == (40000, 45000)
    assert figures.result.spi == pytest.approx(0.8, rel=1e-2)
    assert figures.result.cpi == pytest.approx(40000 / 45000)


def test_computed_portfolio_kpis_are_stored_as_computed_measurements(cli_ctx):
    services.load_library(cli_ctx)
    InitiativeFactory(
        key="EVM-1",
        stage="in_progress",
        budget_capex=100000,
        actual_cost=45000,
        progress=40,
        planned_start=dt.date(2026, 1, 1),
        planned_finish=dt.date(2026, 12, 31),
    )
    values = services.compute_portfolio_kpis(cli_ctx, dt.date(2026, 7, 2))["2026-07"]
    assert values["SPI"] == pytest.approx(0.8, abs=0.01)
    assert values["CPI"] == pytest.approx(0.889, abs=0.001)
    spi = Measurement.objects.get(kpi__code="SPI")
    assert (spi.period, spi.source) == ("2026-07", "computed")
    services.compute_portfolio_kpis(cli_ctx, dt.date(2026, 7, 2))  # again: replaced, not duplicated
    assert Measurement.objects.filter(kpi__code="SPI").count() == 1
