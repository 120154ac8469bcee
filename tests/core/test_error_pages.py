import pytest
from django.urls import reverse

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_account_without_role_is_told_to_ask_for_one(outsider):
    response = client_for(outsider).get(reverse("home"))
    assert response.status_code == 404
    assert "has no role yet" in response.content.decode()


def test_read_only_user_is_told_why_an_edit_is_refused(viewer, own_initiative):
    response = client_for(viewer).get(reverse("portfolio:initiative_edit", args=[own_initiative.pk]))
    assert response.status_code == 403
    assert "Read-only roles" in response.content.decode()


def test_global_search_finds_initiatives_risks_and_kpis(viewer, own_initiative, cli_ctx):
    from portolan.kpis.services import load_library
    from tests.factories import InitiativeFactory

    load_library(cli_ctx)
    InitiativeFactory(key="AVAIL-PRJ", title="Raise service availability")
    page = client_for(viewer).get(reverse("search"), {"q": "avail"}).content.decode()
    assert "AVAIL-PRJ" in page and "AVAIL" in page and "Service availability" in page
