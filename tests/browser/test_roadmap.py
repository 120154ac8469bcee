"""The roadmap in a real browser: build a scenario, solve it, compare it, see its critical chain."""

import pytest
from playwright.sync_api import expect

from portolan.core.audit import ChangeContext
from portolan.planning import services
from portolan.planning.models import Scenario
from tests.browser.conftest import log_in
from tests.planning.conftest import plan, system_ctx  # noqa: F401 - the shared planning world

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_builds_solves_compares_a_scenario_and_sees_the_critical_chain(page, plan, manager):  # noqa: F811
    services.solve_scenario(ChangeContext(user=None), plan["scenario"])
    log_in(page, manager.username)

    page.goto("/roadmap/scenarios/")
    page.get_by_role("link", name="New scenario").click()
    page.locator("#id_name").fill("More budget")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("More budget")

    page.get_by_role("link", name="Edit inputs").click()
    page.locator("#id_budgets").fill('{"2027": {"capex": 400000, "opex": 0}}')
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Solve").click()
    expect(page.get_by_role("alert")).to_contain_text("Solved More budget")
    expect(page.locator("#status")).to_contain_text("Solved")
    assert len(Scenario.objects.get(name="More budget").results["selection"]["selected"]) == 3

    page.get_by_role("link", name="Compare with Plan of record").click()
    table = page.locator("#comparison")
    expect(table).to_contain_text("Plan of record")
    expect(table).to_contain_text("More budget")
    expect(page.get_by_text("In one plan but not all: NET-003")).to_be_visible()

    page.goto("/roadmap/schedule/")
    critical = page.locator("#roadmap svg a.bar.critical")
    expect(critical.first).to_be_visible()
    expect(page.locator("#critical-chain")).to_contain_text("NET-001 → NET-002")
    expect(page.locator("#roadmap svg line.today")).to_have_count(1)
    page.locator('#roadmap svg a[data-key="NET-002"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("NET-002")
