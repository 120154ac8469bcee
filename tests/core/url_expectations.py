"""Who may open which URL: one entry per URL name of the URL configuration.

``tests/core/test_permissions.py`` walks the resolver, checks that every URL name has an
entry here (a new page without one fails the suite) and requests every entry as every
persona. An entry says which access rule applies and, for URLs with a ``pk``, which
object of the test world to use. The expected status per persona follows from the rule
(:func:`expected_page` / :func:`expected_api`), so the rules of DESIGN.md and STYLE.md
live in one readable place:

- anonymous: pages redirect to the login page, the API answers 401;
- outsider (logged in, no role): 404 on every page except login/logout/password, 403 on the API;
- viewer, executive: read everything, 403 on every add/edit/delete page, forged POST and API write;
- contributor: changes initiatives (and what hangs off them) and services their team owns,
  403 on everybody else's and on objectives and teams;
- portfolio manager, admin: everything; the users & roles page is admin only.
"""

from dataclasses import dataclass

PERSONAS = ("anonymous", "outsider", "viewer", "executive", "contributor", "manager", "admin")
WRITERS = ("manager", "admin")
READ_ONLY = ("viewer", "executive")

# Models a contributor can own (their ``owned_by_q`` means something); objectives and teams
# are reference data kept by the portfolio office.
OWNABLE = {
    "initiative",
    "service",
    "dependency",
    "milestone",
    "statusupdate",
    "raciassignment",
    "objectivelink",
    "effort",
    # KPIs and risks (and what hangs off them) belong to their owner or the owner's team.
    "kpi",
    "measurement",
    "risk",
    "mitigationaction",
    "durationestimate",
    # Operations: event logs and delivery data sets belong to their importer or owner team,
    # findings follow their event log.
    "eventlog",
    "finding",
    "deliverydataset",
    # Planning inputs follow their initiative.
    "planninginput",
}

# Page access rules.
LOGIN = "login"  # the login page itself
LOGOUT = "logout"
SELF = "self"  # any logged-in account, even without a role (password change)
READ = "read"  # every role reads
TOKENS = "tokens"  # every role reads and creates its own API tokens
ADMIN = "admin"  # admins only
MANAGE = "manage"  # portfolio managers and admins only
ADD = "add"  # create a new <model>
CHANGE = "change"  # change the object (edit, stage, baseline)
DELETE = "delete"  # delete the object
BULK = "bulk"  # bulk edit: any role that may change some initiatives


@dataclass(frozen=True)
class Page:
    rule: str
    model: str | None = None  # for ADD, and the object type for URLs with a pk
    get: bool = True  # False: the view answers GET with 405
    post: bool = False  # the view accepts POST
    post_data: tuple[tuple[str, str], ...] = ()  # what a forged POST sends (besides nothing)
    kwargs: tuple[tuple[str, str], ...] = ()  # fixed URL arguments (an export format …)

    @property
    def variants(self) -> tuple[str, ...]:
        """Which objects to try: a contributor's own and another team's, where it matters."""
        if self.model is None or self.rule == ADD:
            return ("none",)
        return ("own", "foreign") if self.model in OWNABLE else ("foreign",)


def crud_pages(name: str, *, delete: bool = True, lists: bool = True, edit: bool = True) -> dict[str, Page]:
    pages = {f"portfolio:{name}_add": Page(ADD, model=name, post=True)}
    if lists:
        pages[f"portfolio:{name}_list"] = Page(READ)
        pages[f"portfolio:{name}_detail"] = Page(READ, model=name)
    if edit:
        pages[f"portfolio:{name}_edit"] = Page(CHANGE, model=name, post=True)
    if delete:
        pages[f"portfolio:{name}_delete"] = Page(DELETE, model=name, post=True)
    return pages


