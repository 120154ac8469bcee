"""The straightforward Monte Carlo: per-activity loops, np.percentile, argsort ranks.

It is the oracle the fast :func:`portolan.engine.montecarlo.simulate` is tested against
(same sampled durations, same results up to rounding) and the reference the benchmark
measures the fast one against.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from portolan.engine.montecarlo import (
    FLOAT_TOLERANCE,
    PERCENTILES,
    Activity,
    Link,
    Plan,
    RiskEvent,
    SimulationResult,
    _average_ranks,
    _pearson,
    _result,
    _Stats,
    compile_network,
    sample_durations,
)


def forward_pass_reference(plan: Plan, durations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Early start and finish (activities, iterations): a loop with np.maximum per link."""
    start = np.zeros_like(durations)
    finish = np.zeros_like(durations)
    for j in plan.order:
        s = np.zeros(durations.shape[1])
        for i, kind, lag in plan.preds[j]:
            if kind == "FS":
                s = np.maximum(s, finish[i] + lag)
            elif kind == "SS":
                s = np.maximum(s, start[i] + lag)
            elif kind == "FF":
                s = np.maximum(s, finish[i] + lag - durations[j])
            else:
                s = np.maximum(s, start[i] + lag - durations[j])
        start[j] = s
        finish[j] = s + durations[j]
    return start, finish


def backward_pass_reference(plan: Plan, durations: np.ndarray, finish: np.ndarray) -> np.ndarray:
    """Late finish (activities, iterations) against the simulated project finish."""
    project = finish.max(axis=0)
    late_finish = np.zeros_like(durations)
    for i in reversed(plan.order):
        lf = project.copy()
        for j, kind, lag in plan.succs[i]:
            late_start_j = late_finish[j] - durations[j]
            if kind == "FS":
                lf = np.minimum(lf, late_start_j - lag)
            elif kind == "SS":
                lf = np.minimum(lf, late_start_j - lag + durations[i])
            elif kind == "FF":
                lf = np.minimum(lf, late_finish[j] - lag)
            else:
                lf = np.minimum(lf, late_finish[j] - lag + durations[i])
        late_finish[i] = lf
    return late_finish


def _spearman_reference(x: np.ndarray, y: np.ndarray) -> float:
    rx = _average_ranks(x)
    ry = _average_ranks(y)
    return _pearson(rx, ry)


def simulate_reference(
    activities: Sequence[Activity],
    links: Sequence[Link] = (),
    risks: Sequence[RiskEvent] = (),
    iterations: int = 10_000,
    seed: int | None = None,
    project_deadline: float | None = None,
) -> SimulationResult:
    """Straightforward implementation (per-activity loops, np.percentile, argsort ranks)."""
    plan = compile_network(activities, links, risks)
    durations, occurred = sample_durations(plan, iterations, seed, workers=1)
    start, finish = forward_pass_reference(plan, durations)
    late_finish = backward_pass_reference(plan, durations, finish)
    project = finish.max(axis=0)
    critical = (late_finish - durations - start) <= FLOAT_TOLERANCE
    percentiles = np.percentile(finish, PERCENTILES, axis=1)
    criticality = critical.mean(axis=1)
    sensitivity = np.zeros(plan.size)
    for a in np.flatnonzero(criticality > 0):
        sensitivity[a] = _spearman_reference(durations[a], project)
    deadline_probability = np.array(
        [np.nan if np.isnan(d) else float(np.mean(finish[a] <= d)) for a, d in enumerate(plan.deadlines)]
    )
    stats = _Stats(
        percentiles.T, finish.mean(axis=1), finish.std(axis=1), criticality, sensitivity, deadline_probability
    )
    return _result(plan, iterations, seed, stats, project, occurred, project_deadline)
