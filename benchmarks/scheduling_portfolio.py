"""Time the portfolio scheduler on a generated plan: 500 initiatives x 12 teams x 36 months.

Usage: python benchmarks/scheduling_portfolio.py [--items 500] [--teams 12] [--months 36]
       [--method auto|heuristic|cp-sat] [--time-limit 20] [--seed 7]
The instance is deterministic for a seed. Target: under 30 s. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portolan.engine.scheduling import (  # noqa: E402
    DEPENDENCY_KINDS,
    PlanDependency,
    PlanItem,
    PortfolioProblem,
    schedule_portfolio,
    validate_portfolio,
)


def generate(items: int, teams: int, months: int, seed: int) -> PortfolioProblem:
    """A plan loading every team to roughly 90% of its capacity over ``months``."""
    rng = random.Random(seed)
    names = [f"Team-{t:02d}" for t in range(teams)]
    capacity = {n: tuple(float(rng.choice((160, 180, 200, 220))) for _ in range(months)) for n in names}
    plan_items = []
    for k in range(items):
        duration = rng.randint(1, 9)
        used = rng.sample(names, rng.randint(1, 3))
        effort: dict[str, float | None] = {t: float(rng.randint(8, 64) * duration // 3 + 8) for t in used}
        plan_items.append(
            PlanItem(
                key=f"INF-{k:03d}",
                duration=duration,
                effort=effort,
                earliest_start=rng.randint(0, 12) if rng.random() < 0.2 else 0,
                deadline=rng.randint(12, months + 12) if rng.random() < 0.1 else None,
                weight=rng.randint(1, 5),
            )
        )
    deps = []
    for k in range(1, items):
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            pred = rng.randrange(max(0, k - 60), k)
            kind = rng.choice(DEPENDENCY_KINDS)
            deps.append(PlanDependency(f"INF-{pred:03d}", f"INF-{k:03d}", kind, rng.randint(0, 2)))
    return PortfolioProblem(tuple(plan_items), tuple(deps), capacity, (2026, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--teams", type=int, default=12)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--method", default="auto", choices=("auto", "heuristic", "cp-sat"))
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    problem = generate(args.items, args.teams, args.months, args.seed)
    started = time.perf_counter()
    plan = schedule_portfolio(
        problem, method=args.method, time_limit=args.time_limit, num_workers=args.workers, seed=args.seed
    )
    elapsed = time.perf_counter() - started
    violations = [v for v in validate_portfolio(problem, plan) if v not in plan.infeasibilities]
    delayed = sum(1 for item in plan.items if item.reasons)
    print(f"{args.items} items x {args.teams} teams x {args.months} months, method {plan.method}")
    print(f"  time {elapsed:.2f} s, plan ends month {plan.end} ({problem.label(plan.end - 1)})")
    print(f"  delayed items {delayed}, critical chain {len(plan.critical_chain)} items")
    print(f"  infeasibilities {len(plan.infeasibilities)}, unexplained violations {len(violations)}")
    for line in plan.infeasibilities[:3]:
        print(f"    {line}")
    summary = {
        "items": args.items,
        "teams": args.teams,
        "months": args.months,
        "method": plan.method,
        "optimal": plan.optimal,
        "time_s": round(elapsed, 3),
        "end_month": plan.end,
        "delayed_items": delayed,
        "critical_chain": len(plan.critical_chain),
        "infeasibilities": len(plan.infeasibilities),
        "unexplained_violations": len(violations),
        "target_s": 30,
        "within_target": elapsed < 30,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
