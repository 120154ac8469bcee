"""In the browser: a finding becomes an improvement initiative that shows on the portfolio map."""

import re

import pytest
from playwright.sync_api import expect

from portolan.core.audit import ChangeContext
from portolan.operations import services
from portolan.portfolio.models import Initiative
from tests.operations.conftest import MAPPING, write_log


@pytest.fixture
def log_with_findings(db, team, tmp_path):
    mapping, _ = services.mapping_from(MAPPING)
    return services.import_eventlog(
        ChangeContext(user=None),
        write_log(tmp_path / "incidents.csv"),
        name="Service desk",
        mapping=mapping,
        team=team,
    )


def test_manager_turns_a_finding_into_an_initiative_on_the_portfolio_map(
    logged_in, manager, log_with_findings
):
    page = logged_in(manager)
    page.goto("/operations/findings/")
    top = page.locator("table tbody tr").first.get_by_role("link")
    title = top.inner_text()
    top.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("table.evidence-case").first).to_be_visible()
    page.get_by_role("button", name="Create improvement initiative").click()

    initiative = Initiative.objects.get(kind=Initiative.Kind.IMPROVEMENT)
    expect(page).to_have_url(re.compile(rf"/portfolio/initiatives/{initiative.pk}/$"))
    expect(page.get_by_role("alert").first).to_contain_text(
        f"Created improvement initiative {initiative.key}"
    )

    page.goto("/portfolio/map/")
    branch = page.locator("details", has_text="Outside any program")
    if branch.count():
        branch.locator("summary").click()
    expect(page.get_by_role("link", name=initiative.key)).to_be_visible()

    page.goto("/portfolio/initiatives/?kind=improvement")
    expect(page.get_by_role("link", name=initiative.key)).to_be_visible()


def test_process_map_draws_and_the_threshold_slider_hides_edges(logged_in, viewer, log_with_findings):
    page = logged_in(viewer)
    page.goto(f"/operations/eventlogs/{log_with_findings.pk}/map/")
    svg = page.locator("#process-map")
    expect(svg.locator(".pm-node")).to_have_count(4)
    all_edges = svg.locator(".pm-edge").count()
    page.locator("#pm-threshold").fill("1")
    expect(svg).to_have_attribute("data-visible-edges", "1")
    page.get_by_text("Performance (median wait)").click()
    expect(page).to_have_url(re.compile(r"mode=performance"))
    assert all_edges > 4
