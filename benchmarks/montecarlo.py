"""Benchmark the schedule-risk Monte Carlo: fast ``simulate`` vs ``simulate_reference``.

A deterministic random DAG of 2,000 activities (each linked to 2-3 earlier ones, mixed
link types and lags, half PERT, half triangular, a few fixed milestones and risks) is
simulated for 10,000 iterations; each implementation is timed 5 times (after one warm-up
that also builds the cached PERT table) and the median wall-clock time is reported, with
the median CPU time (all threads) and the load average, since other work on the machine
inflates wall time. The last line printed is one JSON object.

    .venv/bin/python benchmarks/montecarlo.py [--activities 2000] [--iterations 10000] [--workers 2]

``cpu_seconds`` is the steadier figure on a shared machine: when other jobs keep the cores
busy, the helper thread of ``simulate`` gets no core of its own and wall time approaches
CPU time.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portolan.engine.montecarlo import (  # noqa: E402
    Activity,
    Link,
    RiskEvent,
    simulate,
)
from portolan.engine.montecarlo_reference import simulate_reference  # noqa: E402


def random_network(size: int, seed: int = 20260) -> tuple[list[Activity], list[Link], list[RiskEvent]]:
    """A reproducible random DAG: activity k links from 2-3 of the 60 activities before it."""
    rng = np.random.default_rng(seed)
    activities = []
    for k in range(size):
        if k % 50 == 49:
            activities.append(Activity(f"M{k}", duration=0.0, deadline=float(k) * 1.2))
            continue
        low = float(rng.uniform(1, 10))
        mode = low + float(rng.uniform(0, 10))
        high = mode + float(rng.uniform(0.5, 20))
        kind = "pert" if k % 2 else "triangular"
        activities.append(Activity(f"A{k}", low, mode, high, distribution=kind))
    links = []
    types = ["FS"] * 7 + ["SS", "FF", "SF"]
    for k in range(1, size):
        count = min(k, int(rng.integers(2, 4)))
        for p in rng.choice(np.arange(max(0, k - 60), k), size=min(count, k - max(0, k - 60)), replace=False):
            lag = float(rng.choice([0.0, 0.0, 0.0, 1.0, 2.0, -1.0]))
            links.append(Link(activities[int(p)].id, activities[k].id, str(rng.choice(types)), lag))
    risks = [
        RiskEvent(f"R{r}", 0.2, (activities[int(rng.integers(size))].id,), 2.0, 5.0, 15.0) for r in range(20)
    ]
    return activities, links, risks


def median_seconds(fn, runs: int) -> tuple[float, float]:
    """Median wall-clock and median CPU seconds (all threads) of ``runs`` calls."""
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=2000)
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="threads for simulate")
    args = parser.parse_args()
    activities, links, risks = random_network(args.activities)

    def fast():
        return simulate(activities, links, risks, iterations=args.iterations, seed=7, workers=args.workers)

    def reference():
        return simulate_reference(activities, links, risks, iterations=args.iterations, seed=7)

    a, b = fast(), reference()  # warm-up, and a check that both agree
    worst = max(abs(a.activities[k].p80 - b.activities[k].p80) for k in a.activities)
    seconds, cpu = median_seconds(fast, args.runs)
    reference_seconds, reference_cpu = median_seconds(reference, args.runs)
    print(f"fast      median {seconds:.3f} s wall, {cpu:.3f} s CPU")
    print(f"reference median {reference_seconds:.3f} s wall, {reference_cpu:.3f} s CPU")
    print(f"max |P80 difference| between them: {worst:.2e} days")
    print(
        json.dumps(
            {
                "benchmark": "montecarlo",
                "iterations": args.iterations,
                "activities": len(activities),
                "links": len(links),
                "risks": len(risks),
                "runs": args.runs,
                "workers": args.workers,
                "seconds": round(seconds, 4),
                "reference_seconds": round(reference_seconds, 4),
                "speedup": round(reference_seconds / seconds, 2),
                "cpu_seconds": round(cpu, 4),
                "reference_cpu_seconds": round(reference_cpu, 4),
                "load_average_1min": round(os.getloadavg()[0], 2),
                "project_p80_days": round(a.project.p80, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
