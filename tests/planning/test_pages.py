"""The roadmap pages and the API as their users see them."""

import datetime as dt
import io

import pytest
from defusedxml import ElementTree
from django.urls import reverse
from pypdf import PdfReader

from portolan.core.models import AuditEntry
from portolan.planning import roadmap, services
from portolan.planning.models import Baseline, Scenario
from tests.conftest import client_for, last_audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def solved(plan, manager):
    from portolan.core.audit import ChangeContext

    return services.solve_scenario(ChangeContext(user=manager), plan["scenario"])


def test_backlog_explains_each_score_and_lists_missing_inputs(plan, viewer, team):
    from tests.factories import InitiativeFactory

    InitiativeFactory(key="NET-009", title="Unscored idea", team=team)
    page = client_for(viewer).get(reverse("planning:backlog")).content.decode()
    assert "WSJF = (13 + 5 + 3) / 5 = 4.2" in page
    assert "NET-009" in page and "missing business value, time criticality, risk reduction, job size" in page


def test_contributor_overrides_a_rank_from_the_backlog_with_a_reason(plan, contributor):
    url = reverse("planning:initiative_rank", args=[plan["c"].pk])
    response = client_for(contributor).post(url, {"manual_rank": 1, "rank_reason": "Wi-Fi before the audit"})
    assert response.status_code == 302
    entry = last_audit(plan["c"].planning)
    assert entry.reason == "Wi-Fi before the audit" and entry.source == AuditEntry.Source.WEB


def test_selection_page_shows_frontier_in_out_and_gain_over_greedy(solved, executive):
    page = client_for(executive).get(reverse("planning:selection")).content.decode()
    assert 'id="frontier-chart"' in page and 'id="gain"' in page
    assert "would exceed capex 2027" in page and "capex 2027" in page


def test_schedule_page_draws_the_roadmap_with_its_critical_chain(solved, viewer):
    page = (
        client_for(viewer)
        .get(reverse("planning:schedule"), {"lane": "program", "zoom": "quarter"})
        .content.decode()
    )
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert 'class="bar critical" data-key="NET-002"' in page
    assert 'class="today"' in page and 'class="dependency"' in page and 'id="load-chart"' in page


def test_roadmap_exports_as_the_same_svg(solved, viewer):
    response = client_for(viewer).get(reverse("planning:roadmap_svg"), {"download": 1, "critical": 1})
    assert response["Content-Type"] == "image/svg+xml"
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    assert body.startswith("<?xml") and 'data-key="NET-002"' in body and 'data-key="NET-003"' not in body


def test_roadmap_exports_as_a_one_page_pdf_of_the_same_picture(solved, viewer):
    response = client_for(viewer).get(
        reverse("planning:roadmap_pdf"), {"download": 1, "critical": 1, "lane": "program"}
    )
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"] and ".pdf" in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert f"Roadmap — {solved.name}" in text and "Swimlanes by program" in text
    assert "NET-002" in text and "NET-003" not in text  # filtered to the critical chain
    assert "critical" in text


def test_manager_builds_solves_and_compares_a_scenario_through_the_pages(solved, manager):
    client = client_for(manager)
    response = client.post(reverse("planning:scenario_add"), {"name": "More budget"})
    scenario = Scenario.objects.get(name="More budget")
    assert response.status_code == 302 and scenario.based_on == solved
    client.post(
        reverse("planning:scenario_edit", args=[scenario.pk]),
        {
            "name": "More budget",
            "start": "2027-01-01",
            "horizon_months": 24,
            "budgets": '{"2027": {"capex": 400000, "opex": 0}}',
            "capacity_factors": "{}",
            "date_overrides": "{}",
        },
    )
    client.post(reverse("planning:scenario_solve", args=[scenario.pk]))
    scenario.refresh_from_db()
    assert scenario.status == Scenario.Status.SOLVED and len(scenario.results["selection"]["selected"]) == 3
    page = client.get(reverse("planning:scenario_compare"), {"s": [solved.pk, scenario.pk]}).content.decode()
    assert "Plan of record" in page and "More budget" in page and "NET-003" in page


def test_baseline_page_shows_variance(solved, manager):
    client = client_for(manager)
    client.post(reverse("planning:baseline_add"), {"name": "Kick-off"})
    baseline = Baseline.objects.get()
    page = client.get(reverse("planning:baseline_detail", args=[baseline.pk])).content.decode()
    assert 'id="initiative-variance"' in page and "NET-002 · Go-live" in page


def test_api_creates_a_scenario_audited_as_api(plan, manager):
    response = client_for(manager).post(
        reverse("api:scenario-list"), {"name": "From the API"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    scenario = Scenario.objects.get(name="From the API")
    entry = last_audit(scenario)
    assert entry.source == AuditEntry.Source.API and entry.action == AuditEntry.Action.CREATE


@pytest.mark.parametrize("today", [dt.date(2026, 12, 20), dt.date(2027, 1, 3), dt.date(2027, 6, 15)])
def test_the_today_label_never_covers_a_year_label(solved, today):
    svg = ElementTree.fromstring(roadmap.build(solved.results, today=today).svg)
    texts = svg.findall("{http://www.w3.org/2000/svg}text")
    label = next(t for t in texts if (t.text or "").startswith("today"))
    years = [t for t in texts if (t.text or "").isdigit() and len(t.text) == 4]
    assert label.text == f"today {today:%Y-%m-%d}" and years
    font = float(svg.get("font-size"))
    assert all(abs(float(label.get("y")) - float(year.get("y"))) >= font for year in years)