PAGES: dict[str, Page] = {
    "login": Page(LOGIN, post=True),
    "logout": Page(LOGOUT, get=False, post=True),
    "password_change": Page(SELF, post=True),
    "password_change_done": Page(SELF),
    "home": Page(READ),
    "search": Page(READ),
    "audit_log": Page(MANAGE),
    "user_list": Page(ADMIN, post=True),
    "token_list": Page(TOKENS, post=True),
    **crud_pages("initiative"),
    "portfolio:initiative_bulk_edit": Page(BULK, get=False, post=True),
    "portfolio:initiative_stage": Page(
        CHANGE, model="initiative", get=False, post=True, post_data=(("stage", "assessment"),)
    ),
    "portfolio:initiative_baseline": Page(CHANGE, model="initiative", get=False, post=True),
    **crud_pages("objective"),
    **crud_pages("team"),
    **crud_pages("service"),
    **crud_pages("dependency", lists=False),
    **crud_pages("milestone", lists=False),
    # Status updates are append-only: an add page, no edit or delete page.
    **crud_pages("statusupdate", lists=False, edit=False, delete=False),
    **crud_pages("raciassignment", lists=False),
    **crud_pages("objectivelink", lists=False),
    **crud_pages("effort", lists=False),
    "portfolio:map_hierarchy": Page(READ),
    "portfolio:map_graph": Page(READ),
    "portfolio:map_alignment": Page(READ),
    "portfolio:map_raci": Page(READ),
    # Import and export (their own helper's pages): importing is the office's job.
    "portfolio:import": Page(MANAGE, post=True),
    "portfolio:initiative_export": Page(READ, kwargs=(("fmt", "csv"),)),
    # KPIs: catalogue, measurements (by hand or imported), dashboards.
    "kpis:kpi_list": Page(READ),
    "kpis:kpi_add": Page(ADD, model="kpi", post=True),
    "kpis:kpi_detail": Page(READ, model="kpi"),
    "kpis:kpi_edit": Page(CHANGE, model="kpi", post=True),
    "kpis:kpi_delete": Page(DELETE, model="kpi", post=True),
    "kpis:measurement_list": Page(READ),
    "kpis:measurement_add": Page(ADD, model="measurement", post=True),
    "kpis:measurement_import": Page(ADD, model="measurement", post=True),
    "kpis:measurement_edit": Page(CHANGE, model="measurement", post=True),
    "kpis:measurement_delete": Page(DELETE, model="measurement", post=True),
    "kpis:milestones": Page(READ),
    "kpis:team_dashboard": Page(READ, model="team"),
    # Risks: register, mitigation actions, heatmap, schedule risk and its estimates.
    "risks:risk_list": Page(READ),
    "risks:risk_add": Page(ADD, model="risk", post=True),
    "risks:risk_detail": Page(READ, model="risk"),
    "risks:risk_edit": Page(CHANGE, model="risk", post=True),
    "risks:risk_delete": Page(DELETE, model="risk", post=True),
    "risks:heatmap": Page(READ),
    "risks:action_list": Page(READ),
    "risks:mitigationaction_add": Page(ADD, model="mitigationaction", post=True),
    "risks:mitigationaction_edit": Page(CHANGE, model="mitigationaction", post=True),
    "risks:mitigationaction_delete": Page(DELETE, model="mitigationaction", post=True),
    "risks:montecarlo": Page(READ),
    # Storing a simulation as the dashboard's reference: any role that may write.
    "risks:montecarlo_store": Page(BULK, get=False, post=True),
    "risks:durationestimate_add": Page(ADD, model="durationestimate", post=True),
    "risks:durationestimate_edit": Page(CHANGE, model="durationestimate", post=True),
    "risks:durationestimate_delete": Page(DELETE, model="durationestimate", post=True),
    # Operations (event logs, findings, DORA).
    "operations:eventlog_list": Page(READ),
    "operations:eventlog_import": Page(ADD, model="eventlog", post=True),
    "operations:eventlog_detail": Page(READ, model="eventlog"),
    "operations:eventlog_map": Page(READ, model="eventlog"),
    "operations:eventlog_variants": Page(READ, model="eventlog"),
    "operations:eventlog_bottlenecks": Page(READ, model="eventlog"),
    "operations:eventlog_sla": Page(READ, model="eventlog"),
    "operations:eventlog_workload": Page(READ, model="eventlog"),
    "operations:eventlog_delete": Page(DELETE, model="eventlog", post=True),
    "operations:finding_list": Page(READ),
    "operations:finding_detail": Page(READ, model="finding"),
    "operations:finding_improve": Page(CHANGE, model="finding", get=False, post=True),
    "operations:finding_status": Page(
        CHANGE, model="finding", get=False, post=True, post_data=(("status", "dismissed"),)
    ),
    "operations:dora": Page(READ),
    "operations:dora_import": Page(ADD, model="deliverydataset", post=True),
    "operations:dora_detail": Page(READ, model="deliverydataset"),
    "operations:dora_delete": Page(DELETE, model="deliverydataset", post=True),
    # Roadmap (planning): scenarios, baselines, scoring models and rules are the office's.
    "planning:backlog": Page(READ),
    "planning:planninginput_edit": Page(CHANGE, model="initiative", post=True),
    "planning:initiative_rank": Page(CHANGE, model="initiative", get=False, post=True),
    "planning:scoringmodel_add": Page(ADD, model="scoringmodel", post=True),
    "planning:scoringmodel_edit": Page(CHANGE, model="scoringmodel", post=True),
    "planning:selectionrule_add": Page(ADD, model="selectionrule", post=True),
    "planning:selectionrule_delete": Page(DELETE, model="selectionrule", post=True),
    "planning:selection": Page(READ),
    "planning:schedule": Page(READ),
    "planning:roadmap_svg": Page(READ),
    "planning:roadmap_pdf": Page(READ),
    "planning:scenario_list": Page(READ),
    "planning:scenario_compare": Page(READ),
    "planning:scenario_add": Page(ADD, model="scenario", post=True),
    "planning:scenario_detail": Page(READ, model="scenario"),
    "planning:scenario_edit": Page(CHANGE, model="scenario", post=True),
    "planning:scenario_delete": Page(DELETE, model="scenario", post=True),
    "planning:scenario_solve": Page(CHANGE, model="scenario", get=False, post=True),
    "planning:scenario_promote": Page(CHANGE, model="scenario", get=False, post=True),
    "planning:baseline_list": Page(READ),
    "planning:baseline_add": Page(ADD, model="baseline", post=True),
    "planning:baseline_detail": Page(READ, model="baseline"),
    "planning:baseline_delete": Page(DELETE, model="baseline", post=True),
}

