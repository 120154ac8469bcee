"""The top bar. Every section of UI.md is declared here; an item appears once its page exists.

A later capability adds its pages by URL name; until the URL resolves, the item (and an
empty section) stays hidden: no dead links, no "coming soon".
"""

from dataclasses import dataclass
from functools import cache

from django.urls import NoReverseMatch, reverse

from portolan.core.roles import is_admin, is_manager


@dataclass(frozen=True)
class Item:
    label: str
    url_name: str
    admin_only: bool = False
    manager_only: bool = False

    def visible_to(self, user) -> bool:
        if self.admin_only:
            return is_admin(user)
        return is_manager(user) if self.manager_only else True


SECTIONS: tuple[tuple[str, tuple[Item, ...]], ...] = (
    ("Home", (Item("Dashboard", "home"),)),
    (
        "Portfolio",
        (
            Item("Initiatives", "portfolio:initiative_list"),
            Item("Map", "portfolio:map_hierarchy"),
            Item("Objectives", "portfolio:objective_list"),
            Item("Teams", "portfolio:team_list"),
            Item("Services", "portfolio:service_list"),
            Item("Import", "portfolio:import", manager_only=True),
        ),
    ),
    (
        "Roadmap",
        (
            Item("Backlog & scoring", "planning:backlog"),
            Item("Portfolio selection", "planning:selection"),
            Item("Schedule", "planning:schedule"),
            Item("Scenarios", "planning:scenario_list"),
            Item("Baselines", "planning:baseline_list"),
        ),
    ),
    (
        "KPIs",
        (Item("Catalogue", "kpis:kpi_list"), Item("Measurements", "kpis:measurement_list")),
    ),
    (
        "Risks",
        (
            Item("Register", "risks:risk_list"),
            Item("Heatmap", "risks:heatmap"),
            Item("Mitigation actions", "risks:action_list"),
            Item("Schedule risk", "risks:montecarlo"),
        ),
    ),
    (
        "Operations",
        (
            Item("Event logs", "operations:eventlog_list"),
            Item("DORA", "operations:dora"),
            Item("Findings", "operations:finding_list"),
        ),
    ),
    ("Governance", (Item("Gates", "governance:gate_list"), Item("Decisions", "governance:decision_list"))),
    ("Reports", (Item("Executive reports", "reports:report_list"),)),
    (
        "Admin",
        (
            Item("Users & roles", "user_list", admin_only=True),
            Item("API tokens", "token_list"),
            Item("Audit log", "audit_log"),
        ),
    ),
)


@cache
def _resolve(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def menu(user, path: str) -> list[dict]:
    out = []
    for label, items in SECTIONS:
        entries = []
        for item in items:
            url = _resolve(item.url_name)
            if url is None or not item.visible_to(user):
                continue
            entries.append({"label": item.label, "url": url, "active": path.startswith(url) and url != "/"})
        if entries:
            active = any(e["active"] for e in entries) or (label == "Home" and path == "/")
            out.append({"label": label, "items": entries, "active": active})
    return out
