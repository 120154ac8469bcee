"""Create, update and delete every portfolio model through the page, the API and the services,
and check the audit row each change leaves (NetBox's model test mixins, as one table).

``test_every_portfolio_model_has_a_crud_test`` fails when a model is added to
``portolan.portfolio`` without a spec here.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, reverse

from portolan.core import services as core_services
from portolan.core.models import AuditEntry
from portolan.portfolio import models as m
from portolan.portfolio import services
from tests.conftest import client_for
from tests.factories import InitiativeFactory, ObjectiveFactory, TeamFactory


@dataclass(frozen=True)
class Spec:
    """How to create one <model> on each channel, which field to change, and to what."""

    model: type
    form: Callable[[dict], dict]  # POST data of the add page (also the base of the edit page's)
    api: Callable[[dict], dict]  # JSON of an API create
    field: str  # the field changed by the update (its attname)
    new_value: str
    create: Callable | None = None  # service use case (ctx, data) -> obj; default: generic create
    update: Callable | None = None  # (ctx, obj, data) -> obj
    delete: Callable | None = None  # (ctx, obj)
    append_only: bool = False

    @property
    def name(self) -> str:
        return self.model._meta.model_name


def _same(a, b) -> bool:
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except ArithmeticError:
        return str(a) == str(b)


def _status_create(ctx, data):
    data = dict(data)
    return services.add_status_update(ctx, data.pop("initiative"), data)


SPECS: dict[str, Spec] = {
    s.name: s
    for s in (
        Spec(
            m.Objective,
            form=lambda w: {"code": "OBJ-9", "name": "Resilience", "weight": "1"},
            api=lambda w: {"code": "OBJ-9", "name": "Resilience"},
            field="name",
            new_value="Resilience first",
        ),
        Spec(
            m.Team,
            form=lambda w: {"code": "DC", "name": "Datacenter", "capacity_pd_per_month": "50"},
            api=lambda w: {"code": "DC", "name": "Datacenter", "capacity_pd_per_month": "50.0"},
            field="name",
            new_value="Datacenter ops",
        ),
        Spec(
            m.Service,
            form=lambda w: {"code": "SVC-9", "name": "DNS", "kind": "technical", "criticality": "2"},
            api=lambda w: {"code": "SVC-9", "name": "DNS"},
            field="name",
            new_value="DNS & DHCP",
        ),
        Spec(
            m.Initiative,
            form=lambda w: {
                "key": "NET-009",
                "title": "Core refresh",
                "kind": "project",
                "team": w["team"].pk,
                "budget_capex": "0",
                "budget_opex": "0",
                "forecast_cost": "0",
                "actual_cost": "0",
                "progress": "0",
            },
            api=lambda w: {"key": "NET-009", "title": "Core refresh", "team": w["team"].pk},
            field="title",
            new_value="Core network refresh",
            create=services.create_initiative,
            update=services.update_initiative,
        ),
        Spec(
            m.Dependency,
            form=lambda w: {
                "predecessor": w["a"].pk,
                "successor": w["b"].pk,
                "type": "FS",
                "lag_days": "0",
                "hard": "on",
            },
            api=lambda w: {"predecessor": w["a"].pk, "successor": w["b"].pk},
            field="lag_days",
            new_value="5",
            create=services.add_dependency,
            update=services.update_dependency,
        ),
        Spec(
            m.Milestone,
            form=lambda w: {
                "initiative": w["a"].pk,
                "name": "Go-live",
                "planned_date": "2027-04-01",
                "status": "planned",
            },
            api=lambda w: {"initiative": w["a"].pk, "name": "Go-live", "planned_date": "2027-04-01"},
            field="name",
            new_value="Go-live wave 1",
        ),
        Spec(
            m.StatusUpdate,
            form=lambda w: {
                "initiative": w["a"].pk,
                "date": "2027-02-01",
                "overall": "amber",
                "narrative": "Slipping",
            },
            api=lambda w: {
                "initiative": w["a"].pk,
                "date": "2027-02-01",
                "overall": "amber",
                "narrative": "Slipping",
            },
            field="narrative",
            new_value="",
            create=_status_create,
            append_only=True,
        ),
        Spec(
            m.RaciAssignment,
            form=lambda w: {"initiative": w["a"].pk, "role": "C", "team": w["team"].pk},
            api=lambda w: {"initiative": w["a"].pk, "role": "C", "team": w["team"].pk},
            field="note",
            new_value="Security review",
            create=services.set_raci,
            update=services.update_raci,
            delete=services.remove_raci,
        ),
        Spec(
            m.ObjectiveLink,
            form=lambda w: {"initiative": w["a"].pk, "objective": w["objective"].pk, "weight": "1"},
            api=lambda w: {"initiative": w["a"].pk, "objective": w["objective"].pk},
            field="weight",
            new_value="2.5",
        ),
        Spec(
            m.Effort,
            form=lambda w: {"initiative": w["a"].pk, "team": w["team"].pk, "person_days": "12"},
            api=lambda w: {"initiative": w["a"].pk, "team": w["team"].pk, "person_days": "12.0"},
            field="person_days",
            new_value="20.5",
        ),
    )
}

# Concrete models deliberately without CRUD pages, with the reason.
EXEMPT = {
    "tag": "labels created on first use by services.tag_objects; audited as the initiative's 'tags' field",
}


def test_every_portfolio_model_has_a_crud_test():
    models = {model._meta.model_name for model in apps.get_app_config("portfolio").get_models()}
    assert models - set(SPECS) - set(EXEMPT) == set(), "portfolio models without CRUD + audit tests"
    assert set(SPECS) | set(EXEMPT) <= models, "specs for models that no longer exist"


@pytest.fixture
def w(db):
    team = TeamFactory(code="NET", name="Network")
    return {
        "team": team,
        "a": InitiativeFactory(key="A-1", team=team),
        "b": InitiativeFactory(key="B-1", team=team),
        "objective": ObjectiveFactory(code="O-1"),
    }


def audit_row(obj_or_model, pk, action: str) -> AuditEntry:
    rows = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj_or_model), object_id=str(pk), action=action
    )
    assert rows.count() == 1, (
        f"expected one {action} audit row for {obj_or_model} #{pk}, found {rows.count()}"
    )
    return rows.get()


def assert_audit(entry: AuditEntry, *, actor, source: str, request_id: str | None = None) -> None:
    assert entry.actor == actor
    assert entry.actor_name == (actor.username if actor else "system")
    assert entry.source == source
    if request_id is not None:
        assert entry.request_id == request_id


def newest(model):
    return model.objects.order_by("-pk").first()


spec_names = sorted(SPECS)


@pytest.mark.parametrize("name", spec_names)
def test_page_create_update_delete_leave_audit_rows(name, manager, w):
    spec = SPECS[name]
    client = client_for(manager)
    meta = spec.model._meta

    created = client.post(reverse(f"portfolio:{name}_add"), spec.form(w), HTTP_X_REQUEST_ID=f"web-add-{name}")
    assert created.status_code == 302, created.content.decode()[:2000]
    assert created["X-Request-ID"] == f"web-add-{name}"
    obj = newest(spec.model)
    entry = audit_row(spec.model, obj.pk, AuditEntry.Action.CREATE)
    assert_audit(entry, actor=manager, source=AuditEntry.Source.WEB, request_id=created["X-Request-ID"])
    assert entry.before is None
    assert entry.content_type.model_class() is spec.model
    assert entry.after["id"] == obj.pk

    if spec.append_only:
        for action in ("edit", "delete"):
            with pytest.raises(NoReverseMatch):
                reverse(f"portfolio:{name}_{action}", args=[obj.pk])
        return

    old = getattr(obj, spec.field)
    edited = client.post(
        reverse(f"portfolio:{name}_edit", args=[obj.pk]),
        {**spec.form(w), spec.field: spec.new_value},
        HTTP_X_REQUEST_ID=f"web-edit-{name}",
    )
    assert edited.status_code == 302, edited.content.decode()[:2000]
    entry = audit_row(spec.model, obj.pk, AuditEntry.Action.UPDATE)
    assert_audit(entry, actor=manager, source=AuditEntry.Source.WEB, request_id=edited["X-Request-ID"])
    assert _same(entry.before[spec.field], old)
    assert _same(entry.after[spec.field], spec.new_value)
    assert [f for f, _, _ in entry.changed_fields()] == [spec.field]

    deleted = client.post(
        reverse(f"portfolio:{name}_delete", args=[obj.pk]), HTTP_X_REQUEST_ID=f"web-del-{name}"
    )
    assert deleted.status_code == 302
    assert not spec.model.objects.filter(pk=obj.pk).exists(), f"{meta.verbose_name} was not deleted"
    entry = audit_row(spec.model, obj.pk, AuditEntry.Action.DELETE)
    assert_audit(entry, actor=manager, source=AuditEntry.Source.WEB, request_id=deleted["X-Request-ID"])
    assert entry.after is None
    assert _same(entry.before[spec.field], spec.new_value)


@pytest.mark.parametrize("name", spec_names)
def test_api_create_update_delete_leave_audit_rows(name, manager, w):
    spec = SPECS[name]
    client = client_for(manager)
    base = reverse(f"api:{name}-list")

    created = client.post(
        base, spec.api(w), content_type="application/json", HTTP_X_REQUEST_ID=f"api-add-{name}"
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    entry = audit_row(spec.model, pk, AuditEntry.Action.CREATE)
    assert_audit(entry, actor=manager, source=AuditEntry.Source.API, request_id=created["X-Request-ID"])
    assert created["X-Request-ID"] == f"api-add-{name}"
    assert entry.before is None and entry.after["id"] == pk

    detail = reverse(f"api:{name}-detail", args=[pk])
    if spec.append_only:
        for method in ("put", "patch", "delete"):
            response = getattr(client, method)(
                detail, {"narrative": "rewritten"}, content_type="application/json"
            )
            assert response.status_code == 405, method
        assert spec.model.objects.get(pk=pk).narrative == "Slipping"
        return

    old = getattr(spec.model.objects.get(pk=pk), spec.field)
    patched = client.patch(
        detail,
        {spec.field: spec.new_value},
        content_type="application/json",
        HTTP_X_REQUEST_ID=f"api-edit-{name}",
    )
    assert patched.status_code == 200, patched.content
    entry = audit_row(spec.model, pk, AuditEntry.Action.UPDATE)
    assert_audit(entry, actor=manager, source=AuditEntry.Source.API, request_id=patched["X-Request-ID"])
    assert _same(entry.before[spec.field], old)
    assert _same(entry.after[spec.field], spec.new_value)

    deleted = client.delete(detail, HTTP_X_REQUEST_ID=f"api-del-{name}")
    assert deleted.status_code == 204, deleted.content
    assert not spec.model.objects.filter(pk=pk).exists()
    entry = audit_row(spec.model, pk, AuditEntry.Action.DELETE)
    assert_audit(entry, actor=manager, source=AuditEntry.Source.API, request_id=deleted["X-Request-ID"])
    assert entry.after is None and _same(entry.before[spec.field], spec.new_value)


def _service_data(spec: Spec, w: dict, user) -> dict:
    """The page's data as model values (ids resolved to objects, strings parsed by the form)."""
    from portolan.portfolio import forms

    form_class = {
        "objective": forms.ObjectiveForm,
        "team": forms.TeamForm,
        "service": forms.ServiceForm,
        "initiative": forms.InitiativeForm,
        "dependency": forms.DependencyForm,
        "milestone": forms.MilestoneForm,
        "statusupdate": forms.StatusUpdateForm,
        "raciassignment": forms.RaciForm,
        "objectivelink": forms.ObjectiveLinkForm,
        "effort": forms.EffortForm,
    }[spec.name]
    form = form_class(spec.form(w), user=user)
    assert form.is_valid(), form.errors
    return form.cleaned_for_service()


