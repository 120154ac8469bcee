"""Every URL and API endpoint, for every role and for anonymous users.

The URL names come from the resolver; ``url_expectations`` says per name which access
rule applies. A page or endpoint added without an entry there fails
``test_every_url_name_has_an_access_expectation``.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from portolan.core.models import ApiToken
from portolan.portfolio.models import Dependency, Effort, ObjectiveLink, RaciAssignment, StatusUpdate
from tests.conftest import client_for
from tests.core import url_expectations as exp
from tests.factories import InitiativeFactory, MilestoneFactory, ObjectiveFactory, ServiceFactory, TeamFactory
from tests.operations.world import CHANGE_PAYLOAD as OPERATIONS_CHANGE_PAYLOAD
from tests.operations.world import NEW_PAYLOAD as OPERATIONS_NEW_PAYLOAD
from tests.operations.world import operations_world
from tests.planning import world as planning

# Names announced by work in progress elsewhere: expected in the table before their URLs
# land. Remove a name from here once its URL exists.
ANNOUNCED: set[str] = set()


def resolver_url_names(resolver=None, namespace: str = "") -> tuple[set[str], list[str]]:
    """All URL names of the URL configuration (namespaced), and the patterns without a name."""
    resolver = resolver or get_resolver()
    names, unnamed = set(), []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            sub_names, sub_unnamed = resolver_url_names(pattern, inner)
            names |= sub_names
            unnamed += sub_unnamed
        elif pattern.name:
            names.add(namespace + pattern.name)
        else:
            unnamed.append(str(pattern.pattern))
    return names, unnamed


def test_every_url_name_has_an_access_expectation():
    names, unnamed = resolver_url_names()
    assert unnamed == [], "every URL pattern needs a name (and an entry in url_expectations)"
    missing = names - exp.registry_names()
    assert not missing, (
        f"URLs without an access expectation in tests/core/url_expectations.py: {sorted(missing)}"
    )
    stale = exp.registry_names() - names - ANNOUNCED
    assert not stale, f"url_expectations names URLs that no longer exist: {sorted(stale)}"


def test_the_resolver_walk_sees_pages_api_routes_and_schema():
    names, _ = resolver_url_names()
    assert {
        "login",
        "portfolio:initiative_edit",
        "api:initiative-list",
        "api:initiative-detail",
        "api_docs",
    } <= names


# ---------------------------------------------------------------------------------------
# The world every persona visits
# ---------------------------------------------------------------------------------------


@pytest.fixture
def world(personas, team, other_team, own_initiative, foreign_initiative, contributor):
    """Objects of each type: the contributor's team's ("own") and another team's ("foreign").

    A new app adds its objects under their model name (``Page(model=...)`` looks them up here)
    and its payloads to ``new_payload`` / ``change_payload``.
    """
    own_b = InitiativeFactory(key="NET-002", team=team)
    foreign_b = InitiativeFactory(key="SEC-002", team=other_team)
    loose = InitiativeFactory(key="LOOSE-1")
    linked = ObjectiveFactory(code="LINKED")
    spare_objective = ObjectiveFactory(code="SPARE")
    spare_team = TeamFactory(code="SPARE", name="Spare")

    def status(initiative):
        return StatusUpdate.objects.create(
            initiative=initiative, date="2027-01-10", overall="green", narrative="Fine", author=contributor
        )

    objects = {
        "initiative": {"own": own_initiative, "foreign": foreign_initiative},
        "objective": {"foreign": spare_objective},
        "team": {"foreign": spare_team},
        "service": {"own": ServiceFactory(owner_team=team), "foreign": ServiceFactory(owner_team=other_team)},
        "dependency": {
            "own": Dependency.objects.create(predecessor=own_b, successor=own_initiative),
            "foreign": Dependency.objects.create(predecessor=foreign_b, successor=foreign_initiative),
        },
        "milestone": {
            "own": MilestoneFactory(initiative=own_initiative),
            "foreign": MilestoneFactory(initiative=foreign_initiative),
        },
        "statusupdate": {"own": status(own_initiative), "foreign": status(foreign_initiative)},
        "raciassignment": {
            "own": RaciAssignment.objects.create(initiative=own_initiative, role="R", team=team),
            "foreign": RaciAssignment.objects.create(
                initiative=foreign_initiative, role="R", team=other_team
            ),
        },
        "objectivelink": {
            "own": ObjectiveLink.objects.create(initiative=own_initiative, objective=linked),
            "foreign": ObjectiveLink.objects.create(initiative=foreign_initiative, objective=linked),
        },
        "effort": {
            "own": Effort.objects.create(initiative=own_initiative, team=team, person_days=10),
            "foreign": Effort.objects.create(initiative=foreign_initiative, team=other_team, person_days=10),
        },
        **kpi_risk_world(team, other_team, own_initiative, foreign_initiative),
        **operations_world(team, other_team),
        **planning.planning_world(own_initiative, foreign_initiative),
    }

    def initiative_for(variant):
        return objects["initiative"][variant]

    def new_payload(model: str, variant: str) -> dict:
        """A valid API payload creating a <model> on the contributor's side or another team's."""
        own = variant == "own"
        initiative = initiative_for(variant).pk
        return {
            "objective": {"code": "NEW-O", "name": "New objective"},
            "team": {"code": "NEW-T", "name": "New team"},
            "service": {
                "code": "NEW-S",
                "name": "New service",
                "owner_team": (team if own else other_team).pk,
            },
            "initiative": {"key": "NEW-1", "title": "New", "team": (team if own else other_team).pk},
            "dependency": (
                {"predecessor": foreign_initiative.pk, "successor": own_b.pk}
                if own
                else {"predecessor": loose.pk, "successor": foreign_initiative.pk}
            ),
            "milestone": {"initiative": initiative, "name": "New milestone", "planned_date": "2027-05-01"},
            "statusupdate": {
                "initiative": initiative,
                "date": "2027-01-15",
                "overall": "amber",
                "narrative": "Late",
            },
            "raciassignment": {"initiative": initiative, "role": "C", "team": other_team.pk},
            "objectivelink": {"initiative": initiative, "objective": spare_objective.pk},
            "effort": {"initiative": initiative, "team": spare_team.pk, "person_days": "5.0"},
            "kpi": {
                "code": "NEW-K",
                "name": "New KPI",
                "target": 99,
                "amber": 98,
                "red": 97,
                "team": (team if own else other_team).pk,
            },
            "measurement": {"kpi": objects["kpi"][variant].code, "period": "2026-05", "value": 1.5},
            "risk": {
                "key": "NEW-R",
                "title": "New risk",
                "category": "technical",
                "probability": 3,
                "impact": 3,
                "residual_probability": 2,
                "residual_impact": 2,
                "team": (team if own else other_team).pk,
            },
            "mitigationaction": {"risk": objects["risk"][variant].pk, "title": "New action"},
            "durationestimate": {
                "initiative": (own_b if own else foreign_b).pk,
                "optimistic_days": 5,
                "most_likely_days": 10,
                "pessimistic_days": 20,
            },
            **OPERATIONS_NEW_PAYLOAD,
            **{m: planning.new_payload(m, own, own_b, foreign_b, loose) for m in planning.PLANNING_MODELS},
        }[model]

    change_payload = {
        "objective": {"name": "Renamed"},
        "team": {"name": "Renamed team"},
        "service": {"name": "Renamed"},
        "initiative": {"title": "Renamed"},
        "dependency": {"lag_days": 3},
        "milestone": {"name": "Renamed"},
        "statusupdate": {"narrative": "Rewritten history"},
        "raciassignment": {"note": "Changed"},
        "objectivelink": {"weight": "2.00"},
        "effort": {"person_days": "7.0"},
        "kpi": {"name": "Renamed"},
        "measurement": {"value": 2.5},
        "risk": {"title": "Renamed"},
        "mitigationaction": {"title": "Renamed"},
        "durationestimate": {"note": "Changed"},
        **OPERATIONS_CHANGE_PAYLOAD,
        **planning.CHANGE_PAYLOAD,
    }
    return {"objects": objects, "new_payload": new_payload, "change_payload": change_payload}


def kpi_risk_world(team, other_team, own_initiative, foreign_initiative) -> dict:
    """KPIs, measurements, risks, actions and estimates of the contributor's team and another's."""
    from portolan.kpis.models import Kpi, Measurement
    from portolan.risks.models import DurationEstimate, MitigationAction, Risk

    def kpi(code, owner_team):
        return Kpi.objects.create(code=code, name=code, target=99, amber=98, red=97, team=owner_team)

    def measurement(k):
        return Measurement.objects.create(
            kpi=k, period="2026-04", period_start="2026-04-01", period_end="2026-04-30", value=98.5
        )

    def risk(key, owner_team):
        return Risk.objects.create(
            key=key,
            title=key,
            category="technical",
            probability=3,
            impact=3,
            residual_probability=2,
            residual_impact=2,
            team=owner_team,
        )

    kpis = {"own": kpi("OWN-K", team), "foreign": kpi("FOR-K", other_team)}
    risks = {"own": risk("OWN-R", team), "foreign": risk("FOR-R", other_team)}
    return {
        "kpi": kpis,
        "measurement": {v: measurement(k) for v, k in kpis.items()},
        "risk": risks,
        "mitigationaction": {
            v: MitigationAction.objects.create(risk=r, title="Act") for v, r in risks.items()
        },
        "durationestimate": {
            v: DurationEstimate.objects.create(
                initiative=i, optimistic_days=10, most_likely_days=20, pessimistic_days=40
            )
            for v, i in (("own", own_initiative), ("foreign", foreign_initiative))
        },
    }


def rolled_back(call):
    """Run one request in a savepoint that is rolled back: every persona sees the same world."""
    with transaction.atomic():
        response = call()
        transaction.set_rollback(True)
    return response


def persona_client(personas, persona: str) -> Client:
    return client_for(None if persona == "anonymous" else personas[persona])


def page_url(name: str, page: exp.Page, world, variant: str) -> str:
    kwargs = dict(page.kwargs)
    if variant != "none":
        kwargs["pk"] = world["objects"][page.model][variant].pk
    return reverse(name, kwargs=kwargs or None)


def mismatch(response, expected, label: str) -> str | None:
    if expected == exp.LOGIN_REDIRECT:
        location = urlsplit(response.get("Location", ""))
        target = parse_qs(location.query).get("next", [""])[0]
        if (
            response.status_code == 302
            and location.path == reverse("login")
            and target == response.request["PATH_INFO"]
        ):
            return None
        got = f"{response.status_code} {response.get('Location', '')}"
        return f"{label}: expected a redirect to the login page, got {got}"
    if response.status_code != expected:
        return f"{label}: expected {expected}, got {response.status_code}"
    return None


def resolvable_pages():
    names, _ = resolver_url_names()
    return {name: page for name, page in exp.PAGES.items() if name in names}


@pytest.mark.parametrize("persona", exp.PERSONAS)
def test_every_page_answers_each_persona_as_the_roles_say(persona, personas, world):
    client = persona_client(personas, persona)
    problems, checked = [], 0
    for name, page in sorted(resolvable_pages().items()):
        for variant in page.variants:
            url = page_url(name, page, world, variant)
            for method in ("GET", "POST"):
                if method == "GET":
                    response = rolled_back(lambda url=url: client.get(url))
                else:
                    # Logging out ends the session: do it on a client of its own.
                    poster = persona_client(personas, persona) if name == "logout" else client
                    data = dict(page.post_data)
                    response = rolled_back(lambda url=url, data=data, poster=poster: poster.post(url, data))
                expected = exp.expected_page(page, persona, method, variant)
                problem = mismatch(response, expected, f"{persona} {method} {name} ({variant}) {url}")
                checked += 1
                if problem:
                    problems.append(problem)
    assert not problems, "\n".join(problems)
    assert checked > 100


@pytest.mark.parametrize("persona", exp.PERSONAS)
def test_every_api_endpoint_answers_each_persona_as_the_roles_say(persona, personas, world):
    client = persona_client(personas, persona)
    problems, checked = [], 0

    def check(method: str, name: str, url: str, variant: str, payload=None):
        nonlocal checked
        call = getattr(client, method.lower())
        if payload is None:
            response = rolled_back(lambda: call(url))
        else:
            response = rolled_back(lambda: call(url, payload, content_type="application/json"))
        expected = exp.expected_api(name, persona, method, variant)
        checked += 1
        if response.status_code != expected:
            got = f"{response.status_code} {getattr(response, 'content', b'')[:200]}"
            problems.append(f"{persona} {method} {name} ({variant}) {url}: expected {expected}, got {got}")

    for name in sorted(exp.API_READ_ONLY):
        check("GET", name, reverse(name), "none")
        check("POST", name, reverse(name), "none", payload={})
    for model in exp.API_MODELS:
        list_name, detail_name = f"api:{model}-list", f"api:{model}-detail"
        variants = ("own", "foreign") if model in exp.OWNABLE else ("foreign",)
        for variant in variants:
            check("GET", list_name, reverse(list_name), variant)
            check(
                "POST", list_name, reverse(list_name), variant, payload=world["new_payload"](model, variant)
            )
            url = reverse(detail_name, kwargs={"pk": world["objects"][model][variant].pk})
            check("GET", detail_name, url, variant)
            check("PATCH", detail_name, url, variant, payload=world["change_payload"][model])
            check("DELETE", detail_name, url, variant)
    assert not problems, "\n".join(problems)
    assert checked > 80


# ---------------------------------------------------------------------------------------
# Token authentication
# ---------------------------------------------------------------------------------------


def test_api_token_authenticates_reads_and_writes_without_a_session(manager, own_initiative):
    _, raw = ApiToken.issue(manager, "ci")
    client = Client(enforce_csrf_checks=True)
    auth = {"HTTP_AUTHORIZATION": f"Token {raw}"}
    listed = client.get(reverse("api:initiative-list"), **auth)
    assert listed.status_code == 200
    assert [row["key"] for row in listed.json()["results"]] == ["NET-001"]
    changed = client.patch(
        reverse("api:initiative-detail", args=[own_initiative.pk]),
        {"title": "By token"},
        content_type="application/json",
        **auth,
    )
    assert changed.status_code == 200, changed.content
    own_initiative.refresh_from_db()
    assert own_initiative.title == "By token"
    assert ApiToken.objects.get(user=manager).last_used is not None


@pytest.mark.parametrize("header", ["Token ptl_not-a-real-token", "Token ", "Bearer whatever"])
def test_invalid_api_token_is_refused(header, manager):
    ApiToken.issue(manager)
    response = Client().get(reverse("api:initiative-list"), HTTP_AUTHORIZATION=header)
    assert response.status_code in (401, 403)
    assert "results" not in response.content.decode()


def test_token_of_a_viewer_cannot_write(viewer, own_initiative):
    _, raw = ApiToken.issue(viewer)
    response = Client().patch(
        reverse("api:initiative-detail", args=[own_initiative.pk]),
        {"title": "Nope"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {raw}",
    )
    assert response.status_code == 403
    own_initiative.refresh_from_db()
    assert own_initiative.title == "SD-WAN rollout"


def test_expired_token_is_refused(manager):
    token, raw = ApiToken.issue(manager)
    token.expires = "2000-01-01T00:00:00Z"
    token.save()
    response = Client().get(reverse("api:initiative-list"), HTTP_AUTHORIZATION=f"Token {raw}")
    assert response.status_code == 401


def test_outsider_does_not_see_search_results_or_people(outsider, foreign_initiative, viewer):
    response = client_for(outsider).get(reverse("search"), {"q": "e"})
    assert response.status_code == 404
    assert b"viewer" not in response.content
