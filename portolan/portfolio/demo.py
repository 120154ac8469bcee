"""A deterministic, realistic infrastructure portfolio for demos and tests.

Portfolio objects are written through the services (so the audit trail is complete),
from a seeded random generator: the same ``as_of`` date gives the same portfolio. The
demo accounts themselves are set up directly (they are fixtures, not portfolio data).
"""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from portolan.core import services as core
from portolan.core.audit import ChangeContext
from portolan.core.models import AuditEntry, Profile
from portolan.core.roles import Role
from portolan.portfolio import services
from portolan.portfolio.models import (
    Dependency,
    Effort,
    Initiative,
    Milestone,
    Objective,
    ObjectiveLink,
    Service,
    Team,
)

DEMO_PASSWORD = "portolan-demo"  # noqa: S105 - documented demo accounts, local only

USERS = [
    ("admin", "Ada", "Admin", Role.ADMIN, None),
    ("pmo", "Paula", "Martin", Role.PORTFOLIO_MANAGER, None),
    ("contributor", "Chris", "Network", Role.CONTRIBUTOR, "NET"),
    ("executive", "Elena", "Director", Role.EXECUTIVE, None),
    ("viewer", "Victor", "Reader", Role.VIEWER, None),
    ("sec.lead", "Samira", "Okafor", Role.CONTRIBUTOR, "SEC"),
    ("cloud.lead", "Tom", "Lindqvist", Role.CONTRIBUTOR, "CLD"),
    ("data.lead", "Ines", "Moreau", Role.CONTRIBUTOR, "DAT"),
]

TEAMS = [
    ("NET", "Network", 180),
    ("CMP", "Compute", 160),
    ("STO", "Storage", 90),
    ("CLD", "Cloud Platform", 220),
    ("SEC", "Security", 140),
    ("DAT", "Data Platform", 120),
    ("EUS", "End-User Services", 150),
    ("SD", "Service Desk", 200),
]

THEMES = [
    ("T1", "Resilient, modern infrastructure"),
    ("T2", "Secure by default"),
    ("T3", "Efficient operations"),
]
OBJECTIVES = [
    ("O1", "Exit the legacy datacenter by 2028", "T1", 3),
    ("O2", "Cloud-first platform for new workloads", "T1", 2),
    ("O3", "Zero-trust access for every user and service", "T2", 3),
    ("O4", "Cut mean time to restore by half", "T3", 2),
    ("O5", "Automate 60% of service requests", "T3", 1),
    ("O6", "Reduce run cost per workload by 20%", "T3", 2),
]

SERVICES = [
    ("WAN", "Wide-area network", "technical", "NET", 4),
    ("LAN", "Campus LAN & Wi-Fi", "technical", "NET", 3),
    ("VIRT", "Virtualisation platform", "platform", "CMP", 4),
    ("BKP", "Backup & restore", "technical", "STO", 4),
    ("SAN", "Block storage", "platform", "STO", 3),
    ("K8S", "Container platform", "platform", "CLD", 3),
    ("IAM", "Identity & access", "technical", "SEC", 4),
    ("SIEM", "Security monitoring", "technical", "SEC", 3),
    ("DWH", "Data warehouse", "platform", "DAT", 3),
    ("M365", "Workplace & collaboration", "business", "EUS", 3),
    ("ITSM", "IT service management", "business", "SD", 3),
]

