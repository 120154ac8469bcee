"""DORA metrics: known values on a small synthetic set, bands, and the GOV.UK preset."""

import datetime as dt

import pytest

from portolan.engine import dora
from portolan.operations import services
from portolan.operations.models import DeliveryDataset
from tests.conftest import last_audit
from tests.operations.conftest import GOVUK

MAPPING = dora.DeliveryMapping(
    deployment_id="id",
    deployed_at="at",
    failed="failed",
    change_id="sha",
    change_created_at="created",
    change_deployment="deploy",
    incident_start="start",
    incident_restored="restored",
)


@pytest.fixture
def delivery(tmp_path):
    """March 2024: 4 deployments over 14 days, 1 failed; 4 changes with lead times 1, 3, 5, 48 h."""
    (tmp_path / "deploys.csv").write_text(
        "id,at,failed\n"
        "d1,2024-03-01T10:00:00Z,0\n"
        "d2,2024-03-05T10:00:00Z,1\n"
        "d3,2024-03-08T10:00:00Z,0\n"
        "d4,2024-03-15T10:00:00Z,false\n"
    )
    (tmp_path / "changes.csv").write_text(
        "sha,created,deploy\n"
        "a,2024-03-01T09:00:00Z,d1\n"
        "b,2024-03-05T07:00:00Z,d2\n"
        "c,2024-03-08T05:00:00Z,d3\n"
        "d,2024-03-13T10:00:00Z,d4\n"
        "e,2024-03-16T10:00:00Z,\n"
    )
    (tmp_path / "incidents.csv").write_text(
        "start,restored\n2024-03-05T11:00:00Z,2024-03-05T13:00:00Z\n2024-03-09T00:00:00Z,2024-03-09T06:00:00Z\n"
    )
    return tmp_path


def read(folder, **kw):
    return dora.read_delivery(
        folder / "deploys.csv",
        MAPPING,
        changes=folder / "changes.csv",
        incidents=folder / "incidents.csv",
        **kw,
    )


def test_dora_metrics_match_hand_computed_values(delivery):
    data = read(delivery)
    result = dora.compute(data, start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 15))
    overall = result["overall"]
    assert overall["deployments"] == 3  # d4 is on the 15th, outside [1st, 15th)
    assert overall["deployment_frequency"] == pytest.approx(3 / 2)  # 14 days = 2 weeks
    assert overall["lead_time_for_changes"] == pytest.approx(3.0)  # median of 1, 3, 5 h
    assert overall["lead_time_p90"] == pytest.approx(4.6)  # 3 + 0.8 * (5 - 3)
    assert overall["change_failure_rate"] == pytest.approx(100 / 3)
    assert overall["time_to_restore"] == pytest.approx(4.0)  # median of 2 h and 6 h
    assert overall["bands"] == {
        "deployment_frequency": "high",
        "lead_time_for_changes": "elite",
        "change_failure_rate": "medium",  # 33 % is between 30 and 45
        "time_to_restore": "high",
    }


def test_dora_periods_split_the_window_and_count_partial_weeks(delivery):
    result = dora.compute(read(delivery), every="week")
    weeks = {p["period"]: p for p in result["periods"]}
    assert list(weeks) == ["2024-W09", "2024-W10", "2024-W11"]
    assert weeks["2024-W10"]["deployments"] == 2
    assert weeks["2024-W10"]["change_failure_rate"] == pytest.approx(50.0)
    assert weeks["2024-W11"]["lead_time_for_changes"] == pytest.approx(48.0)
    assert sum(p["deployments"] for p in result["periods"]) == 4


def test_change_not_yet_deployed_is_counted_not_used_for_lead_time(delivery):
    data = read(delivery)
    assert data.report["changes_not_deployed"] == 1
    assert dora.compute(data)["overall"]["changes"] == 4


def test_restore_proxy_uses_the_next_deployment_without_incidents(delivery):
    data = dora.read_delivery(delivery / "deploys.csv", MAPPING)
    assert dora.compute(data)["overall"]["time_to_restore"] is None
    proxied = dora.compute(data, restore_proxy=True)["overall"]
    assert proxied["time_to_restore"] == pytest.approx(72.0)  # d2 (5th) -> d3 (8th)


@pytest.mark.parametrize(
    ("metric", "value", "expected"),
    [
        ("deployment_frequency", 7.0, "elite"),
        ("deployment_frequency", 0.5, "medium"),
        ("deployment_frequency", 0.1, "low"),
        ("lead_time_for_changes", 24.0, "elite"),
        ("lead_time_for_changes", 1000.0, "low"),
        ("change_failure_rate", 15.0, "elite"),
        ("time_to_restore", 200.0, "low"),
        ("time_to_restore", None, None),
    ],
)
def test_dora_bands_at_their_boundaries(metric, value, expected):
    assert dora.band(metric, value) == expected


