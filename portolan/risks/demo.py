"""Demo risks: ~30 risks with causes and effects, score history, mitigation actions, three-point
estimates and a stored schedule-risk simulation. Deterministic; written through the services."""

import datetime as dt
import random

from django.contrib.auth import get_user_model

from portolan.core.audit import ChangeContext
from portolan.portfolio.models import Initiative, Objective, Team
from portolan.risks import services
from portolan.risks.models import DurationEstimate, MitigationAction, Risk, RiskScoreChange

# (title, category, team, program key or None, cause, event, effect, schedule delay days or None)
RISKS = [
    (
        "Key migration engineers leave",
        "organizational",
        "CMP",
        "DCX",
        "A tight labour market for cloud skills",
        "two senior engineers resign mid-wave",
        "wave 2 stalls while replacements ramp up",
        (10, 25, 60),
    ),
    (
        "Application owners unavailable for testing",
        "organizational",
        "CMP",
        "DCX",
        "business peak periods",
        "owners cannot test migrated applications",
        "cut-over dates move",
        (7, 14, 40),
    ),
    (
        "Legacy storage array fails before migration",
        "technical",
        "STO",
        "DCX",
        "end-of-support hardware",
        "a controller fails",
        "outage of hosted applications and emergency migration",
        (5, 10, 30),
    ),
    (
        "Undocumented application dependencies",
        "technical",
        "CMP",
        "DCX",
        "no CMDB for legacy systems",
        "hidden dependencies break after a move",
        "rollbacks and rework",
        (5, 15, 45),
    ),
    (
        "Datacenter lease extension refused",
        "financial",
        "CMP",
        "DCX",
        "the landlord's redevelopment plan",
        "the lease is not extended past 2028",
        "forced exit on a fixed date",
        None,
    ),
    (
        "MFA rollout resisted by users",
        "organizational",
        "SEC",
        "ZTP",
        "change fatigue",
        "users avoid enrolling",
        "coverage target missed",
        (7, 20, 45),
    ),
    (
        "Privileged accounts compromised",
        "security",
        "SEC",
        "ZTP",
        "shared admin passwords",
        "an attacker uses a privileged account",
        "major security incident",
        None,
    ),
    (
        "SIEM ingestion costs overrun",
        "financial",
        "SEC",
        "ZTP",
        "log volume growth",
        "ingestion exceeds the licence",
        "budget overrun or blind spots",
        None,
    ),
    (
        "Micro-segmentation breaks legacy apps",
        "technical",
        "NET",
        "ZTP",
        "unknown east-west flows",
        "rules block production traffic",
        "outages and rule roll-backs",
        (10, 20, 50),
    ),
    (
        "Audit finding on access reviews",
        "compliance",
        "SEC",
        "ZTP",
        "manual quarterly reviews",
        "the auditor finds stale access",
        "regulatory finding and remediation plan",
        None,
    ),
    (
        "Cloud landing zone guardrails too strict",
        "technical",
        "CLD",
        "CLP",
        "security-first defaults",
        "teams cannot deploy",
        "shadow IT and delays",
        (5, 10, 25),
    ),
    (
        "Cloud spend exceeds forecast",
        "financial",
        "CLD",
        "CLP",
        "no tagging discipline",
        "monthly spend is 30 % over",
        "budget overrun",
        None,
    ),
    (
        "Kubernetes skills gap",
        "organizational",
        "CLD",
        "CLP",
        "new platform",
        "few engineers can operate the cluster",
        "slow adoption and incidents",
        (10, 20, 40),
    ),
    (
        "Dual-region connectivity delayed by carrier",
        "operational",
        "NET",
        "CLP",
        "carrier lead times",
        "circuits delivered late",
        "no resilience for the cloud platform",
        (14, 30, 75),
    ),
    (
        "Data residency requirements change",
        "compliance",
        "CLD",
        "CLP",
        "new regulation",
        "some data must stay on premises",
        "architecture rework",
        None,
    ),
    (
        "ITSM upgrade breaks integrations",
        "technical",
        "SD",
        "OPX",
        "custom integrations",
        "integrations fail after the upgrade",
        "manual work and SLA breaches",
        (7, 14, 30),
    ),
    (
        "Automation scripts unmaintained",
        "operational",
        "SD",
        "OPX",
        "no ownership of scripts",
        "automations fail silently",
        "tickets pile up",
        None,
    ),
    (
        "Major incident process not adopted",
        "organizational",
        "SD",
        "OPX",
        "unclear roles",
        "the old process is still used",
        "longer restore times",
        None,
    ),
    (
        "AIOps false positives",
        "technical",
        "CMP",
        "OPX",
        "noisy monitoring",
        "correlation suppresses real alerts",
        "missed incidents",
        None,
    ),
    (
        "SD-WAN hardware shortage",
        "operational",
        "NET",
        "NWM",
        "supply-chain constraints",
        "appliances arrive late",
        "site rollouts slip",
        (14, 30, 60),
    ),
    (
        "Wi-Fi refresh disrupts sites",
        "operational",
        "NET",
        "NWM",
        "work during business hours",
        "sites lose connectivity",
        "user complaints and rework",
        None,
    ),
    (
        "IPAM data quality poor",
        "technical",
        "NET",
        "NWM",
        "spreadsheets as source of truth",
        "conflicting address plans",
        "outages during consolidation",
        (5, 10, 20),
    ),
    (
        "Internet edge single point of failure",
        "security",
        "NET",
        "NWM",
        "one firewall cluster",
        "the cluster fails or is attacked",
        "loss of internet access",
        None,
    ),
    (
        "Warehouse migration data loss",
        "technical",
        "DAT",
        "DAP",
        "complex ETL",
        "records are lost in migration",
        "wrong reports and rework",
        (10, 20, 45),
    ),
    (
        "Lakehouse licensing changes",
        "financial",
        "DAT",
        "DAP",
        "vendor pricing changes",
        "costs double at renewal",
        "budget overrun",
        None,
    ),
    (
        "Data catalogue not adopted",
        "organizational",
        "DAT",
        "DAP",
        "no data stewards",
        "the catalogue stays empty",
        "no lineage for audits",
        None,
    ),
    (
        "Personal data in analytics copies",
        "compliance",
        "DAT",
        "DAP",
        "unmasked extracts",
        "personal data is exposed",
        "GDPR breach",
        None,
    ),
    (
        "Windows 11 hardware incompatibility",
        "technical",
        "EUS",
        None,
        "old laptops",
        "devices cannot upgrade",
        "unplanned hardware spend",
        None,
    ),
    (
        "Service desk attrition",
        "organizational",
        "SD",
        None,
        "high workload",
        "agents leave",
        "longer queues and SLA breaches",
        None,
    ),
    (
        "Backup restores untested",
        "operational",
        "STO",
        None,
        "no restore drills",
        "a restore fails when needed",
        "data loss",
        None,
    ),
    (
        "Ransomware attack on file servers",
        "security",
        "SEC",
        None,
        "unpatched servers",
        "ransomware encrypts shares",
        "business outage",
        None,
    ),
    (
        "Energy price increase",
        "financial",
        "CMP",
        None,
        "volatile energy market",
        "datacenter energy costs rise 40 %",
        "run-cost target missed",
        None,
    ),
]
ACTIONS = [
    "Document the recovery procedure",
    "Add a second supplier",
    "Run a pilot with one site",
    "Train two more engineers",
    "Agree a test window with the business",
    "Automate the check and alert",
    "Escalate to the steering committee",
    "Negotiate contract terms",
]