# (key, title, kind, team, program key or None, objectives)
PROGRAMS = [
    ("DCX", "Datacenter exit", "CMP", ["O1", "O6"]),
    ("ZTP", "Zero-trust programme", "SEC", ["O3"]),
    ("CLP", "Cloud platform", "CLD", ["O2"]),
    ("OPX", "Operations excellence", "SD", ["O4", "O5"]),
    ("NWM", "Network modernisation", "NET", ["O1"]),
    ("DAP", "Data platform renewal", "DAT", ["O2", "O6"]),
]
PROJECTS = [
    ("DCX", "Application discovery and wave planning", "CMP"),
    ("DCX", "Migrate wave 1 (non-critical)", "CMP"),
    ("DCX", "Migrate wave 2 (business-critical)", "CMP"),
    ("DCX", "Decommission legacy halls", "CMP"),
    ("DCX", "Storage array refresh for migration", "STO"),
    ("DCX", "Backup platform consolidation", "STO"),
    ("ZTP", "Privileged access management", "SEC"),
    ("ZTP", "MFA for all workforce accounts", "SEC"),
    ("ZTP", "Network micro-segmentation", "NET"),
    ("ZTP", "Device posture and conditional access", "EUS"),
    ("ZTP", "SIEM migration to cloud", "SEC"),
    ("CLP", "Landing zone and guardrails", "CLD"),
    ("CLP", "Kubernetes platform GA", "CLD"),
    ("CLP", "FinOps tagging and showback", "CLD"),
    ("CLP", "Cloud connectivity (dual region)", "NET"),
    ("CLP", "Infrastructure as code pipeline", "CLD"),
    ("OPX", "ITSM platform upgrade", "SD"),
    ("OPX", "Self-service catalogue automation", "SD"),
    ("OPX", "AIOps event correlation", "CMP"),
    ("OPX", "Major-incident process redesign", "SD"),
    ("OPX", "Knowledge base for L1", "SD"),
    ("NWM", "SD-WAN rollout", "NET"),
    ("NWM", "Campus Wi-Fi 6E refresh", "NET"),
    ("NWM", "DNS/DHCP/IPAM consolidation", "NET"),
    ("NWM", "Internet edge redesign", "NET"),
    ("DAP", "Data lakehouse foundation", "DAT"),
    ("DAP", "Warehouse migration", "DAT"),
    ("DAP", "Data catalogue and lineage", "DAT"),
    ("DAP", "Backup of analytical data", "STO"),
    ("DCX", "Mainframe workload assessment", "CMP"),
    ("CLP", "Managed database service", "CLD"),
    ("ZTP", "Certificate lifecycle automation", "SEC"),
    ("NWM", "Network automation (NetDevOps)", "NET"),
    ("EUS", "Windows 11 migration", "EUS"),
    ("EUS", "VDI platform renewal", "EUS"),
]
RUNS = [
    ("Patch management", "CMP"),
    ("Backup operations", "STO"),
    ("Vulnerability management", "SEC"),
    ("Network operations", "NET"),
    ("Service desk L1/L2", "SD"),
    ("Cloud operations", "CLD"),
    ("Endpoint lifecycle", "EUS"),
    ("Capacity management", "CMP"),
]
IMPROVEMENTS = [
    ("Reduce incident reassignments", "SD", ["O4"]),
    ("Shift-left: L1 resolution", "SD", ["O4", "O5"]),
    ("Automated change risk scoring", "CMP", ["O4"]),
    ("Standard changes for firewall rules", "NET", ["O5"]),
    ("Right-size idle VMs", "CMP", ["O6"]),
    ("Backup success alerting", "STO", ["O4"]),
    ("Password reset self-service", "EUS", ["O5"]),
    ("Faster access request approvals", "SEC", ["O5"]),
    ("Cloud cost anomaly alerts", "CLD", ["O6"]),
    ("Runbook automation for top 10 alerts", "CMP", ["O4"]),
    ("Data quality monitoring", "DAT", []),
]

NARRATIVES = {
    "green": [
        "On track; next milestone confirmed.",
        "Progress as planned, no escalation.",
        "Delivered the sprint goals.",
    ],
    "amber": [
        "Vendor delivery slipped two weeks; mitigation in place.",
        "Key engineer shared with run work; watching capacity.",
        "Scope clarification pending with the business.",
    ],
    "red": [
        "Blocked by security review; escalated to the steering committee.",
        "Budget overrun forecast at 18%; change request raised.",
        "Critical dependency late; milestone at risk.",
    ],
}


def _month(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + year, month + 1, 1)


