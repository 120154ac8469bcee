"""The audit trail as a contract: who, from where, under which request id, before/after, why."""

import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portolan.core import services as core_services
from portolan.core.audit import ChangeContext
from portolan.core.models import ApiToken, AuditEntry, Profile
from portolan.core.roles import Role
from portolan.portfolio import services
from portolan.portfolio.models import Initiative, Tag
from tests.conftest import client_for, last_audit
from tests.factories import InitiativeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_sane_incoming_request_id_is_kept_and_recorded(manager, own_initiative):
    response = client_for(manager).post(
        reverse("portfolio:initiative_stage", args=[own_initiative.pk]),
        {"stage": "assessment"},
        HTTP_X_REQUEST_ID="lb-7f3a.42",
    )
    assert response["X-Request-ID"] == "lb-7f3a.42"
    assert last_audit(own_initiative).request_id == "lb-7f3a.42"


@pytest.mark.parametrize("incoming", ["", "has space", "x" * 65, "<script>", "a\u00e9b"])
def test_an_unsafe_request_id_is_replaced_and_the_replacement_recorded(incoming, manager, own_initiative):
    response = client_for(manager).post(
        reverse("portfolio:initiative_stage", args=[own_initiative.pk]),
        {"stage": "assessment"},
        HTTP_X_REQUEST_ID=incoming,
    )
    generated = response["X-Request-ID"]
    assert generated != incoming and len(generated) == 32
    assert last_audit(own_initiative).request_id == generated


def test_update_that_changes_nothing_is_not_recorded(cli_ctx, own_initiative):
    core_services.update(cli_ctx, own_initiative, {"title": own_initiative.title})
    assert not AuditEntry.objects.exists()


def test_resaving_an_unchanged_form_records_no_change(manager, own_initiative, team):
    """Decimals read back as 0.00 and posted as 0 are one value: no phantom audit rows."""
    data = {
        "key": "NET-001",
        "title": own_initiative.title,
        "kind": "project",
        "team": team.pk,
        "progress": "0",
    }
    data |= {"planned_start": "2027-01-01", "planned_finish": "2027-06-30"}
    data |= {f: "0" for f in ("budget_capex", "budget_opex", "forecast_cost", "actual_cost")}
    response = client_for(manager).post(reverse("portfolio:initiative_edit", args=[own_initiative.pk]), data)
    assert response.status_code == 302
    assert not AuditEntry.objects.exists()


def test_a_refused_change_leaves_neither_change_nor_audit_row(cli_ctx, own_initiative):
    with pytest.raises(ValidationError):
        services.update_initiative(cli_ctx, own_initiative, {"title": "New", "planned_finish": "2026-01-01"})
    own_initiative.refresh_from_db()
    assert own_initiative.title == "SD-WAN rollout"
    assert not AuditEntry.objects.exists()


def test_permission_denied_in_a_service_leaves_no_audit_row(viewer, own_initiative):
    ctx = ChangeContext(user=viewer)
    with pytest.raises(PermissionDenied, match="may not"):
        core_services.update(ctx, own_initiative, {"title": "New"})
    assert not AuditEntry.objects.exists()


def test_audit_row_has_who_what_before_after_and_reason(contributor, own_initiative):
    ctx = ChangeContext(user=contributor, source=AuditEntry.Source.WEB, request_id="r-1", reason="Re-planned")
    services.update_initiative(ctx, own_initiative, {"planned_finish": "2027-09-30"})
    entry = last_audit(own_initiative)
    assert (entry.actor, entry.actor_name, entry.action, entry.source) == (
        contributor,
        "contributor",
        "update",
        "web",
    )
    assert entry.content_type == ContentType.objects.get_for_model(Initiative)
    assert (entry.object_id, entry.object_repr) == (str(own_initiative.pk), "NET-001 SD-WAN rollout")
    assert entry.changed_fields() == [("planned_finish", "2027-06-30", "2027-09-30")]
    assert entry.display_changes() == [("planned finish", "2027-06-30", "2027-09-30")]
    assert (entry.request_id, entry.reason) == ("r-1", "Re-planned")


