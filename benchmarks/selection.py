"""Benchmark the portfolio-selection MILP on deterministic synthetic portfolios.

Usage: ``python benchmarks/selection.py [--repeats 3] [--time-limit 10] [--gaps 0,0.001] [--stress]``
``--quick`` runs only the acceptance size 1000x12x8 at HiGHS's default gap 1e-4, no frontier.

Instances are generated from a fixed seed: candidates with capex/opex over two years,
effort for 1-3 teams over 1-4 consecutive quarters, scores loosely correlated with cost,
5% mandatory, 3% committed, 1% forced out, 10% with a prerequisite and 2-3 member
mutual-exclusion groups; budgets cover 35% of the demand, team capacity 35%-120%
(``--stress`` makes every team-quarter cover only 35%: much harder to prove optimal).
Prints one line per size (with per-seed status, gap and seconds) and, last, one JSON object
with the figures and the 1-minute load average (timings are only comparable at similar load).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portolan.engine.selection import (  # noqa: E402
    Candidate,
    SelectionProblem,
    default_budget_factors,
    efficient_frontier,
    solve,
)

YEARS = (2027, 2028)
TEAM_NAMES = ("Infrastructure", "Network", "Security", "Data", "Cloud", "Service Desk", "Identity")


def _periods(quarters: int) -> list[str]:
    return [f"{YEARS[0] + q // 4}-Q{q % 4 + 1}" for q in range(quarters)]


def _teams(count: int) -> list[str]:
    return [TEAM_NAMES[i] if i < len(TEAM_NAMES) else f"Team {i + 1}" for i in range(count)]


def _candidate(rng: np.random.Generator, i: int, teams: list[str], periods: list[str]) -> Candidate:
    capex = {y: round(float(rng.lognormal(12.5, 0.8)), -3) for y in YEARS if rng.random() < 0.45}
    opex = {y: round(float(rng.lognormal(11.0, 0.7)), -3) for y in YEARS if rng.random() < 0.5}
    effort: dict[tuple[str, str], float] = {}
    span = int(rng.integers(1, 5))
    first = int(rng.integers(0, max(1, len(periods) - span + 1)))
    for team in rng.choice(teams, size=int(rng.integers(1, 4)), replace=False):
        for period in periods[first : first + span]:
            effort[(str(team), period)] = float(rng.integers(5, 60))
    size = sum(capex.values()) / 1e5 + sum(opex.values()) / 5e4 + sum(effort.values()) / 20
    score = round(float(rng.uniform(10, 60) + 4 * np.sqrt(size) * rng.uniform(0.5, 1.5)), 2)
    return Candidate(f"I{i:04d}", score, capex, opex, effort)


def make_problem(
    n: int, n_teams: int, n_quarters: int, seed: int = 7, capacity_share: tuple[float, float] = (0.35, 1.2)
) -> SelectionProblem:
    """A deterministic portfolio of ``n`` candidates for ``n_teams`` teams over ``n_quarters``.

    Each team's capacity is a share of its demand drawn from ``capacity_share``: some teams
    are bottlenecks, others barely constrained. ``(0.35, 0.35)`` makes every cell tight.
    """
    rng = np.random.default_rng(seed)
    teams, periods = _teams(n_teams), _periods(n_quarters)
    candidates = [_candidate(rng, i, teams, periods) for i in range(n)]
    roles = rng.random(n)
    for i, c in enumerate(candidates):
        requires = (candidates[int(rng.integers(0, i))].id,) if i > 10 and rng.random() < 0.10 else ()
        candidates[i] = Candidate(
            c.id, c.score, c.capex, c.opex, c.effort, requires, mandatory=roles[i] < 0.05,
            committed=0.05 <= roles[i] < 0.08,
        )  # fmt: skip
    free = [c.id for c, r in zip(candidates, roles, strict=True) if r >= 0.09]
    shuffled = [str(x) for x in rng.permutation(free)]
    groups, pos = {}, 0
    for g in range(n // 30):
        k = int(rng.integers(2, 4))
        groups[f"G{g}"] = tuple(shuffled[pos : pos + k])
        pos += k
    forced_out = frozenset(shuffled[pos : pos + n // 100])

    def budget(kind: str, year: int) -> float:
        return 0.35 * sum(getattr(c, kind).get(year, 0.0) for c in candidates)

    tight = {t: float(rng.uniform(*capacity_share)) for t in teams}
    demand: dict[tuple[str, str], float] = {}
    for c in candidates:
        for key, v in c.effort.items():
            demand[key] = demand.get(key, 0.0) + v
    return SelectionProblem(
        tuple(candidates),
        capex_budget={y: budget("capex", y) for y in YEARS[: (n_quarters + 3) // 4]},
        opex_budget={y: budget("opex", y) for y in YEARS[: (n_quarters + 3) // 4]},
        capacity={(t, p): round(tight[t] * demand.get((t, p), 0.0)) + 20 for t in teams for p in periods},
        exclusion_groups=groups,
        forced_out=forced_out,
    )


def bench_size(size: tuple[int, int, int], args: argparse.Namespace, gap: float) -> dict[str, object]:
    times, runs = [], []
    for seed in range(args.repeats):
        problem = make_problem(*size, seed=seed, capacity_share=args.capacity_share)
        result = solve(problem, time_limit=args.time_limit, mip_rel_gap=gap, seed=0)
        times.append(result.solve_seconds)
        runs.append(result)
    return {
        "size": "x".join(map(str, size)),
        "mip_rel_gap": gap,
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "proven": f"{sum(r.proven_optimal for r in runs)}/{len(runs)}",
        "max_final_gap": round(max(r.mip_gap for r in runs), 6),
        "runs": [
            {
                "seed": seed,
                "seconds": round(r.solve_seconds, 3),
                "status": r.status,
                "gap": round(r.mip_gap, 7),
                "objective": round(r.objective, 2),
                "dual_bound": round(r.dual_bound, 2),
            }
            for seed, r in enumerate(runs)
        ],
        "median_gain_pct_vs_greedy_score": round(
            statistics.median(r.gain_over("score") / r.greedy[0].value * 100 for r in runs), 2
        ),
        "median_gain_pct_vs_best_greedy": round(
            statistics.median(r.gain_over_greedy / r.best_greedy.value * 100 for r in runs), 2
        ),
    }


def bench_frontier(size: tuple[int, int, int], args: argparse.Namespace) -> dict[str, object]:
    problem = make_problem(*size, seed=0, capacity_share=args.capacity_share)
    started = time.perf_counter()
    points = efficient_frontier(
        problem,
        default_budget_factors(11, 0.5, 1.5),
        time_limit=args.time_limit,
        mip_rel_gap=args.frontier_gap,
    )
    seconds = time.perf_counter() - started
    values = [p.value for p in points if p.value is not None]
    return {
        "size": "x".join(map(str, size)),
        "levels": len(points),
        "mip_rel_gap": args.frontier_gap,
        "seconds": round(seconds, 3),
        "proven": f"{sum(p.proven_optimal for p in points)}/{len(points)}",
        "non_decreasing": all(a <= b + 1e-9 for a, b in zip(values, values[1:], strict=False)),
    }


def _size(text: str) -> tuple[int, int, int]:
    n, teams, quarters = (int(v) for v in text.split("x"))
    return n, teams, quarters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per MILP solve")
    parser.add_argument("--sizes", default="100x4x8,300x8x8,1000x12x8")
    parser.add_argument("--gaps", default="0,0.001", help="relative MIP gaps to prove, comma-separated")
    parser.add_argument("--frontier-size", default="1000x12x8")
    parser.add_argument("--frontier-gap", type=float, default=0.001)
    parser.add_argument("--stress", action="store_true", help="every team-quarter at 35%% of demand")
    parser.add_argument("--quick", action="store_true", help="only 1000x12x8 at gap 1e-4, no frontier")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.gaps = "1000x12x8", "0.0001"
    args.capacity_share = (0.35, 0.35) if args.stress else (0.35, 1.2)
    load_before = round(os.getloadavg()[0], 2)
    results = []
    for size in map(_size, args.sizes.split(",")):
        for gap in (float(g) for g in args.gaps.split(",")):
            row = bench_size(size, args, gap)
            print(f"solve: {json.dumps(row)}", flush=True)
            results.append(row)
    frontier = None if args.quick else bench_frontier(_size(args.frontier_size), args)
    if frontier:
        print(f"frontier: {json.dumps(frontier)}", flush=True)
    summary = {"benchmark": "selection", "time_limit_s": args.time_limit, "stress": args.stress}
    summary["load_avg_1min"] = {"before": load_before, "after": round(os.getloadavg()[0], 2)}
    print(json.dumps({**summary, "solve": results, "frontier": frontier}))


if __name__ == "__main__":
    main()
