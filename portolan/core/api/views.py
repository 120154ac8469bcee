"""The base viewset: restricted querysets and writes through the services (audited)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import exceptions, viewsets

from portolan.core import services
from portolan.core.audit import ChangeContext
from portolan.core.models import AuditEntry
from portolan.core.roles import CHANGE, DELETE, VIEW


def as_drf_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(
            {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}
        )
    return exceptions.ValidationError({"non_field_errors": exc.messages})


class PortolanViewSet(viewsets.ModelViewSet):
    """CRUD where reads use ``restrict(user, view)`` and writes ``restrict(user, change|delete)``.

    An object the user may see but not change answers 403; one they cannot see, 404.
    """

    base_queryset: models.QuerySet

    def get_queryset(self):
        return self.base_queryset.restrict(self.request.user, VIEW)

    def check_permissions(self, request):
        super().check_permissions(request)
        model = self.base_queryset.model
        if request.method == "POST" and not model.user_can_add(request.user):
            self.permission_denied(request, message=f"You may not create {model._meta.verbose_name_plural}.")

    def get_object(self):
        obj = super().get_object()
        action = {"PUT": CHANGE, "PATCH": CHANGE, "DELETE": DELETE}.get(self.request.method)
        if action and not obj.user_can(self.request.user, action):
            raise exceptions.PermissionDenied(f"You may not {action} {obj}.")
        return obj

    def context(self) -> ChangeContext:
        return ChangeContext.from_request(self.request, source=AuditEntry.Source.API)

    # Service hooks, overridden where a domain use case exists.
    def create_object(self, ctx, data):
        return services.create(ctx, self.base_queryset.model, data)

    def update_object(self, ctx, obj, data):
        return services.update(ctx, obj, data)

    def delete_object(self, ctx, obj):
        services.delete(ctx, obj)

    def _guard(self, call, *args):
        try:
            return call(*args)
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from None
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        except models.ProtectedError as exc:
            names = ", ".join(str(o) for o in list(exc.protected_objects)[:5])
            raise exceptions.ValidationError({"non_field_errors": [f"Still used by {names}."]}) from None

    def perform_create(self, serializer):
        serializer.instance = self._guard(self.create_object, self.context(), dict(serializer.validated_data))

    def perform_update(self, serializer):
        fresh = type(serializer.instance).objects.get(pk=serializer.instance.pk)
        serializer.instance = self._guard(
            self.update_object, self.context(), fresh, dict(serializer.validated_data)
        )

    def perform_destroy(self, instance):
        self._guard(self.delete_object, self.context(), instance)