def test_many_to_many_values_are_part_of_the_snapshot(cli_ctx):
    initiative = services.create_initiative(
        cli_ctx, {"key": "T-1", "title": "x", "tags": ["network", "dc-exit"]}
    )
    tag_ids = sorted(str(pk) for pk in Tag.objects.values_list("pk", flat=True))
    assert last_audit(initiative).after["tags"] == tag_ids
    services.update_initiative(cli_ctx, initiative, {"tags": ["network"]})
    entry = last_audit(initiative)
    assert entry.changed_fields() == [("tags", tag_ids, [str(Tag.objects.get(name="network").pk)])]


def test_deleted_object_keeps_its_last_values_in_the_audit_row(cli_ctx):
    initiative = InitiativeFactory(key="GONE-1", title="Legacy DC")
    pk = initiative.pk
    core_services.delete(cli_ctx, initiative)
    entry = AuditEntry.objects.get(action="delete", object_id=str(pk))
    assert (entry.before["key"], entry.before["title"], entry.after) == ("GONE-1", "Legacy DC", None)


def test_audit_row_survives_its_actor_with_the_name(cli_ctx):
    user = UserFactory(username="leaver", role=Role.PORTFOLIO_MANAGER)
    initiative = InitiativeFactory(key="L-1")
    core_services.update(ChangeContext(user=user), initiative, {"title": "Changed"})
    user.delete()
    entry = last_audit(initiative)
    assert (entry.actor, entry.actor_name) == (None, "leaver")


def test_role_change_on_the_users_page_is_audited(admin, viewer):
    response = client_for(admin).post(reverse("user_list"), {"user": viewer.pk, "role": Role.CONTRIBUTOR})
    assert response.status_code == 302
    profile = Profile.objects.get(user=viewer)
    assert profile.role == Role.CONTRIBUTOR
    entry = last_audit(profile)
    assert (entry.actor, entry.source, entry.request_id) == (admin, "web", response["X-Request-ID"])
    assert entry.changed_fields() == [("role", "viewer", "contributor")]


def test_token_created_on_the_page_is_audited_without_its_secret(viewer):
    response = client_for(viewer).post(reverse("token_list"), {"name": "laptop"})
    assert response.status_code == 200
    raw = response.context["raw"]
    token = ApiToken.objects.get(user=viewer)
    entry = last_audit(token)
    assert (entry.action, entry.actor) == ("create", viewer)
    assert raw not in json.dumps(entry.after)
    assert raw in response.content.decode()


def test_token_revoked_on_the_page_is_audited_and_others_tokens_are_out_of_reach(viewer, executive):
    mine, _ = ApiToken.issue(viewer)
    theirs, _ = ApiToken.issue(executive)
    client = client_for(viewer)
    assert client.post(reverse("token_list"), {"delete": theirs.pk}).status_code == 403
    assert client.post(reverse("token_list"), {"delete": mine.pk}).status_code == 302
    assert list(ApiToken.objects.all()) == [theirs]
    assert AuditEntry.objects.get(action="delete").object_id == str(mine.pk)


def test_audit_log_page_finds_the_rows_of_one_request(viewer, manager, own_initiative):
    response = client_for(manager).post(
        reverse("portfolio:initiative_stage", args=[own_initiative.pk]),
        {"stage": "assessment"},
        HTTP_X_REQUEST_ID="req-123",
    )
    assert response.status_code == 302
    services.update_initiative(
        ChangeContext(user=None, request_id="other"), own_initiative, {"title": "Other change"}
    )
    assert client_for(viewer).get(reverse("audit_log")).status_code == 403
    page = client_for(manager).get(reverse("audit_log"), {"request_id": "req-123"})
    rows = list(page.context["page"].object_list)
    assert [(r.request_id, r.after["stage"]) for r in rows] == [("req-123", "assessment")]
