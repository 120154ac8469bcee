"""The executive dashboard and the risk register in a real browser (Debian's chromium)."""

import re

import pytest
from playwright.sync_api import expect

from portolan.core.audit import ChangeContext
from portolan.portfolio.demo import DEMO_PASSWORD, load_demo
from portolan.risks import services
from portolan.risks.models import Risk
from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)

TILES = ("#tile-health", "#tile-budget", "#tile-milestones", "#tile-kpis", "#tile-risks", "#tile-p80")


def test_executive_dashboard_of_the_demo_fills_every_tile_and_a_heatmap_cell_lists_its_risks(page):
    load_demo()
    log_in(page, "executive", DEMO_PASSWORD)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Are we OK?")
    expect(page.get_by_text(re.compile(r"as of \d{4}-\d{2}-\d{2}")).first).to_be_visible()
    for tile in TILES:
        expect(page.locator(tile)).to_be_visible()
        expect(page.locator(tile)).not_to_contain_text("No stored simulation")
    # Every chart (health trend, budget, KPI sparklines) is drawn by vega-embed.
    charts = page.locator("[data-vega-spec]")
    assert charts.count() >= 10
    expect(page.locator("[data-vega-spec][data-rendered='1']")).to_have_count(charts.count())
    # KPI tiles: a value, a RAG with a word, and stale data marked.
    tiles = page.locator("#tile-kpis [data-kpi]")
    assert tiles.count() >= 8
    expect(tiles.first.locator(".badge")).to_contain_text(re.compile(r"Green|Amber|Red"))
    expect(page.locator("#tile-p80 tbody tr").first).to_be_visible()
    expect(page.locator("#tile-risks table.heatmap")).to_have_count(2)
    expect(page.locator("#tile-risks tbody tr").filter(has_text="RSK-").first).to_be_visible()

    cell = page.locator("#tile-risks a[data-heat^='residual-']").first
    count = cell.inner_text()
    cell.click()
    expect(page).to_have_url(re.compile(r"/risks/\?.*residual_probability=\d.*residual_impact=\d"))
    expect(page.locator("#risk-count")).to_have_text(count)
    expect(page.locator("table tbody tr")).to_have_count(int(count))


def test_contributor_edits_their_own_risk_but_not_another_teams(page, contributor, team, other_team):
    ctx = ChangeContext(user=None)
    base = {
        "category": "technical",
        "probability": 3,
        "impact": 4,
        "residual_probability": 2,
        "residual_impact": 2,
    }
    own = services.create_risk(ctx, {**base, "key": "OWN-1", "title": "Switch stock runs out", "team": team})
    foreign = services.create_risk(
        ctx, {**base, "key": "SEC-9", "title": "Certificate expiry", "team": other_team}
    )
    log_in(page, contributor.username)

    page.goto(own.get_absolute_url())
    expect(page.get_by_text("you can edit this")).to_be_visible()
    page.locator("#edit-risk").click()
    page.locator("#id_title").fill("Switch stock runs out in Q3")
    page.locator("#id_residual_probability").fill("1")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Saved OWN-1")
    own.refresh_from_db()
    assert (own.title, own.residual_score) == ("Switch stock runs out in Q3", 2)

    page.goto(foreign.get_absolute_url())
    expect(page.get_by_text("read-only for you")).to_be_visible()
    expect(page.locator("#edit-risk")).to_have_count(0)
    response = page.goto(f"/risks/{foreign.pk}/edit/")
    assert response.status == 403
    assert Risk.objects.get(pk=foreign.pk).title == "Certificate expiry"
