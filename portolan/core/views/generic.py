"""Generic object views (NetBox style): list, detail, edit, delete — permission-aware.

A domain view names its model, form, filter set and table; the generic view fetches
through ``restrict`` and writes through a service function, never directly.
"""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from portolan.core import services
from portolan.core.audit import ChangeContext, history
from portolan.core.roles import CHANGE, DELETE, VIEW
from portolan.core.tables import Table

PAGE_SIZES = (25, 50, 100, 250)


def get_restricted(model: type[models.Model], user, action: str, **lookup) -> models.Model:
    """Fetch one object the user may act on: 404 if they cannot even see it, 403 if read-only."""
    visible = model.objects.restrict(user, VIEW)
    try:
        obj = visible.get(**lookup)
    except model.DoesNotExist:
        raise Http404(f"No {model._meta.verbose_name} matches the given query.") from None
    if action != VIEW and not obj.user_can(user, action):
        raise PermissionDenied(f"You may not {action} {obj}.")
    return obj


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def paginate(request, queryset, default: int = 50):
    try:
        per_page = int(request.GET.get("per_page", default))
    except ValueError:
        per_page = default
    per_page = per_page if per_page in PAGE_SIZES else default
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    return page, per_page


def apply_form_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError next to the right fields of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class ObjectListView(View):
    model: type[models.Model]
    filterset = None
    table: type[Table]
    template_name = "core/object_list.html"
    default_sort: str = ""

    def get_queryset(self, request):
        return self.model.objects.restrict(request.user, VIEW)

    def extra_context(self, request) -> dict:
        return {}

    def get(self, request):
        queryset = self.get_queryset(request)
        filterset = (
            self.filterset(request.GET, queryset=queryset, request=request) if self.filterset else None
        )
        if filterset is not None:
            queryset = filterset.qs
        table = self.table(request, default_sort=self.default_sort)
        queryset = table.sort(queryset)
        page, per_page = paginate(request, queryset)
        meta = self.model._meta
        context = {
            "model_name": meta.verbose_name,
            "model_name_plural": meta.verbose_name_plural,
            "filterset": filterset,
            "table": table,
            "page": page,
            "rows": table.rows(page.object_list),
            "per_page": per_page,
            "page_sizes": PAGE_SIZES,
            "can_add": self.model.user_can_add(request.user),
            "add_url": _url_or_none(f"{meta.app_label}:{meta.model_name}_add"),
            **self.extra_context(request),
        }
        return render(request, self.template_name, context)


def _url_or_none(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args or None)
    except Exception:  # noqa: BLE001 - a model without an add page
        return None


class ObjectDetailView(View):
    model: type[models.Model]
    template_name: str
    tab = "overview"

    def get_object(self, request, pk):
        return get_restricted(self.model, request.user, VIEW, pk=pk)

    def extra_context(self, request, obj) -> dict:
        return {}

    def get(self, request, pk):
        obj = self.get_object(request, pk)
        meta = self.model._meta
        context = {
            "object": obj,
            "tab": request.GET.get("tab", self.tab),
            "can_change": obj.user_can(request.user, CHANGE),
            "can_delete": obj.user_can(request.user, DELETE),
            "history": history(obj)[:200],
            "object_model": meta.model_name,
            "list_url": _url_or_none(f"{meta.app_label}:{meta.model_name}_list"),
            "list_label": meta.verbose_name_plural.capitalize(),
            "edit_url": _url_or_none(f"{meta.app_label}:{meta.model_name}_edit", obj.pk),
            "delete_url": _url_or_none(f"{meta.app_label}:{meta.model_name}_delete", obj.pk),
            **self.extra_context(request, obj),
        }
        return render(request, self.template_name, context)


class ObjectEditView(View):
    """Create (no pk) or update (pk) through ``save``: (ctx, obj or None, cleaned_data) -> obj."""

    model: type[models.Model]
    form_class = None
    template_name = "core/object_edit.html"
    save: Callable | None = None
    # The domain's use cases, when it has them: (ctx, data) -> obj and (ctx, obj, data) -> obj.
    create_with: Callable | None = None
    update_with: Callable | None = None

    def get_object(self, request, pk):
        if pk is None:
            if not self.model.user_can_add(request.user):
                raise PermissionDenied(f"You may not create {self.model._meta.verbose_name_plural}.")
            return None
        return get_restricted(self.model, request.user, CHANGE, pk=pk)

    def get_initial(self, request) -> dict:
        return {k: v for k, v in request.GET.items() if k in self.form_class.base_fields}

    def form(self, request, obj, data=None):
        return self.form_class(
            data, instance=obj, initial=None if data else self.get_initial(request), user=request.user
        )

    def default_return(self, obj) -> str:
        return obj.get_absolute_url()

    def persist(self, ctx: ChangeContext, obj, data: dict):
        if self.save is not None:
            return type(self).save(ctx, obj, data)
        if obj is None:
            create = type(self).create_with
            return create(ctx, data) if create else services.create(ctx, self.model, data)
        update = type(self).update_with
        return update(ctx, obj, data) if update else services.update(ctx, obj, data)

    def render_form(self, request, obj, form):
        return render(
            request,
            self.template_name,
            {
                "object": obj,
                "form": form,
                "model_name": self.model._meta.verbose_name,
                "next": safe_next(request, ""),
            },
        )

    def get(self, request, pk=None):
        obj = self.get_object(request, pk)
        return self.render_form(request, obj, self.form(request, obj))

    def post(self, request, pk=None):
        obj = self.get_object(request, pk)
        form = self.form(request, obj, request.POST)
        if form.is_valid():
            try:
                # The form validated a working copy; the service gets a fresh instance so that
                # its audit row sees the true "before" values.
                fresh = self.get_object(request, pk)
                saved = self.persist(ChangeContext.from_request(request), fresh, form.cleaned_for_service())
            except ValidationError as exc:
                apply_form_errors(form, exc)
            else:
                verb = "Created" if obj is None else "Saved"
                messages.success(request, f"{verb} {saved}.")
                return HttpResponseRedirect(safe_next(request, self.default_return(saved)))
        return self.render_form(request, obj, form)


class ObjectDeleteView(View):
    model: type[models.Model]
    template_name = "core/object_delete.html"
    remove: Callable | None = None

    def get_object(self, request, pk):
        return get_restricted(self.model, request.user, DELETE, pk=pk)

    def return_url(self, obj) -> str:
        meta = self.model._meta
        return reverse(f"{meta.app_label}:{meta.model_name}_list")

    def get(self, request, pk):
        obj = self.get_object(request, pk)
        return render(
            request, self.template_name, {"object": obj, "next": safe_next(request, self.return_url(obj))}
        )

    def post(self, request, pk):
        obj = self.get_object(request, pk)
        target = safe_next(request, self.return_url(obj))
        label = str(obj)
        try:
            if self.remove is not None:
                type(self).remove(ChangeContext.from_request(request), obj)
            else:
                services.delete(ChangeContext.from_request(request), obj)
        except (ValidationError, models.ProtectedError) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else _protected_message(exc)
            messages.error(request, f"{label} was not deleted: {text}")
            return HttpResponseRedirect(target)
        messages.success(request, f"Deleted {label}. The audit log keeps its last values.")
        return HttpResponseRedirect(target)


def _protected_message(exc: models.ProtectedError) -> str:
    blockers = list(exc.protected_objects)[:5]
    return "it is still used by " + ", ".join(str(b) for b in blockers) + "."
