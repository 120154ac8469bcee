"""Team dashboards and the milestone drill-down behind the executive dashboard."""

import datetime as dt

from django.db.models import F, Q
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from portolan.core.views.generic import get_restricted, paginate
from portolan.kpis import dashboard
from portolan.portfolio.models import Initiative, Milestone, Team


class TeamDashboardView(View):
    def get(self, request, pk):
        team = get_restricted(Team, request.user, "view", pk=pk)
        context = dashboard.team(request.user, team, timezone.localdate())
        return render(request, "kpis/team_dashboard.html", context)


MILESTONE_VIEWS = {
    "due": "Due in the next 30 days",
    "overdue": "Overdue (planned date passed, not achieved)",
    "slipped": "Slipped (later than baseline, or overdue)",
}


class MilestoneDrilldownView(View):
    """The milestones behind the dashboard's figures (due soon, overdue, slipped)."""

    def get(self, request):
        today = timezone.localdate()
        view = request.GET.get("view", "due")
        if view not in MILESTONE_VIEWS:
            view = "due"
        visible = Initiative.objects.restrict(request.user).exclude(stage=Initiative.Stage.CANCELLED)
        rows = Milestone.objects.filter(
            initiative__in=visible, status=Milestone.Status.PLANNED
        ).select_related("initiative", "initiative__team")
        if view == "due":
            rows = rows.filter(planned_date__gte=today, planned_date__lte=today + dt.timedelta(days=30))
        elif view == "overdue":
            rows = rows.filter(planned_date__lt=today)
        else:
            rows = rows.filter(
                Q(planned_date__lt=today)
                | Q(baseline_date__isnull=False, planned_date__gt=F("baseline_date"))
            )
        page, per_page = paginate(request, rows.order_by("planned_date", "pk"))
        context = {"page": page, "per_page": per_page, "view": view, "views": MILESTONE_VIEWS, "today": today}
        return render(request, "kpis/milestones.html", context)
