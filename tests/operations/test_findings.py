"""Findings become improvement initiatives linked to the finding and to a KPI; status changes are audited."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portolan.core.audit import ChangeContext
from portolan.kpis.models import Kpi
from portolan.operations import services
from portolan.operations.models import Finding
from portolan.portfolio.models import Initiative
from tests.conftest import client_for, last_audit


@pytest.fixture
def finding(imported_log):
    return imported_log.findings.get(code="reassignment")


def test_contributor_turns_their_teams_finding_into_an_improvement(db, contributor, team, finding):
    kpi = Kpi.objects.create(
        code="REASSIGN", name="Reassignment rate", direction="lower_is_better", target=15, amber=25, red=35
    )
    response = client_for(contributor).post(reverse("operations:finding_improve", args=[finding.pk]))
    initiative = Initiative.objects.get(kind=Initiative.Kind.IMPROVEMENT)
    assert response.status_code == 302 and response["Location"] == initiative.get_absolute_url()
    assert (initiative.team, initiative.owner, initiative.stage) == (team, contributor, "idea")
    assert "REASSIGN Reassignment rate" in initiative.description
    finding.refresh_from_db()
    assert (finding.initiative, finding.status, finding.kpi) == (initiative, Finding.Status.ACCEPTED, kpi)
    assert last_audit(initiative).action == "create" and last_audit(initiative).actor == contributor
    assert last_audit(finding).action == "update"
    assert last_audit(finding).after["initiative_id"] == initiative.pk


def test_finding_cannot_become_two_initiatives(db, manager, finding):
    ctx = ChangeContext(user=manager)
    services.create_improvement(ctx, finding)
    with pytest.raises(ValidationError, match="already has an improvement initiative"):
        services.create_improvement(ctx, finding)
    assert Initiative.objects.count() == 1


def test_improvement_without_a_kpi_in_the_catalogue_keeps_the_code(db, manager, finding):
    initiative = services.create_improvement(ChangeContext(user=manager), finding)
    finding.refresh_from_db()
    assert finding.kpi is None and finding.kpi_code == "REASSIGN"
    assert "KPI to watch: REASSIGN." in initiative.description


def test_viewer_and_executive_cannot_create_improvements(db, viewer, executive, finding):
    for user in (viewer, executive):
        assert (
            client_for(user).post(reverse("operations:finding_improve", args=[finding.pk])).status_code == 403
        )
    assert not Initiative.objects.exists()


def test_dismissing_a_finding_is_audited_with_its_reason(db, manager, finding):
    client_for(manager).post(
        reverse("operations:finding_status", args=[finding.pk]),
        {"status": "dismissed", "reason": "Known, accepted"},
    )
    finding.refresh_from_db()
    entry = last_audit(finding)
    assert finding.status == "dismissed"
    assert (entry.action, entry.reason, entry.after["status"]) == ("update", "Known, accepted", "dismissed")


def test_finding_page_drills_down_to_the_evidence_cases(db, viewer, finding):
    response = client_for(viewer).get(finding.get_absolute_url())
    assert response.status_code == 200
    evidence = response.context["evidence"]
    assert list(evidence) == finding.evidence_case_ids
    first = evidence[finding.evidence_case_ids[0]]
    assert [e["activity"] for e in first][:2] == ["Open", "Assigned"]
    assert b"Create improvement initiative" not in response.content  # read-only for a viewer


def test_api_lists_findings_and_improves_one(db, manager, viewer, finding):
    listed = client_for(viewer).get("/api/operations/findings/")
    assert listed.status_code == 200 and listed.json()["count"] >= 2
    assert client_for(viewer).post(f"/api/operations/findings/{finding.pk}/improve/").status_code == 403
    created = client_for(manager).post(f"/api/operations/findings/{finding.pk}/improve/")
    assert created.status_code == 201 and created.json()["kind"] == "improvement"
    patched = client_for(manager).patch(
        f"/api/operations/findings/{finding.pk}/", {"status": "open"}, content_type="application/json"
    )
    assert patched.status_code == 400  # it has an initiative now