def test_unknown_column_names_the_close_match(delivery):
    wrong = dora.DeliveryMapping(deployment_id="id", deployed_at="time")
    with pytest.raises(dora.DeliveryError, match=r"'time'.*Available columns"):
        dora.read_delivery(delivery / "deploys.csv", wrong)


def test_unparseable_deployment_time_is_rejected_or_quarantined(tmp_path):
    (tmp_path / "d.csv").write_text("id,at\nd1,2024-03-01T10:00:00Z\nd2,yesterday\nd3,2024-03-02T10:00:00Z\n")
    mapping = dora.DeliveryMapping(deployment_id="id", deployed_at="at")
    with pytest.raises(dora.DeliveryError, match="deployments row 2, column 'at', value 'yesterday'"):
        dora.read_delivery(tmp_path / "d.csv", mapping)
    data = dora.read_delivery(tmp_path / "d.csv", mapping, on_bad_rows="quarantine")
    assert data.report["bad_rows"] == 1
    assert data.deployments.height == 2


def test_govuk_preset_gives_sane_figures():
    data = dora.read_delivery(
        GOVUK / "releases.csv", dora.PRESETS["govuk-frontend"], changes=GOVUK / "changes.csv"
    )
    assert data.report["deployments"] == 5072 - 138  # re-tags without new commits left out
    assert data.report["changes"] == 15986 - 5083  # merge commits left out
    result = dora.compute(data, restore_proxy=True)
    overall = result["overall"]
    assert overall["deployment_frequency"] > 1  # several a week over 14 years
    assert 10 < overall["lead_time_for_changes"] < 48  # PROVENANCE: ≈ 25 h for non-merge commits
    assert overall["lead_time_p90"] > overall["lead_time_for_changes"]
    assert 0 < overall["change_failure_rate"] < 5  # 104 of 4,934 releases followed by a revert
    assert overall["time_to_restore"] > 0
    assert result["periods"][0]["period"] == "2012-01" and result["periods"][-1]["period"] == "2026-08"


def test_import_delivery_stores_metrics_and_feeds_existing_dora_kpis(db, manager, delivery):
    from portolan.core.audit import ChangeContext
    from portolan.kpis.models import Kpi, Measurement

    kpi = Kpi.objects.create(code="DORA_DF", name="Deployment frequency", target=7, amber=1, red=0.25)
    ctx = ChangeContext(user=manager)
    dataset = services.import_delivery(
        ctx,
        delivery / "deploys.csv",
        changes=delivery / "changes.csv",
        incidents=delivery / "incidents.csv",
        name="Synthetic delivery",
        mapping=MAPPING,
    )
    assert last_audit(dataset).action == "create"
    assert last_audit(dataset).actor == manager
    assert dataset.deployments == 4 and dataset.metrics["month"]["periods"][0]["period"] == "2024-03"
    assert services.dora_measurements(dataset)["deployment_frequency"][0][0] == "2024-03"
    measurement = Measurement.objects.get(kpi=kpi)
    assert measurement.period == "2024-03" and measurement.value > 0
    assert last_audit(measurement).action == "create"


def test_dora_page_shows_bands_and_filters_by_window(db, manager, delivery):
    from portolan.core.audit import ChangeContext
    from tests.conftest import client_for

    dataset = services.import_delivery(
        ChangeContext(user=manager),
        delivery / "deploys.csv",
        changes=delivery / "changes.csv",
        name="Synth",
        mapping=MAPPING,
    )
    client = client_for(manager)
    page = client.get("/operations/dora/")
    assert page.status_code == 200 and b"Synth" in page.content and b"performer" in page.content
    narrowed = client.get(
        f"/operations/dora/{dataset.pk}/", {"start": "2024-03-01", "end": "2024-03-08", "every": "week"}
    )
    assert narrowed.status_code == 200
    assert narrowed.context["overall"]["deployments"] == 2
    assert (dataset.folder / "cache").exists()  # the filtered answer is cached next to the data


def test_dora_import_page_refuses_a_wrong_mapping_with_a_message(db, manager, delivery):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import client_for

    response = client_for(manager).post(
        "/operations/dora/import/",
        {
            "name": "Wrong",
            "deployments": SimpleUploadedFile("d.csv", (delivery / "deploys.csv").read_bytes()),
            "deployment_id": "id",
            "deployed_at": "when",
        },
    )
    assert response.status_code == 200
    assert "Unknown column(s) in the deployments mapping: &#x27;when&#x27;" in response.content.decode()
    assert not DeliveryDataset.objects.exists()
