"""The portfolio as people use it: a real browser, the login form, the forms, the graph, the export.

Run against ``live_server`` with Debian's chromium (see conftest.py).
"""

import re

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from portolan.core.models import AuditEntry
from portolan.portfolio.models import Dependency, Initiative
from portolan.portfolio.scale import generate
from portolan.portfolio.views.map import MapHierarchyView
from tests.browser.conftest import log_in
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db(transaction=True)


def create_initiative_through_form(page: Page, key: str, title: str, team: str) -> None:
    page.goto("/portfolio/initiatives/")
    page.get_by_role("link", name="New initiative").first.click()
    page.locator("#id_key").fill(key)
    page.locator("#id_title").fill(title)
    page.locator("#id_kind").select_option(label="Project")
    page.locator("#id_team").select_option(label=team)
    page.locator("#id_planned_start").fill("2027-01-04")
    page.locator("#id_planned_finish").fill("2027-06-30")
    page.locator("#id_tags").fill("network, browser-test")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{key} {title}")
    expect(page.get_by_role("alert")).to_contain_text(f"Created {key}")


def test_wrong_password_keeps_the_visitor_on_the_login_page(page, viewer):
    page.goto("/portfolio/initiatives/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    page.get_by_label("Username").fill("viewer")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("didn't match")
    expect(page).to_have_url(re.compile(r"/login/"))


@pytest.mark.parametrize(("persona", "label"), [("manager", "Portfolio manager"), ("viewer", "Viewer")])
def test_each_role_logs_in_through_the_form_and_sees_its_role(page, request, persona, label):
    user = request.getfixturevalue(persona)
    log_in(page, user.username)
    expect(page.get_by_role("navigation", name="Main")).to_contain_text(f"{user.username} · {label}")
    page.goto("/portfolio/initiatives/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Initiatives")


def test_manager_creates_an_initiative_and_a_dependency_that_the_graph_links(page, logged_in, manager, team):
    InitiativeFactory(key="FND-001", title="Core network refresh", team=team)
    logged_in(manager)

    create_initiative_through_form(page, "BRW-001", "Branch Wi-Fi upgrade", team="Network")
    created = Initiative.objects.get(key="BRW-001")
    assert created.team == team
    audit = AuditEntry.objects.filter(object_id=str(created.pk), action=AuditEntry.Action.CREATE).get()
    assert (audit.actor, audit.source) == (manager, AuditEntry.Source.WEB)

    # The dependency, through its form, from the new initiative's Dependencies tab.
    page.get_by_role("link", name="Dependencies").click()
    page.get_by_role("link", name="Add a predecessor").click()
    page.locator("#id_predecessor").select_option(label="FND-001 Core network refresh")
    expect(page.locator("#id_successor")).to_have_value(str(created.pk))
    page.get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(rf"/portfolio/initiatives/{created.pk}/\?tab=dependencies"))
    expect(page.get_by_role("link", name="FND-001")).to_be_visible()
    assert Dependency.objects.filter(predecessor__key="FND-001", successor=created).exists()

    # The graph draws both and links them: selecting one highlights the other.
    page.goto("/portfolio/map/graph/")
    new_node = page.locator('#dep-graph g.node[data-key="BRW-001"]')
    old_node = page.locator('#dep-graph g.node[data-key="FND-001"]')
    expect(new_node).to_be_visible()
    expect(old_node).to_be_visible()
    info = page.locator("#selection-info")

    new_node.click()
    expect(new_node).to_have_class(re.compile(r"\bselected\b"))
    expect(old_node).to_have_class(re.compile(r"\bupstream\b"))
    expect(info).to_have_attribute("data-upstream", "FND-001")
    expect(info).to_have_attribute("data-downstream", "")
    expect(info).to_contain_text("1 upstream, 0 downstream")

    old_node.click()
    expect(new_node).to_have_class(re.compile(r"\bdownstream\b"))
    expect(new_node).not_to_have_class(re.compile(r"\bupstream\b"))
    expect(info).to_have_attribute("data-downstream", "BRW-001")
    expect(info).to_have_attribute("data-upstream", "")

    # The key picker offers every drawn initiative and selects the one typed.
    expect(page.locator('#g-keys option[value="BRW-001"]')).to_have_count(1)
    page.get_by_label("Select an initiative").fill("BRW-001")
    page.get_by_label("Select an initiative").press("Tab")  # leaving the field commits it
    expect(new_node).to_have_class(re.compile(r"\bselected\b"))
    expect(info).to_have_attribute("data-upstream", "FND-001")