@transaction.atomic
def load_demo(as_of: dt.date | None = None, seed: int = 2026) -> dict[str, int]:
    """Load the demo portfolio into an empty database; returns what was created."""
    if Initiative.objects.exists():
        raise ValueError(
            "The database already holds initiatives; the demo loads only into an empty portfolio."
        )
    as_of = as_of or dt.date.today()
    rng = random.Random(seed)
    ctx = ChangeContext(user=None, source=AuditEntry.Source.CLI, reason="demo portfolio")
    User = get_user_model()

    teams = {
        code: core.create(ctx, Team, {"code": code, "name": name, "capacity_pd_per_month": Decimal(cap)})
        for code, name, cap in TEAMS
    }
    users = {}
    for username, first, last, role, team in USERS:
        user = User.objects.filter(username=username).first() or User(username=username)
        user.first_name, user.last_name = first, last
        user.email = f"{username}@example.org"
        user.is_superuser = user.is_staff = role == Role.ADMIN
        user.set_password(DEMO_PASSWORD)
        user.save()
        Profile.objects.update_or_create(user=user, defaults={"role": role})
        if team:
            teams[team].members.add(user)
            if teams[team].lead_id is None:
                core.update(ctx, teams[team], {"lead": user})
        users[username] = user
    team_owner = {"NET": "contributor", "SEC": "sec.lead", "CLD": "cloud.lead", "DAT": "data.lead"}

    objectives = {}
    for code, name in THEMES:
        objectives[code] = core.create(ctx, Objective, {"code": code, "name": name, "weight": Decimal(1)})
    for code, name, theme, weight in OBJECTIVES:
        objectives[code] = core.create(
            ctx,
            Objective,
            {"code": code, "name": name, "parent": objectives[theme], "weight": Decimal(weight)},
        )
    objectives["O7"] = core.create(
        ctx,
        Objective,
        {"code": "O7", "name": "Sustainable IT: cut energy use by 15%", "parent": objectives["T3"]},
    )
    services_by_team: dict[str, list[Service]] = {}
    for code, name, kind, team, crit in SERVICES:
        svc = core.create(
            ctx,
            Service,
            {"code": code, "name": name, "kind": kind, "owner_team": teams[team], "criticality": crit},
        )
        services_by_team.setdefault(team, []).append(svc)

    def owner_for(team: str):
        return users.get(team_owner.get(team, "pmo"))

    created: list[Initiative] = []

    def add(key, title, kind, team, parent=None, objective_codes=(), start_offset=0, months=6):
        start = _month(as_of, start_offset)
        finish = _month(start, months) - dt.timedelta(days=1)
        stage = _stage_for(start, finish, as_of, kind, rng)
        capex = Decimal(rng.randrange(50, 1500) * 1000) if kind in ("project", "program") else Decimal(0)
        opex = Decimal(rng.randrange(20, 400) * 1000)
        spent = (capex + opex) * Decimal(rng.uniform(0.0, 0.9) if stage == "in_progress" else 0)
        data = {
            "key": key,
            "title": title,
            "kind": kind,
            "team": teams[team],
            "owner": owner_for(team),
            "parent": parent,
            "stage": stage,
            "planned_start": start,
            "planned_finish": finish,
            "baseline_start": start,
            "baseline_finish": finish - dt.timedelta(days=rng.choice([0, 0, 0, 14, 30, 45])),
            "actual_start": start if stage in ("in_progress", "done") else None,
            "actual_finish": finish if stage == "done" else None,
            "budget_capex": capex,
            "budget_opex": opex,
            "forecast_cost": ((capex + opex) * Decimal(rng.uniform(0.9, 1.25))).quantize(Decimal("1")),
            "actual_cost": spent.quantize(Decimal("1")),
            "progress": 100 if stage == "done" else (rng.randrange(5, 90) if stage == "in_progress" else 0),
            "description": f"{title}: part of the infrastructure transformation.",
            "tags": [
                t for t in (kind, team.lower(), rng.choice(["2026", "2027", "regulatory", "cost"])) if t
            ],
            "services": services_by_team.get(team, [])[:1],
        }
        initiative = services.create_initiative(ctx, data)
        for code in objective_codes:
            core.create(ctx, ObjectiveLink, {"initiative": initiative, "objective": objectives[code]})
        created.append(initiative)
        return initiative

    programs = {}
    for i, (key, title, team, objs) in enumerate(PROGRAMS):
        programs[key] = add(
            f"PRG-{i + 1:02d}", title, "program", team, None, objs, start_offset=-8 + i, months=24
        )
    for i, (program, title, team) in enumerate(PROJECTS):
        parent = programs.get(program)
        objs = next((p[3] for p in PROGRAMS if p[0] == program), ["O1"])
        add(
            f"INF-{i + 1:03d}",
            title,
            "project",
            team,
            parent,
            objs[:1],
            start_offset=rng.randrange(-9, 14),
            months=rng.randrange(3, 13),
        )
    for i, (title, team) in enumerate(RUNS):
        add(
            f"RUN-{i + 1:02d}", title, "run", team, None, ["O4"] if i % 2 else [], start_offset=-12, months=36
        )
    for i, (title, team, objs) in enumerate(IMPROVEMENTS):
        add(
            f"IMP-{i + 1:02d}",
            title,
            "improvement",
            team,
            None,
            objs,
            start_offset=rng.randrange(-4, 8),
            months=rng.randrange(2, 6),
        )

    projects = [c for c in created if c.kind == "project"]
    _add_dependencies(ctx, projects, rng)
    _add_efforts(ctx, created, teams, rng)
    _add_milestones(ctx, created, as_of, rng)
    _add_status_history(ctx, created, users, as_of, rng)
    _add_raci(ctx, created, teams, users, rng)
    from portolan.kpis.demo import load_kpis
    from portolan.planning.demo import load_planning_demo
    from portolan.risks.demo import load_risks

    return {
        "teams": len(teams),
        "objectives": Objective.objects.count(),
        "initiatives": len(created),
        "dependencies": Dependency.objects.count(),
        "milestones": Milestone.objects.count(),
        "users": len(users),
        **load_kpis(ctx, as_of, seed),
        **load_risks(ctx, as_of, seed),
        **load_planning_demo(ctx, as_of, seed),
    }