# The API: the router's list/detail routes per basename, plus the root, schema and docs.
API_READ_ONLY = {"api:api-root", "api_schema", "api_docs"}
API_MODELS = (
    "objective",
    "team",
    "service",
    "initiative",
    "dependency",
    "milestone",
    "statusupdate",
    "raciassignment",
    "objectivelink",
    "effort",
    "kpi",
    "measurement",
    "risk",
    "mitigationaction",
    "durationestimate",
    "eventlog",
    "finding",
    "deliverydataset",
    "planninginput",
    "scoringmodel",
    "selectionrule",
    "scenario",
    "baseline",
)
APPEND_ONLY = {"statusupdate"}
# Operations data comes from files (pages, CLI): no plain create; logs and data sets are read
# and deleted, findings change status. Their extra actions are checked in tests/operations.
NO_CREATE = {"eventlog", "finding", "deliverydataset"}
NO_CHANGE = {"eventlog", "deliverydataset"}
NO_DELETE = {"finding"}  # deleted with their event log
API_ACTIONS = {"api:finding-improve"}


def api_names() -> set[str]:
    names = set(API_READ_ONLY)
    for model in API_MODELS:
        names |= {f"api:{model}-list", f"api:{model}-detail"}
    return names | API_ACTIONS


def registry_names() -> set[str]:
    return set(PAGES) | api_names()


# ---------------------------------------------------------------------------------------
# Expected statuses
# ---------------------------------------------------------------------------------------

LOGIN_REDIRECT = "login-redirect"  # 302 to /login/?next=<the url>


def _may_write(rule: str, model: str | None, persona: str, variant: str) -> bool:
    """Whether the persona may take this write action (add / change / delete)."""
    if persona in WRITERS:
        return True
    if persona != "contributor" or model not in OWNABLE:
        return False
    return rule == ADD or variant == "own"


def expected_page(page: Page, persona: str, method: str, variant: str) -> int | str:
    """The status a persona gets for ``method`` on this page (``LOGIN_REDIRECT`` for a 302 to login)."""
    rule = page.rule
    if rule == LOGIN:
        return 200 if persona == "anonymous" else 302
    if persona == "anonymous":
        return LOGIN_REDIRECT
    if rule == LOGOUT:
        return 302 if method == "POST" else 405
    if persona == "outsider" and rule != SELF:
        return 404
    allowed_methods = {"GET"} if page.get else set()
    if page.post:
        allowed_methods.add("POST")
    if rule in (SELF, READ, TOKENS):
        return 200 if method in allowed_methods else 405
    if rule in (ADMIN, MANAGE):
        permitted = persona == "admin" or (rule == MANAGE and persona == "manager")
    elif rule == BULK:
        permitted = persona not in READ_ONLY
    else:
        permitted = _may_write(rule, page.model, persona, variant)
    if not permitted:
        # Permission is checked before the method: a forged request learns nothing.
        return 403 if method in allowed_methods else 405
    if method not in allowed_methods:
        return 405
    if method == "GET":
        return 200
    # A permitted POST: forms without data are shown again with their errors (200); actions
    # (delete, stage, baseline, bulk edit, roles) redirect.
    if rule in (ADD, CHANGE) and page.get:
        return 200
    if rule == MANAGE:
        return 200
    return 302


def expected_api(name: str, persona: str, method: str, variant: str) -> int:
    """The status for ``method`` on an API URL (list: GET/POST, detail: GET/PATCH/DELETE)."""
    if persona == "anonymous":
        return 401
    if persona == "outsider":
        return 403
    if name in API_READ_ONLY:
        # The role check comes before the method: read-only roles learn nothing more.
        return 200 if method == "GET" else (403 if persona in READ_ONLY else 405)
    model = name.removeprefix("api:").rsplit("-", 1)[0]
    if method == "GET":
        return 200
    if persona in READ_ONLY:
        return 403
    if model in APPEND_ONLY and method in ("PUT", "PATCH", "DELETE"):
        return 405
    if (
        (model in NO_CREATE and method == "POST")
        or (model in NO_CHANGE and method in ("PUT", "PATCH"))
        or (model in NO_DELETE and method == "DELETE")
    ):
        return 405
    # POST sends a payload for the contributor's own initiative (or team) or another team's.
    if not _may_write(CHANGE, model, persona, variant):
        return 403
    return {"POST": 201, "PATCH": 200, "PUT": 200, "DELETE": 204}[method]
