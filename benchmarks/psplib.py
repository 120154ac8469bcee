"""Run the RCPSP engine on the PSPLIB sets and compare with the published values.

Usage: python benchmarks/psplib.py [--sets j30,j60,j120] [--limit N] [--time-limit S]
       [--workers W] [--processes P] [--seed S]

``--workers`` is the thread count per instance: CP-SAT's workers, except that below 60 jobs
with two or more the GA takes one (the bidirectional search of ``solve_rcpsp``); ``--processes``
solves that many instances side by side (``--workers 1 --processes 2`` spreads single-threaded
runs over two cores; J30's figures are measured with ``--workers 2 --processes 1``).
``--limit N`` takes N instances per set, evenly spread over the parameter groups. Per set it
prints the share of instances at the optimum/best-known value, the average deviation from the
optimum (J30), from the best-known upper bound and from the critical-path lower bound, and the
mean/max time per instance. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portolan.engine import rcpsp_ga  # noqa: E402
from portolan.engine.psplib import instance_paths, read_index, read_sm  # noqa: E402
from portolan.engine.rcpsp import solve_rcpsp, validate_schedule  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scheduling" / "psplib"


def solve_one(args: tuple[str, float, int, int]) -> dict:
    path, time_limit, workers, seed = args
    problem = read_sm(path)
    solution = solve_rcpsp(problem, time_limit=time_limit, num_workers=workers, seed=seed)
    return {
        "instance": problem.name,
        "makespan": solution.makespan,
        "lower_bound": solution.lower_bound,
        "optimal": solution.optimal,
        "time_s": solution.time_s,
        "violations": len(validate_schedule(problem, solution.starts)),
    }


def sample(paths: list[Path], limit: int | None) -> list[Path]:
    """``limit`` paths spread evenly over the (naturally ordered) list."""
    if not limit or limit >= len(paths):
        return paths
    step = len(paths) / limit
    return [paths[int(i * step)] for i in range(limit)]


def load_rows(path: Path | None, time_limit: float, workers: int, seed: int) -> dict[str, dict]:
    """Rows of an earlier (interrupted) run with the same settings, by instance name (rows written
    before ``--seed`` existed were solved with seed 0)."""
    if path is None or not path.exists():
        return {}
    rows = (json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return {
        r["instance"]: r
        for r in rows
        if (r.get("time_limit_s"), r.get("workers"), r.get("seed", 0)) == (time_limit, workers, seed)
    }


def summarise(name: str, rows: list[dict], index: dict) -> dict:
    refs = [index[r["instance"]] for r in rows]
    dev = [(r["makespan"] - ref.best_known_ub) / ref.best_known_ub for r, ref in zip(rows, refs, strict=True)]
    cpm = [
        (r["makespan"] - ref.cpm_lower_bound) / ref.cpm_lower_bound for r, ref in zip(rows, refs, strict=True)
    ]
    ref_cpm = [(ref.best_known_ub - ref.cpm_lower_bound) / ref.cpm_lower_bound for ref in refs]
    times = [r["time_s"] for r in rows]
    return {
        "set": name,
        "instances": len(rows),
        "at_best_known": sum(r["makespan"] <= ref.best_known_ub for r, ref in zip(rows, refs, strict=True)),
        "share_at_best_known": sum(d <= 0 for d in dev) / len(rows),
        "better_than_best_known": sum(d < 0 for d in dev),
        "proven_optimal": sum(r["optimal"] for r in rows),
        "avg_dev_best_known_pct": 100 * statistics.mean(dev),
        "avg_dev_cpm_lb_pct": 100 * statistics.mean(cpm),
        "best_known_avg_dev_cpm_lb_pct": 100 * statistics.mean(ref_cpm),
        "mean_time_s": statistics.mean(times),
        "max_time_s": max(times),
        "violations": sum(r["violations"] for r in rows),
    }


def report(s: dict) -> None:
    reference = "optimum" if s["set"] == "j30" else "best known"
    print(f"{s['set']}: {s['instances']} instances")
    print(f"  at the {reference}: {s['at_best_known']} ({100 * s['share_at_best_known']:.1f}%)")
    print(f"  proven optimal: {s['proven_optimal']}, better than best known: {s['better_than_best_known']}")
    print(f"  avg deviation from the {reference}: {s['avg_dev_best_known_pct']:.2f}%")
    print(
        f"  avg deviation from the critical-path bound: {s['avg_dev_cpm_lb_pct']:.2f}% "
        f"(best known on the same instances: {s['best_known_avg_dev_cpm_lb_pct']:.2f}%)"
    )
    print(f"  time per instance: mean {s['mean_time_s']:.2f} s, max {s['max_time_s']:.2f} s")
    print(f"  schedule violations: {s['violations']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="j30")
    parser.add_argument("--limit", type=int, default=None, help="instances per set (default: all)")
    parser.add_argument("--time-limit", type=float, default=None, help="s per instance (1 for J30, else 10)")
    parser.add_argument("--workers", type=int, default=2, help="threads per instance")
    parser.add_argument("--processes", type=int, default=1, help="instances solved in parallel")
    parser.add_argument("--seed", type=int, default=0, help="the solvers' random seed (as the CLI: 0)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--rows",
        type=Path,
        default=None,
        help="append each instance's row to this JSONL file; "
        "instances already in it are not solved again (resume a long run)",
    )
    args = parser.parse_args()
    index = read_index(args.data / "psplib_index.csv")
    summaries = []
    started = time.perf_counter()
    for name in args.sets.split(","):
        limit = args.time_limit or (1.0 if name == "j30" else 10.0)
        paths = sample(instance_paths([args.data / name]), args.limit)
        done = load_rows(args.rows, limit, args.workers, args.seed)
        # Instance 1 of every parameter group first, then instance 2, ...: a run stopped early
        # (and resumed with --rows) has covered every group alike.
        todo = sorted(
            ((n, p) for n, p in enumerate(paths) if p.stem not in done),
            key=lambda np: (int(np[1].stem.rsplit("_", 1)[1]), np[0]),
        )
        jobs = [(str(p), limit, args.workers, args.seed) for _, p in todo]
        # Each worker loads the GA's compiled kernels before its first instance is timed, as it
        # imports OR-Tools before: loading code is not solving.
        with ProcessPoolExecutor(args.processes, initializer=rcpsp_ga.warm_up) as pool:
            for row in pool.map(solve_one, jobs):
                done[row["instance"]] = row
                if args.rows:
                    with args.rows.open("a") as out:
                        settings = {"time_limit_s": limit, "workers": args.workers, "seed": args.seed}
                        out.write(json.dumps(row | settings) + "\n")
        rows = [done[p.stem] for p in paths]
        summary = summarise(name, rows, index) | {"time_limit_s": limit}
        report(summary)
        summaries.append(summary)
    total = time.perf_counter() - started
    print(
        json.dumps(
            {
                "workers": args.workers,
                "processes": args.processes,
                "seed": args.seed,
                "wall_s": total,
                "sets": summaries,
            }
        )
    )


if __name__ == "__main__":
    main()