def load_risks(ctx: ChangeContext, as_of: dt.date, seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed + 2)
    users = {u.username: u for u in get_user_model().objects.all()}
    teams = {t.code: t for t in Team.objects.select_related("lead")}
    program_by_code = dict(
        zip(
            ("DCX", "ZTP", "CLP", "OPX", "NWM", "DAP"),
            Initiative.objects.filter(kind="program").order_by("key"),
            strict=False,
        )
    )
    objectives = list(Objective.objects.filter(parent__isnull=False).order_by("code"))
    for n, (title, category, team_code, program, cause, event, effect, delay) in enumerate(RISKS, start=1):
        team = teams[team_code]
        owner = team.lead or users.get("pmo")
        p, i = rng.randint(2, 5), rng.randint(2, 5)
        first = as_of - dt.timedelta(days=rng.randint(200, 330))
        data = {
            "key": f"RSK-{n:03d}",
            "title": title,
            "category": category,
            "cause": f"Because of {cause},",
            "event": f"{event},",
            "effect": f"leading to {effect}.",
            "probability": p,
            "impact": i,
            "residual_probability": p,
            "residual_impact": i,
            "owner": owner,
            "team": team,
            "response": rng.choice(["mitigate", "mitigate", "mitigate", "avoid", "transfer", "accept"]),
            "status": rng.choice(["assessed", "treating", "treating", "monitoring", "identified"]),
            "proximity": rng.choice(["imminent", "short", "medium", "medium", "long"]),
            "review_date": as_of + dt.timedelta(days=rng.randint(-20, 60)),
        }
        parent = program_by_code.get(program)
        linked = []
        if parent is not None:
            children = list(parent.children.exclude(stage__in=["done", "cancelled"]).order_by("key"))
            linked = rng.sample(children, min(len(children), rng.randint(1, 2))) if children else [parent]
        data["initiatives"] = linked
        data["objectives"] = rng.sample(objectives, 1) if objectives else []
        if delay and linked:
            data["schedule_delay_min"], data["schedule_delay_likely"], data["schedule_delay_max"] = delay
        risk = services.create_risk(ctx, data, assessed_on=first)
        # Reassessments over time: mitigation lowers the residual scores step by step.
        rp, ri = p, i
        day = first
        for _ in range(rng.randint(1, 3)):
            day += dt.timedelta(days=rng.randint(40, 90))
            if day > as_of:
                break
            rp, ri = max(1, rp - rng.choice([0, 1, 1])), max(1, ri - rng.choice([0, 0, 1]))
            services.reassess(
                ctx,
                risk,
                {"residual_probability": rp, "residual_impact": ri},
                reason="periodic review",
                on=day,
            )
        for k in range(rng.randint(0 if n % 7 == 0 else 1, 3)):
            due = as_of + dt.timedelta(days=rng.randint(-45, 90))
            status = rng.choice(["planned", "in_progress", "in_progress", "done"])
            services.add_action(
                ctx,
                {
                    "risk": risk,
                    "title": ACTIONS[(n + k) % len(ACTIONS)],
                    "owner": owner,
                    "due_date": due,
                    "status": status,
                    "completed_date": min(due, as_of) if status == "done" else None,
                    "expected_effect": rng.choice(
                        [
                            "Lowers the probability by one step.",
                            "Halves the impact.",
                            "Shortens detection time.",
                        ]
                    ),
                },
            )
    estimated = 0
    for initiative in (
        Initiative.objects.filter(kind="project").exclude(stage__in=["done", "cancelled"]).order_by("key")
    ):
        if rng.random() < 0.5 and initiative.planned_start and initiative.planned_finish:
            days = (initiative.planned_finish - initiative.planned_start).days
            services.save_estimate(
                ctx,
                None,
                {
                    "initiative": initiative,
                    "optimistic_days": int(days * 0.85),
                    "most_likely_days": int(days * rng.uniform(1.0, 1.15)),
                    "pessimistic_days": int(days * rng.uniform(1.4, 1.8)),
                    "note": "team estimate",
                },
            )
            estimated += 1
    services.store_schedule_risk(ctx, as_of, seed=42, iterations=2000)
    return {
        "risks": Risk.objects.count(),
        "mitigation_actions": MitigationAction.objects.count(),
        "risk_score_changes": RiskScoreChange.objects.count(),
        "duration_estimates": DurationEstimate.objects.count(),
    }