def _stage_for(start: dt.date, finish: dt.date, as_of: dt.date, kind: str, rng: random.Random) -> str:
    if kind == "run":
        return "in_progress"
    if finish < as_of:
        return rng.choice(["done", "done", "done", "in_progress"])
    if start <= as_of:
        return rng.choice(["in_progress", "in_progress", "in_progress", "on_hold"])
    return rng.choice(["idea", "assessment", "approved", "approved"])


def _add_dependencies(ctx, projects, rng):
    by_start = sorted(projects, key=lambda p: (p.planned_start, p.key))
    pairs = set()
    for i, succ in enumerate(by_start[1:], start=1):
        for _ in range(rng.choice([0, 1, 1, 2])):
            pred = by_start[rng.randrange(0, i)]
            if (pred.pk, succ.pk) in pairs:
                continue
            pairs.add((pred.pk, succ.pk))
            services.add_dependency(
                ctx,
                {
                    "predecessor": pred,
                    "successor": succ,
                    "type": rng.choice(["FS", "FS", "FS", "SS", "FF"]),
                    "lag_days": rng.choice([0, 0, 7, 14]),
                    "hard": rng.random() < 0.8,
                },
            )


def _add_efforts(ctx, initiatives, teams, rng):
    codes = list(teams)
    for initiative in initiatives:
        if initiative.kind == "program" or initiative.key == "IMP-11":
            continue  # programs roll up their projects; one improvement is left unestimated on purpose
        helpers = {initiative.team.code, *rng.sample(codes, rng.choice([0, 1, 2]))}
        for code in sorted(helpers):
            core.create(
                ctx,
                Effort,
                {
                    "initiative": initiative,
                    "team": teams[code],
                    "person_days": Decimal(rng.randrange(10, 240)),
                },
            )


def _add_milestones(ctx, initiatives, as_of, rng):
    for initiative in initiatives:
        if initiative.kind == "run":
            continue
        start, finish = initiative.planned_start, initiative.planned_finish
        span = (finish - start).days
        for j, name in enumerate(("Design approved", "Build complete", "Go-live")):
            planned = start + dt.timedelta(days=span * (j + 1) // 3)
            baseline = planned - dt.timedelta(days=rng.choice([0, 0, 0, 7, 21]))
            achieved = planned < as_of and initiative.stage in ("in_progress", "done") and rng.random() < 0.85
            core.create(
                ctx,
                Milestone,
                {
                    "initiative": initiative,
                    "name": name,
                    "planned_date": planned,
                    "baseline_date": baseline,
                    "actual_date": planned if achieved else None,
                    "status": "achieved" if achieved else "planned",
                    "key_milestone": name == "Go-live" and initiative.kind == "project",
                },
            )


def _add_status_history(ctx, initiatives, users, as_of, rng):
    for initiative in initiatives:
        if initiative.stage not in ("in_progress", "on_hold", "done"):
            continue
        health = rng.choice(["green", "green", "green", "amber", "amber", "red"])
        for months_back in range(5, -1, -1):
            date = _month(as_of, -months_back) + dt.timedelta(days=rng.randrange(0, 5))
            date = min(date, as_of)
            if rng.random() < 0.3:
                health = rng.choice(["green", "amber", "red"])
            services.add_status_update(
                ChangeContext(
                    user=initiative.owner, source=ctx.source, request_id=ctx.request_id, reason=ctx.reason
                ),
                initiative,
                {
                    "date": date,
                    "overall": health,
                    "schedule": health,
                    "cost": rng.choice(["green", health]),
                    "scope": "green",
                    "narrative": rng.choice(NARRATIVES[health]),
                },
            )


def _add_raci(ctx, initiatives, teams, users, rng):
    pmo = users["pmo"]
    for initiative in initiatives:
        services.set_raci(ctx, {"initiative": initiative, "role": "R", "team": initiative.team})
        if initiative.owner_id != pmo.pk:
            services.set_raci(ctx, {"initiative": initiative, "role": "C", "user": pmo})
        if rng.random() < 0.5:
            services.set_raci(ctx, {"initiative": initiative, "role": "I", "user": users["executive"]})
        if rng.random() < 0.3:
            other = teams[rng.choice(sorted(teams))]
            if other != initiative.team:
                services.set_raci(ctx, {"initiative": initiative, "role": "C", "team": other})
