"""The list, detail and map pages run a bounded number of queries, however big the portfolio.

Each page is requested at two sizes of the synthetic portfolio (``portolan.portfolio.scale``):
30 initiatives / 60 dependencies, and 5,000 initiatives / 10,000 dependencies. A page whose
query count grows with the data (an N+1: one query per row) fails here.
"""

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portolan.core.roles import Role
from portolan.portfolio.models import Initiative
from portolan.portfolio.scale import generate
from tests.factories import UserFactory

# The module fixture writes through django_db_blocker; the mark makes pytest-django create the
# test database (and wraps each test in a transaction of its own).
pytestmark = pytest.mark.django_db

SMALL, LARGE = (30, 60), (5000, 10000)  # SMALL fits on one page: an N+1 shows as growth

# The most queries any of these pages may run (session, user, profile, the page's own reads).
BUDGET = 15


def page_urls() -> dict[str, str]:
    # The program with the most dependencies: its detail page lists predecessors, successors
    # and its projects, the rows most likely to trigger one query each.
    program = (
        Initiative.objects.filter(kind=Initiative.Kind.PROGRAM, children__isnull=False)
        .order_by("key")
        .first()
    )
    initiatives = reverse("portfolio:initiative_list")
    detail = reverse("portfolio:initiative_detail", args=[program.pk])
    return {
        "list": initiatives,
        "list_filtered_sorted": (
            f"{initiatives}?q=Synthetic&stage=in_progress&stage=approved&stage=idea&health=amber&health=green"
            "&tag=scl-tag1&tag=scl-tag2&tag=scl-tag3&sort=-planned_finish&per_page=100"
        ),
        "list_page_2": f"{initiatives}?page=2&sort=team",
        "detail": detail,
        "detail_dependencies": f"{detail}?tab=dependencies",
        "detail_raci": f"{detail}?tab=raci",
        "map_hierarchy": reverse("portfolio:map_hierarchy"),
        "map_hierarchy_program_htmx": f"{reverse('portfolio:map_hierarchy')}?branch={program.pk}",
        "map_hierarchy_outside_htmx": f"{reverse('portfolio:map_hierarchy')}?branch=none",
        "map_graph": reverse("portfolio:map_graph"),
        "map_graph_program": f"{reverse('portfolio:map_graph')}?program={program.pk}",
        "map_alignment": reverse("portfolio:map_alignment"),
        "map_alignment_unaligned": f"{reverse('portfolio:map_alignment')}?only=unaligned",
        "map_raci": reverse("portfolio:map_raci"),
    }


PAGES = [
    "list",
    "list_filtered_sorted",
    "list_page_2",
    "detail",
    "detail_dependencies",
    "detail_raci",
    "map_hierarchy",
    "map_hierarchy_program_htmx",
    "map_hierarchy_outside_htmx",
    "map_graph",
    "map_graph_program",
    "map_alignment",
    "map_alignment_unaligned",
    "map_raci",
]


def _count_queries(size: tuple[int, int]) -> dict[str, int]:
    with transaction.atomic():
        generate(*size)
        client = Client()
        client.force_login(UserFactory(username="budget.pmo", role=Role.PORTFOLIO_MANAGER))
        counts = {}
        for name, url in page_urls().items():
            headers = {"HX-Request": "true"} if name.endswith("_htmx") else {}
            assert client.get(url, headers=headers).status_code == 200, url  # warm-up: per-process caches
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, headers=headers)
            assert response.status_code == 200, url
            # A page measured while empty proves nothing.
            if "page" in response.context:
                assert response.context["page"].paginator.count > 0, url
            if "items" in response.context:
                assert response.context["items"], url
            counts[name] = len(queries)
        transaction.set_rollback(True)
    return counts


@pytest.fixture(scope="module")
def query_counts(django_db_setup, django_db_blocker) -> dict[str, dict[str, int]]:
    """Queries per page at both sizes, each size generated and rolled back in turn."""
    with django_db_blocker.unblock():
        small, large = _count_queries(SMALL), _count_queries(LARGE)
    return {name: {"small": small[name], "large": large[name]} for name in small}


def test_every_page_is_measured(query_counts):
    assert sorted(query_counts) == sorted(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_page_query_count_does_not_grow_with_the_portfolio(query_counts, page):
    counts = query_counts[page]
    assert counts["large"] == counts["small"], f"{page}: {counts} queries at 30 vs 5,000 initiatives"


@pytest.mark.parametrize("page", PAGES)
def test_page_stays_within_the_query_budget(query_counts, page):
    assert query_counts[page]["large"] <= BUDGET, f"{page}: {query_counts[page]['large']} queries"