def test_manager_exports_the_initiative_list_as_xlsx_with_the_new_initiative(
    page, logged_in, manager, team, tmp_path
):
    InitiativeFactory(key="OLD-001", title="Already there", team=team)
    logged_in(manager)
    create_initiative_through_form(page, "BRW-002", "Datacenter firewall swap", team="Network")

    page.goto("/portfolio/initiatives/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export XLSX").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    rows = list(openpyxl.load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    by_key = {row[list(rows[0]).index(_key_column(rows[0]))]: row for row in rows[1:]}
    assert set(by_key) == {"OLD-001", "BRW-002"}
    assert "Datacenter firewall swap" in by_key["BRW-002"]


def _key_column(header) -> str:
    return next(name for name in header if str(name).strip().lower() in ("key", "initiative key", "id"))


def test_viewer_sees_no_edit_controls(page, logged_in, viewer, team):
    initiative = InitiativeFactory(key="NET-010", title="Campus LAN refresh", team=team)
    other = InitiativeFactory(key="NET-011", title="Wi-Fi 7 pilot", team=team)
    Dependency.objects.create(predecessor=initiative, successor=other)
    logged_in(viewer)

    page.goto("/portfolio/initiatives/")
    expect(page.get_by_role("link", name="NET-010")).to_be_visible()
    expect(page.get_by_role("link", name="New initiative")).to_have_count(0)
    expect(page.locator("#bulk-form")).to_have_count(0)
    expect(page.locator('input[name="pk"]')).to_have_count(0)

    for tab in ("overview", "dependencies", "milestones", "raci", "status"):
        page.goto(f"/portfolio/initiatives/{other.pk}/?tab={tab}")
        expect(page.get_by_text("read-only for you")).to_be_visible()
        main = page.locator("main")
        for name in (
            "Edit",
            "Delete",
            "Move",
            "Add a predecessor",
            "Add milestone",
            "Add to RACI",
            "Add status update",
        ):
            expect(main.get_by_role("link", name=name, exact=True)).to_have_count(0)
            expect(main.get_by_role("button", name=name, exact=True)).to_have_count(0)
        expect(main.locator('form[method="post"]')).to_have_count(0)


def test_viewer_forged_post_to_an_edit_url_is_refused_with_403(page, logged_in, viewer, team):
    initiative = InitiativeFactory(key="NET-020", title="Core switch upgrade", team=team)
    logged_in(viewer)
    page.goto(f"/portfolio/initiatives/{initiative.pk}/")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token

    forged = {"csrfmiddlewaretoken": token, "key": "NET-020", "title": "Hijacked", "kind": "project"}
    for url in (
        f"/portfolio/initiatives/{initiative.pk}/edit/",
        f"/portfolio/initiatives/{initiative.pk}/delete/",
        f"/portfolio/initiatives/{initiative.pk}/stage/",
        "/portfolio/initiatives/bulk-edit/",
        "/portfolio/initiatives/add/",
    ):
        response = page.request.post(
            url,
            form={**forged, "stage": "approved", "pk": str(initiative.pk)},
            headers={"X-CSRFToken": token},
        )
        assert response.status == 403, (url, response.status)

    initiative.refresh_from_db()
    assert (initiative.title, initiative.stage) == ("Core switch upgrade", Initiative.Stage.IDEA)
    assert Initiative.objects.filter(key="NET-020").count() == 1


def test_large_hierarchy_lists_a_programs_projects_when_it_is_opened(page, logged_in, manager):
    generate(MapHierarchyView.INLINE_LIMIT + 50, 0)
    programs = Initiative.objects.filter(kind=Initiative.Kind.PROGRAM, children__isnull=False)
    program = programs.order_by("key")[0]
    projects = sorted(program.children.values_list("key", flat=True))
    logged_in(manager)

    page.goto("/portfolio/map/")
    branch = page.locator(f'details[data-branch="{program.pk}"]')
    expect(branch).not_to_have_attribute("open", "")
    expect(branch.locator("li a", has_text=projects[0])).to_have_count(0)  # not drawn until opened

    branch.locator("summary").click(position={"x": 2, "y": 2})
    items = branch.locator("ul > li > a")
    expect(items).to_have_count(len(projects))
    assert items.all_inner_texts() == projects
