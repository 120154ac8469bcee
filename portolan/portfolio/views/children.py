"""What hangs off an initiative: dependencies, milestones, RACI, status updates, links, effort.

Each is edited from the initiative's page and returns there.
"""

from django.core.exceptions import PermissionDenied

from portolan.core.roles import ADD, NONE, grant
from portolan.core.views import generic
from portolan.portfolio import forms, services
from portolan.portfolio.models import (
    Dependency,
    Effort,
    Milestone,
    ObjectiveLink,
    RaciAssignment,
    StatusUpdate,
)


class ChildEditView(generic.ObjectEditView):
    """Edit pages of initiative children: back to the initiative's tab when done."""

    tab = "overview"
    parent_field = "initiative"

    def get_object(self, request, pk):
        if pk is None and grant(request.user, ADD) == NONE:
            raise PermissionDenied("You may not add to initiatives.")
        return super().get_object(request, pk)

    def default_return(self, obj) -> str:
        parent = getattr(obj, self.parent_field)
        return f"{parent.get_absolute_url()}?tab={self.tab}"


class ChildDeleteView(generic.ObjectDeleteView):
    tab = "overview"
    parent_field = "initiative"

    def return_url(self, obj) -> str:
        return f"{getattr(obj, self.parent_field).get_absolute_url()}?tab={self.tab}"


class DependencyEditView(ChildEditView):
    model = Dependency
    form_class = forms.DependencyForm
    create_with = services.add_dependency
    update_with = services.update_dependency
    tab = "dependencies"
    parent_field = "successor"


class DependencyDeleteView(ChildDeleteView):
    model = Dependency
    tab = "dependencies"
    parent_field = "successor"


class MilestoneEditView(ChildEditView):
    model = Milestone
    form_class = forms.MilestoneForm
    tab = "milestones"


class MilestoneDeleteView(ChildDeleteView):
    model = Milestone
    tab = "milestones"


def _add_status(ctx, obj, data):
    initiative = data.pop("initiative")
    return services.add_status_update(ctx, initiative, data)


class StatusUpdateAddView(ChildEditView):
    """Status updates are append-only: there is an add page and no edit or delete."""

    model = StatusUpdate
    form_class = forms.StatusUpdateForm
    save = _add_status
    tab = "status"


class RaciEditView(ChildEditView):
    model = RaciAssignment
    form_class = forms.RaciForm
    create_with = services.set_raci
    update_with = services.update_raci
    tab = "raci"


class RaciDeleteView(ChildDeleteView):
    model = RaciAssignment
    remove = services.remove_raci
    tab = "raci"


class ObjectiveLinkEditView(ChildEditView):
    model = ObjectiveLink
    form_class = forms.ObjectiveLinkForm


class ObjectiveLinkDeleteView(ChildDeleteView):
    model = ObjectiveLink


class EffortEditView(ChildEditView):
    model = Effort
    form_class = forms.EffortForm


class EffortDeleteView(ChildDeleteView):
    model = Effort