@pytest.mark.parametrize("name", spec_names)
def test_service_create_update_delete_from_the_cli_leave_audit_rows(name, w, cli_ctx, admin):
    spec = SPECS[name]
    data = _service_data(spec, w, admin)
    obj = (spec.create or (lambda ctx, d: core_services.create(ctx, spec.model, d)))(cli_ctx, data)
    entry = audit_row(spec.model, obj.pk, AuditEntry.Action.CREATE)
    assert_audit(entry, actor=None, source=AuditEntry.Source.CLI, request_id=cli_ctx.request_id)
    assert entry.after["id"] == obj.pk
    if spec.append_only:
        return

    old = getattr(obj, spec.field)
    field = spec.model._meta.get_field(spec.field)
    fresh = spec.model.objects.get(pk=obj.pk)
    (spec.update or core_services.update)(cli_ctx, fresh, {spec.field: field.to_python(spec.new_value)})
    entry = audit_row(spec.model, obj.pk, AuditEntry.Action.UPDATE)
    assert_audit(entry, actor=None, source=AuditEntry.Source.CLI)
    assert _same(entry.before[spec.field], old) and _same(entry.after[spec.field], spec.new_value)
    assert _same(getattr(spec.model.objects.get(pk=obj.pk), spec.field), spec.new_value)

    (spec.delete or core_services.delete)(cli_ctx, spec.model.objects.get(pk=obj.pk))
    assert not spec.model.objects.filter(pk=obj.pk).exists()
    entry = audit_row(spec.model, obj.pk, AuditEntry.Action.DELETE)
    assert_audit(entry, actor=None, source=AuditEntry.Source.CLI)
    assert entry.after is None


def test_status_update_from_the_page_carries_its_health_onto_the_initiative_with_an_audit_row(manager, w):
    response = client_for(manager).post(reverse("portfolio:statusupdate_add"), SPECS["statusupdate"].form(w))
    assert response.status_code == 302
    w["a"].refresh_from_db()
    assert w["a"].health_overall == "amber"
    entry = audit_row(m.Initiative, w["a"].pk, AuditEntry.Action.UPDATE)
    assert (entry.before["health_overall"], entry.after["health_overall"]) == ("", "amber")
    assert entry.request_id == response["X-Request-ID"]


def test_status_update_date_defaults_to_today(cli_ctx, w):
    update = services.add_status_update(cli_ctx, w["a"], {"overall": "green", "narrative": "ok"})
    assert isinstance(update.date, dt.date)
