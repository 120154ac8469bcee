"""Synthetic load data: a large, deterministic portfolio written with plain ``bulk_create``.

Used by the query-budget tests and ``benchmarks/web.py`` only. It deliberately bypasses
the audited services (``portolan.portfolio.services``): it generates throw-away synthetic
data to measure the pages, not business changes, so it writes no audit rows and runs no
per-object validation. Never use it to load real data (use the importer or the services).

The same arguments always give the same portfolio. Dependencies point from an earlier to a
later initiative of one fixed random order, so the dependency graph is acyclic.
"""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from portolan.core.models import Profile
from portolan.core.roles import Role
from portolan.portfolio.models import (
    RAG,
    Dependency,
    Effort,
    Initiative,
    Milestone,
    Objective,
    ObjectiveLink,
    RaciAssignment,
    Tag,
    Team,
)

BATCH = 500
STAGES = [s for s, _ in Initiative.Stage.choices]
HEALTH = ["", RAG.GREEN, RAG.GREEN, RAG.GREEN, RAG.AMBER, RAG.RED]
NON_PROGRAM_KINDS = [Initiative.Kind.PROJECT] * 8 + [Initiative.Kind.RUN, Initiative.Kind.IMPROVEMENT]


@transaction.atomic
def generate(
    initiatives: int = 5000,
    dependencies: int = 10000,
    *,
    seed: int = 7,
    prefix: str = "SCL",
    teams: int = 20,
    objectives: int = 12,
    users: int = 40,
    window: int = 300,
) -> dict[str, int]:
    """Create ``initiatives`` initiatives (1 in 50 a program) and ``dependencies`` dependencies.

    Also teams with members, objectives and links, tags, one effort, one milestone and a
    RACI (one Accountable person, one Responsible team) per initiative. ``window`` bounds
    how far apart (in the hidden topological order) the two ends of a dependency are.
    Keys, codes and usernames start with ``prefix`` so that two data sets can coexist.
    """
    if initiatives < 2 and dependencies:
        raise ValueError("Dependencies need at least two initiatives.")
    max_edges = sum(min(window, initiatives - 1 - i) for i in range(initiatives))
    if dependencies > max_edges:
        raise ValueError(
            f"At most {max_edges} dependencies fit {initiatives} initiatives with window {window}."
        )
    rng = random.Random(seed)
    low = prefix.lower()
    User = get_user_model()

    password = make_password(None)  # unusable: synthetic people cannot log in
    people = User.objects.bulk_create(
        [
            User(
                username=f"{low}.user{i:03d}",
                first_name="Synthetic",
                last_name=f"User {i}",
                password=password,
            )
            for i in range(users)
        ],
        batch_size=BATCH,
    )
    Profile.objects.bulk_create(
        [Profile(user=u, role=Role.CONTRIBUTOR if i % 4 else Role.VIEWER) for i, u in enumerate(people)],
        batch_size=BATCH,
    )
    team_rows = Team.objects.bulk_create(
        [
            Team(
                code=f"{prefix}-T{i:02d}",
                name=f"{prefix} team {i:02d}",
                capacity_pd_per_month=Decimal(100 + 10 * i),
            )
            for i in range(teams)
        ],
        batch_size=BATCH,
    )
    Team.members.through.objects.bulk_create(
        [Team.members.through(team_id=team_rows[i % teams].pk, user_id=u.pk) for i, u in enumerate(people)],
        batch_size=BATCH,
    )
    objective_rows = Objective.objects.bulk_create(
        [Objective(code=f"{prefix}-O{i:02d}", name=f"Synthetic objective {i}") for i in range(objectives)],
        batch_size=BATCH,
    )
    tag_rows = Tag.objects.bulk_create([Tag(name=f"{low}-tag{i}") for i in range(8)], batch_size=BATCH)

    # Initiatives: programs first (so projects can point at them), then the rest.
    n_programs = max(1, initiatives // 50) if initiatives >= 2 else 0
    start0 = dt.date(2026, 1, 1)
    rows = []
    for i in range(initiatives):
        is_program = i < n_programs
        kind = Initiative.Kind.PROGRAM if is_program else rng.choice(NON_PROGRAM_KINDS)
        start = start0 + dt.timedelta(days=rng.randrange(0, 3 * 365))
        finish = start + dt.timedelta(days=rng.randrange(60, 720))
        capex = Decimal(rng.randrange(0, 2000) * 1000)
        rows.append(
            Initiative(
                key=f"{prefix}-{i:05d}",
                title=f"Synthetic {kind} {i}",
                kind=kind,
                stage=rng.choice(STAGES),
                team_id=team_rows[rng.randrange(teams)].pk if teams else None,
                owner_id=people[rng.randrange(users)].pk if users else None,
                health_overall=rng.choice(HEALTH),
                planned_start=start,
                planned_finish=finish,
                baseline_start=start,
                baseline_finish=finish,
                budget_capex=capex,
                budget_opex=Decimal(rng.randrange(0, 500) * 1000),
                forecast_cost=capex,
                progress=rng.randrange(0, 101),
            )
        )
    Initiative.objects.bulk_create(rows, batch_size=BATCH)
    ids = list(
        Initiative.objects.filter(key__startswith=f"{prefix}-").order_by("key").values_list("pk", flat=True)
    )
    program_ids = ids[:n_programs]
    # Attach four in five non-programs to a program.
    parent_of = {}
    for pk, row in zip(ids[n_programs:], rows[n_programs:], strict=True):
        if program_ids and row.kind == Initiative.Kind.PROJECT and rng.random() < 0.8:
            parent_of[pk] = rng.choice(program_ids)
    by_parent: dict[int, list[int]] = {}
    for pk, parent in parent_of.items():
        by_parent.setdefault(parent, []).append(pk)
    for parent, children in by_parent.items():
        Initiative.objects.filter(pk__in=children).update(parent_id=parent)

    Tags = Initiative.tags.through
    Tags.objects.bulk_create(
        [
            Tags(initiative_id=pk, tag_id=t.pk)
            for pk in ids
            for t in rng.sample(tag_rows, rng.randrange(0, 3))
        ],
        batch_size=BATCH,
    )
    links = []
    for pk in ids:
        if objective_rows and rng.random() < 0.7:
            for objective in rng.sample(objective_rows, rng.randrange(1, 3)):
                links.append(ObjectiveLink(initiative_id=pk, objective_id=objective.pk, weight=Decimal(1)))
    ObjectiveLink.objects.bulk_create(links, batch_size=BATCH)
    if teams:
        Effort.objects.bulk_create(
            [
                Effort(
                    initiative_id=pk,
                    team_id=team_rows[rng.randrange(teams)].pk,
                    person_days=Decimal(rng.randrange(5, 400)),
                )
                for pk in ids
            ],
            batch_size=BATCH,
        )
    Milestone.objects.bulk_create(
        [
            Milestone(
                initiative_id=pk,
                name="Go-live",
                planned_date=row.planned_finish,
                baseline_date=row.baseline_finish,
                key_milestone=rng.random() < 0.1,
            )
            for pk, row in zip(ids, rows, strict=True)
        ],
        batch_size=BATCH,
    )
    raci = []
    for pk in ids:
        if users:
            raci.append(RaciAssignment(initiative_id=pk, role="A", user_id=people[rng.randrange(users)].pk))
        if teams:
            raci.append(
                RaciAssignment(initiative_id=pk, role="R", team_id=team_rows[rng.randrange(teams)].pk)
            )
    RaciAssignment.objects.bulk_create(raci, batch_size=BATCH)

    # Acyclic dependencies: edges go forward in one random order of the initiatives.
    order = ids[:]
    rng.shuffle(order)
    edges: set[tuple[int, int]] = set()
    types = [Dependency.Type.FS] * 7 + [Dependency.Type.SS, Dependency.Type.FF, Dependency.Type.SF]
    while len(edges) < dependencies:
        a = rng.randrange(initiatives - 1)
        b = a + 1 + rng.randrange(min(window, initiatives - 1 - a))
        edges.add((order[a], order[b]))
    Dependency.objects.bulk_create(
        [
            Dependency(
                predecessor_id=a,
                successor_id=b,
                type=rng.choice(types),
                lag_days=rng.choice([0, 0, 5, 10]),
                hard=rng.random() < 0.7,
            )
            for a, b in sorted(edges)
        ],
        batch_size=BATCH,
    )
    return {
        "users": users,
        "teams": teams,
        "objectives": objectives,
        "initiatives": initiatives,
        "programs": n_programs,
        "dependencies": len(edges),
        "objective_links": len(links),
        "raci": len(raci),
    }
