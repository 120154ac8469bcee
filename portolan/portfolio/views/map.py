"""The portfolio map: hierarchy, dependency graph, objective alignment, RACI matrix."""

from collections import defaultdict

from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views import View

from portolan.core.views.generic import paginate
from portolan.engine.graph import layers
from portolan.portfolio.models import Dependency, Initiative, Objective, ObjectiveLink, RaciAssignment, Team


def _visible(request):
    return Initiative.objects.restrict(request.user)


class MapHierarchyView(View):
    """Programs with their projects; initiatives without a program listed apart.

    A large portfolio (more than ``INLINE_LIMIT`` initiatives) is drawn collapsed: each
    program's projects are fetched (htmx, ``?branch=<program pk>`` or ``?branch=none``) when
    it is opened, so the page stays fast and light with thousands of initiatives.
    """

    INLINE_LIMIT = 600
    FIELDS = ("pk", "key", "title", "kind", "stage", "health_overall", "parent_id", "team__name")

    def get(self, request):
        branch = request.GET.get("branch", "")
        if request.htmx and (branch.isdigit() or branch == "none"):
            response = self.branch(request, branch)
        else:
            response = self.page(request)
        patch_vary_headers(response, ("HX-Request",))
        return response

    def page(self, request):
        rows = list(_visible(request).values(*self.FIELDS).order_by("key"))
        children = defaultdict(list)
        for row in rows:
            children[row["parent_id"]].append(row)
        programs = [r for r in rows if r["kind"] == Initiative.Kind.PROGRAM]
        for program in programs:
            program["children"] = children.get(program["pk"], [])
        unparented = [r for r in children.get(None, []) if r["kind"] != Initiative.Kind.PROGRAM]
        context = {
            "programs": programs,
            "unparented": unparented,
            "total": len(rows),
            "inline": len(rows) <= self.INLINE_LIMIT,
            "map_tab": "hierarchy",
        }
        return render(request, "portfolio/map_hierarchy.html", context)

    def branch(self, request, branch: str):
        queryset = _visible(request)
        if branch == "none":
            queryset = queryset.filter(parent__isnull=True).exclude(kind=Initiative.Kind.PROGRAM)
        else:
            queryset = queryset.filter(parent_id=int(branch))
        items = list(queryset.values(*self.FIELDS).order_by("key"))
        context = {"items": items, "show_team": branch != "none"}
        return render(request, "portfolio/map_hierarchy_branch.html", context)


class MapGraphView(View):
    """The dependency graph; the browser lays it out by layers and highlights paths."""

    def get(self, request):
        queryset = _visible(request)
        program = request.GET.get("program", "")
        team = request.GET.get("team", "")
        if program.isdigit():
            queryset = queryset.filter(parent_id=int(program)) | queryset.filter(pk=int(program))
        if team.isdigit():
            queryset = queryset.filter(team_id=int(team))
        nodes = list(queryset.values("pk", "key", "title", "kind", "health_overall", "stage"))
        ids = {n["pk"] for n in nodes}
        edges = [
            e
            for e in Dependency.objects.values("predecessor_id", "successor_id", "type", "lag_days", "hard")
            if e["predecessor_id"] in ids and e["successor_id"] in ids
        ]
        everything = request.GET.get("all") == "1"
        isolated = 0
        if not everything:
            linked = {e["predecessor_id"] for e in edges} | {e["successor_id"] for e in edges}
            selected = request.GET.get("select", "")
            keep = linked | ({int(selected)} if selected.isdigit() else set())
            isolated = len(nodes) - len([n for n in nodes if n["pk"] in keep])
            nodes = [n for n in nodes if n["pk"] in keep]
        layer = layers([n["pk"] for n in nodes], [(e["predecessor_id"], e["successor_id"]) for e in edges])
        detail = reverse("portfolio:initiative_detail", args=[0])[:-2]
        for node in nodes:
            node["layer"] = layer.get(node["pk"], 0)
            node["url"] = f"{detail}{node['pk']}/"
        graph = {
            "nodes": nodes,
            "edges": [
                {
                    "from": e["predecessor_id"],
                    "to": e["successor_id"],
                    "type": e["type"],
                    "lag": e["lag_days"],
                    "hard": e["hard"],
                }
                for e in edges
            ],
        }
        programs = (
            Initiative.objects.restrict(request.user)
            .filter(kind=Initiative.Kind.PROGRAM)
            .values("pk", "key", "title")
        )
        context = {
            "graph": graph,
            "map_tab": "graph",
            "programs": programs,
            "teams": Team.objects.values("pk", "name"),
            "program": program,
            "team": team,
            "selected": request.GET.get("select", ""),
            "everything": everything,
            "isolated": isolated,
        }
        return render(request, "portfolio/map_graph.html", context)


class MapAlignmentView(View):
    """Objectives × initiatives: which initiative serves which objective, and the gaps."""

    def get(self, request):
        objectives = list(Objective.objects.annotate(n=Count("initiative_links")).order_by("code"))
        initiatives = _visible(request).exclude(stage__in=["cancelled"]).order_by("key")
        only = request.GET.get("only", "")
        links = defaultdict(dict)
        for link in ObjectiveLink.objects.values("initiative_id", "objective_id", "weight"):
            links[link["initiative_id"]][link["objective_id"]] = link["weight"]
        unaligned_ids = [pk for pk in initiatives.values_list("pk", flat=True) if pk not in links]
        if only == "unaligned":
            initiatives = initiatives.filter(pk__in=unaligned_ids)
        page, per_page = paginate(request, initiatives.values("pk", "key", "title", "kind"))
        rows = [
            {**row, "cells": [links[row["pk"]].get(o.pk) for o in objectives], "aligned": row["pk"] in links}
            for row in page.object_list
        ]
        context = {
            "objectives": objectives,
            "rows": rows,
            "page": page,
            "per_page": per_page,
            "unserved": [o for o in objectives if o.n == 0],
            "unaligned_count": len(unaligned_ids),
            "only": only,
            "map_tab": "alignment",
        }
        return render(request, "portfolio/map_alignment.html", context)


class MapRaciView(View):
    """People and teams × initiatives, one page of initiatives at a time."""

    def get(self, request):
        initiatives = _visible(request).exclude(stage="cancelled").order_by("key")
        page, per_page = paginate(request, initiatives.values("pk", "key", "title"))
        ids = [row["pk"] for row in page.object_list]
        assignments = RaciAssignment.objects.filter(initiative_id__in=ids).select_related("user", "team")
        parties: dict[str, dict] = {}
        for a in assignments:
            label = a.party
            key = f"u{a.user_id}" if a.user_id else f"t{a.team_id}"
            party = parties.setdefault(
                key, {"label": label, "kind": "person" if a.user_id else "team", "cells": {}}
            )
            party["cells"][a.initiative_id] = party["cells"].get(a.initiative_id, "") + a.role
        rows = sorted(parties.values(), key=lambda p: (p["kind"], p["label"].lower()))
        for row in rows:
            row["line"] = [row["cells"].get(pk, "") for pk in ids]
        missing_a = [
            row
            for row in page.object_list
            if not any(a.initiative_id == row["pk"] and a.role == "A" for a in assignments)
        ]
        context = {
            "columns": page.object_list,
            "rows": rows,
            "page": page,
            "per_page": per_page,
            "missing_accountable": missing_a,
            "map_tab": "raci",
        }
        return render(request, "portfolio/map_raci.html", context)
