"""The executive dashboard (and the KPI/risk pages behind it) run a bounded number of queries.

Each page is requested at two sizes: a small synthetic portfolio and the demo grown to
5,000 initiatives, 2,000 risks and 50,000 measurements. A count that grows with the data
(an N+1) fails here.
"""

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portolan.core.roles import Role
from portolan.kpis import scale as kpi_scale
from portolan.portfolio import scale as portfolio_scale
from portolan.portfolio.models import Team
from portolan.risks import scale as risk_scale
from tests.factories import UserFactory

SMALL = {"initiatives": (50, 100), "risks": 20, "measurements": 500, "kpis": 25}
LARGE = {"initiatives": (5000, 10000), "risks": 2000, "measurements": 50_000, "kpis": 250}
BUDGET = 30  # session, user, profile, nav + one query per dashboard panel


def _urls() -> dict[str, str]:
    team = Team.objects.filter(code__startswith="SCL-").order_by("code").first()
    return {
        "home": reverse("home"),
        "team_dashboard": reverse("kpis:team_dashboard", args=[team.pk]),
        "kpi_list": reverse("kpis:kpi_list"),
        "measurement_list": reverse("kpis:measurement_list"),
        "risk_list": reverse("risks:risk_list"),
        "heatmap": reverse("risks:heatmap"),
        "action_list": reverse("risks:action_list"),
        "milestones": reverse("kpis:milestones") + "?view=slipped",
    }


def _count(size: dict) -> dict[str, int]:
    with transaction.atomic():
        portfolio_scale.generate(*size["initiatives"])
        kpi_scale.generate(size["measurements"], size["kpis"])
        risk_scale.generate(size["risks"])
        client = Client()
        client.force_login(UserFactory(username="dash.exec", role=Role.EXECUTIVE))
        counts = {}
        for name, url in _urls().items():
            assert client.get(url).status_code == 200, url  # warm-up
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200, url
            counts[name] = len(queries)
        transaction.set_rollback(True)
    return counts


@pytest.mark.django_db
def test_dashboard_queries_do_not_grow_with_5000_initiatives_2000_risks_50000_measurements():
    small, large = _count(SMALL), _count(LARGE)
    assert large == small, f"query counts grew with the data: {small} -> {large}"
    assert max(large.values()) <= BUDGET, large
