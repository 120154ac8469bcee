"""Schedule-risk Monte Carlo over an activity network (pure NumPy).

Model
-----
Every activity has a fixed duration or a three-point estimate (minimum, most likely,
maximum) sampled from a PERT-beta (lambda = 4) or a triangular distribution. Links are
finish-to-start (FS), start-to-start (SS), finish-to-finish (FF) or start-to-finish (SF)
with a lag in days (negative lags are leads). The project starts at day 0 and every
activity starts as early as its links allow, never before day 0::

    FS: start_j >= finish_i + lag        SS: start_j >= start_i + lag
    FF: finish_j >= finish_i + lag       SF: finish_j >= start_i + lag

A risk event occurs in an iteration with its probability and then adds one sampled delay
to the duration of every activity it names.

Sampling is by inverse CDF from uniforms drawn per block of activities with child
generators of ``numpy.random.SeedSequence(seed)``: the same seed gives the same samples
whatever the number of worker threads. Triangular quantiles are exact; PERT quantiles
come from a table (see ``_pert_table``): their error is below 1e-4 of (maximum - minimum)
for levels within [0.001, 0.999]; in the outer 1/4096 of probability on each side it can
reach 0.1 of the range for the most skewed estimates, which moves the mean by less than
2e-5 of the range and the P50-P95 not at all.

Outputs per activity: P50/P80/P95 and mean/std of the finish day, the probability of
meeting its deadline, the criticality index (share of iterations with zero total float)
and the sensitivity (Spearman rank correlation between its sampled duration and the
project finish; 0 for an activity that is never critical, whose duration cannot move the
finish). Percentiles use linear interpolation (NumPy's default).

Both implementations share the sampler, so the same seed gives the same numbers (to
rounding). ``montecarlo_reference.simulate_reference`` is the straightforward one (per-activity loops that
allocate, separate start/finish/late-finish matrices, np.percentile, per-activity rank
correlation), kept as the oracle for tests and the baseline of
``benchmarks/montecarlo.py``. ``simulate`` (profiled on 2 cores, 10,000 iterations of
2,000 activities: about 0.6 s CPU against 2.4 s for the reference):

* propagates in place into one finish matrix (starts are finish - duration) in the
  calling thread: the passes are loops of small NumPy calls, and splitting their columns
  over threads only made both threads queue for the GIL;
* keeps late starts during the backward pass in a small pool of rows (``_late_slots``),
  not in a third (activities, iterations) matrix: a fresh large array costs page faults
  (up to ~2.6 ms/MB here when the kernel has to assemble huge pages);
* takes exact percentiles from a per-row histogram (``_StatsWorker``): a few vectorised
  passes and one bincount per block of rows instead of an introselect per row;
* ranks durations for Spearman's rho with a two-pass 16-bit radix sort (``_Ranker``),
  several times faster here than argsort of doubles, and only for ever-critical rows;
* overlaps work on ``workers`` (at most 2) threads: sampling by blocks of rows; finish
  statistics of rows already propagated while the forward pass goes on, then while the
  (GIL-bound) backward pass runs; finally the sensitivity rows. No number depends on
  the thread that computes it, so ``workers`` changes the speed, never the result.
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import KW_ONLY, dataclass, field
from functools import cache
from typing import Literal

import numpy as np

from portolan.engine.graph import find_cycle, topological_order

LinkType = Literal["FS", "SS", "FF", "SF"]
Distribution = Literal["pert", "triangular"]

LINK_TYPES: tuple[str, ...] = ("FS", "SS", "FF", "SF")
DISTRIBUTIONS: tuple[str, ...] = ("pert", "triangular")
PERCENTILES: tuple[int, ...] = (50, 80, 95)
FLOAT_TOLERANCE = 1e-6  # days; total float at or below this counts as critical
BLOCK = 64  # activities per sampling block (one child generator each)


class NetworkError(ValueError):
    """The activity network is invalid (unknown activity, duplicate id, cycle...)."""


class EstimateError(ValueError):
    """An estimate is negative or inconsistent (minimum <= most likely <= maximum)."""


@dataclass(frozen=True)
class Activity:
    """An activity: a fixed ``duration`` or a three-point estimate, in days.

    ``deadline`` (optional) is the day by which the activity must finish.
    A milestone is an activity with ``duration=0``.
    """

    id: str
    minimum: float | None = None
    most_likely: float | None = None
    maximum: float | None = None
    _: KW_ONLY
    duration: float | None = None
    distribution: Distribution = "pert"
    deadline: float | None = None


@dataclass(frozen=True)
class Link:
    """A dependency ``predecessor -> successor`` of a type with a lag in days."""

    predecessor: str
    successor: str
    type: LinkType = "FS"
    lag: float = 0.0


@dataclass(frozen=True)
class RiskEvent:
    """A risk that occurs with ``probability`` and then delays ``activities``.

    The delay is a three-point estimate in days (``minimum == maximum`` for a fixed delay).
    """

    id: str
    probability: float
    activities: tuple[str, ...]
    minimum: float
    most_likely: float
    maximum: float
    distribution: Distribution = "triangular"


@dataclass(frozen=True)
class ActivityResult:
    """Simulated finish statistics of one activity (days from project start)."""

    id: str
    p50: float
    p80: float
    p95: float
    mean: float
    std: float
    criticality: float
    sensitivity: float
    deadline: float | None
    deadline_probability: float | None


@dataclass(frozen=True)
class RiskResult:
    """How often a risk occurred and how much later the project finished when it did."""

    id: str
    occurrence_rate: float
    mean_finish_impact: float | None


@dataclass(frozen=True)
class SimulationResult:
    """The outcome of a simulation; ``tornado`` lists activities by decreasing |sensitivity|."""

    iterations: int
    seed: int | None
    activities: dict[str, ActivityResult]
    project: ActivityResult
    tornado: list[tuple[str, float]]
    risks: list[RiskResult] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    """A validated network compiled to arrays and index lists in topological order."""

    ids: tuple[str, ...]
    order: tuple[int, ...]
    params: np.ndarray  # (n, 3): minimum, most likely, maximum (equal when fixed)
    is_pert: np.ndarray  # (n,) bool
    preds: tuple[tuple[tuple[int, str, float], ...], ...]  # per activity: (pred, type, lag)
    succs: tuple[tuple[tuple[int, str, float], ...], ...]  # per activity: (succ, type, lag)
    deadlines: np.ndarray  # (n,) float, NaN when none
    risks: tuple[RiskEvent, ...]
    risk_targets: tuple[tuple[int, ...], ...]

    @property
    def size(self) -> int:
        return len(self.ids)


# --------------------------------------------------------------------------- validation


def _three_point(owner: str, low: float, mode: float, high: float) -> tuple[float, float, float]:
    values = {"minimum": low, "most likely": mode, "maximum": high}
    for name, value in values.items():
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise EstimateError(f"{owner}: {name} must be a finite number, got {value!r}")
        if value < 0:
            raise EstimateError(f"{owner}: negative {name} {value}")
    if not low <= mode <= high:
        raise EstimateError(
            f"{owner}: estimates must satisfy minimum <= most likely <= maximum, "
            f"got minimum={low}, most likely={mode}, maximum={high}"
        )
    return float(low), float(mode), float(high)


def _activity_params(activity: Activity) -> tuple[float, float, float]:
    owner = f"activity {activity.id!r}"
    if activity.distribution not in DISTRIBUTIONS:
        raise EstimateError(f"{owner}: unknown distribution {activity.distribution!r}")
    if activity.duration is not None:
        return _three_point(owner, activity.duration, activity.duration, activity.duration)
    return _three_point(owner, activity.minimum, activity.most_likely, activity.maximum)


def _topological_order(ids: Sequence[str], succ_idx: Sequence[Sequence[int]]) -> tuple[int, ...]:
    order = topological_order(succ_idx)
    if len(order) < len(ids):
        left = sorted(set(range(len(ids))) - set(order))
        edges = [(i, j) for i in left for j in succ_idx[i]]
        cycle = " -> ".join(ids[i] for i in find_cycle(left, edges))
        raise NetworkError(f"dependency cycle: {cycle}")
    return tuple(order)


def _index_links(links: Sequence[Link], index: dict[str, int]) -> list[tuple[int, int, str, float]]:
    out = []
    for link in links:
        for name in (link.predecessor, link.successor):
            if name not in index:
                raise NetworkError(f"link {link.predecessor} -> {link.successor}: unknown activity {name!r}")
        if link.type not in LINK_TYPES:
            raise NetworkError(f"link {link.predecessor} -> {link.successor}: unknown type {link.type!r}")
        if not math.isfinite(link.lag):
            raise NetworkError(f"link {link.predecessor} -> {link.successor}: lag must be finite")
        out.append((index[link.predecessor], index[link.successor], link.type, float(link.lag)))
    return out


def _risk_targets(risks: Sequence[RiskEvent], index: dict[str, int]) -> tuple[tuple[int, ...], ...]:
    targets = []
    for risk in risks:
        owner = f"risk {risk.id!r}"
        if not 0.0 <= risk.probability <= 1.0:
            raise EstimateError(f"{owner}: probability must be within [0, 1], got {risk.probability}")
        if risk.distribution not in DISTRIBUTIONS:
            raise EstimateError(f"{owner}: unknown distribution {risk.distribution!r}")
        _three_point(owner, risk.minimum, risk.most_likely, risk.maximum)
        unknown = [a for a in risk.activities if a not in index]
        if unknown:
            raise NetworkError(f"{owner}: unknown activity {unknown[0]!r}")
        targets.append(tuple(index[a] for a in risk.activities))
    return tuple(targets)


def compile_network(
    activities: Sequence[Activity], links: Sequence[Link] = (), risks: Sequence[RiskEvent] = ()
) -> Plan:
    """Validate a network and compile it; raise EstimateError / NetworkError naming the culprit."""
    ids = tuple(a.id for a in activities)
    if not ids:
        raise NetworkError("the network has no activity")
    index: dict[str, int] = {}
    for i, name in enumerate(ids):
        if name in index:
            raise NetworkError(f"duplicate activity id {name!r}")
        index[name] = i
    params = np.array([_activity_params(a) for a in activities], dtype=float).reshape(-1, 3)
    indexed = _index_links(links, index)
    preds: list[list[tuple[int, str, float]]] = [[] for _ in ids]
    succs: list[list[tuple[int, str, float]]] = [[] for _ in ids]
    for i, j, kind, lag in indexed:
        preds[j].append((i, kind, lag))
        succs[i].append((j, kind, lag))
    order = _topological_order(ids, [[j for j, _, _ in s] for s in succs])
    deadlines = np.array([np.nan if a.deadline is None else a.deadline for a in activities], dtype=float)
    return Plan(
        ids=ids,
        order=order,
        params=params,
        is_pert=np.array([a.distribution == "pert" for a in activities], dtype=bool),
        preds=tuple(tuple(p) for p in preds),
        succs=tuple(tuple(s) for s in succs),
        deadlines=deadlines,
        risks=tuple(risks),
        risk_targets=_risk_targets(risks, index),
    )


# ----------------------------------------------------------------------------- sampling

PERT_ALPHA_STEPS = 128  # table rows per unit of alpha (alpha in [1, 5])
PERT_LEVELS = 4096  # quantile levels per row


@cache
def _pert_table() -> np.ndarray:
    """Quantiles of Beta(alpha, 6 - alpha) on [0, 1] for alpha on a grid over [1, 5].

    Row r holds alpha = 1 + r / PERT_ALPHA_STEPS; column k the quantile at k / PERT_LEVELS.
    The CDF comes from a trapezoid rule on 2**13 cells, then is inverted by interpolation.
    """
    x = np.linspace(0.0, 1.0, 2**13 + 1)
    levels = np.linspace(0.0, 1.0, PERT_LEVELS + 1)
    rows = []
    for alpha in 1.0 + np.arange(4 * PERT_ALPHA_STEPS + 1) / PERT_ALPHA_STEPS:
        pdf = x ** (alpha - 1.0) * (1.0 - x) ** (5.0 - alpha)
        cdf = np.concatenate(([0.0], np.cumsum((pdf[1:] + pdf[:-1]) * 0.5)))
        rows.append(np.interp(levels, cdf / cdf[-1], x))
    return np.array(rows)


class _RowSampler:
    """Inverse-CDF sampling of one activity row at a time into preallocated scratch rows.

    Working row by row keeps every operand in cache and allocates nothing per row, which
    is several times faster than transforming a (rows, iterations) block with temporaries.
    """

    def __init__(self, iterations: int) -> None:
        self.a = np.empty(iterations)
        self.b = np.empty(iterations)
        self.k = np.empty(iterations, dtype=np.intp)
        self.below = np.empty(iterations, dtype=bool)

    def quantiles(
        self, u: np.ndarray, low: float, mode: float, high: float, pert: bool, out: np.ndarray
    ) -> None:
        """Write the quantiles of ``u`` (overwritten) for one three-point estimate into ``out``."""
        width = high - low
        if width <= 0:
            out.fill(low)
        elif pert:
            self._pert(u, low, (mode - low) / width, width, out)
        else:
            self._triangular_unit(u, (mode - low) / width, out)
            out *= width
            out += low

    def _pert(self, u: np.ndarray, low: float, mode: float, width: float, out: np.ndarray) -> None:
        position = 4.0 * mode * PERT_ALPHA_STEPS
        row = min(int(position), 4 * PERT_ALPHA_STEPS - 1)
        w = position - row
        table = _pert_table()
        levels = low + width * (table[row] * (1.0 - w) + table[row + 1] * w)  # in days
        steps = np.diff(levels)
        u *= PERT_LEVELS
        np.trunc(u, out=self.b)  # the level: u < 1 so at most PERT_LEVELS - 1
        np.copyto(self.k, self.b, casting="unsafe")
        u -= self.b  # fraction within the level (exact)
        np.take(levels, self.k, out=out)
        np.take(steps, self.k, out=self.a)
        self.a *= u
        out += self.a

    def _triangular_unit(self, u: np.ndarray, mode: float, out: np.ndarray) -> None:
        # left branch sqrt(u c), right branch 1 - sqrt((1 - u)(1 - c)): one square root
        np.less(u, mode, out=self.below)
        np.multiply(u, mode, out=self.a)
        np.subtract(1.0, u, out=out)
        out *= 1.0 - mode
        np.putmask(out, self.below, self.a)  # (putmask is faster than copyto where=)
        np.sqrt(out, out=self.a)
        np.subtract(1.0, self.a, out=out)
        np.putmask(out, self.below, self.a)


def three_point_quantiles(params: np.ndarray, is_pert: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Durations at uniform levels ``u`` (m, k) for three-point ``params`` (m, 3)."""
    sampler = _RowSampler(u.shape[1])
    out = np.empty_like(u, dtype=float)
    for r in range(len(params)):
        low, mode, high = params[r]
        sampler.quantiles(np.array(u[r], dtype=float), low, mode, high, bool(is_pert[r]), out[r])
    return out


def _sample_block(plan: Plan, seed_seq: np.random.SeedSequence, lo: int, hi: int, out: np.ndarray) -> None:
    """Fill ``out`` (rows lo..hi) from one child generator, row after row."""
    rng = np.random.default_rng(seed_seq)
    sampler = _RowSampler(out.shape[1])
    u = np.empty(out.shape[1])
    for r in range(lo, hi):
        rng.random(out=u)
        low, mode, high = plan.params[r]
        sampler.quantiles(u, low, mode, high, bool(plan.is_pert[r]), out[r - lo])


def _apply_risks(plan: Plan, durations: np.ndarray, seed_seq: np.random.SeedSequence) -> np.ndarray:
    """Add risk delays to ``durations`` in place; return occurrences (risks, iterations)."""
    iterations = durations.shape[1]
    occurred = np.zeros((len(plan.risks), iterations), dtype=bool)
    delay = np.empty(iterations)
    sampler = _RowSampler(iterations)
    children = seed_seq.spawn(len(plan.risks))
    for r, (risk, targets) in enumerate(zip(plan.risks, plan.risk_targets, strict=True)):
        rng = np.random.default_rng(children[r])
        occurred[r] = rng.random(iterations) < risk.probability
        pert = risk.distribution == "pert"
        sampler.quantiles(rng.random(iterations), risk.minimum, risk.most_likely, risk.maximum, pert, delay)
        delay[~occurred[r]] = 0.0
        for t in targets:
            durations[t] += delay
    return occurred


def sample_durations(
    plan: Plan, iterations: int, seed: int | None = None, workers: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Sample durations (activities, iterations) incl. risk delays; also risk occurrences.

    Blocks of ``BLOCK`` activities use their own child generator, so ``workers`` changes
    the speed, never the numbers.
    """
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1, got {iterations}")
    root = np.random.SeedSequence(seed)
    activity_seq, risk_seq = root.spawn(2)
    bounds = [(lo, min(lo + BLOCK, plan.size)) for lo in range(0, plan.size, BLOCK)]
    children = activity_seq.spawn(len(bounds))
    durations = np.empty((plan.size, iterations))

    def fill(job: int) -> None:
        lo, hi = bounds[job]
        _sample_block(plan, children[job], lo, hi, durations[lo:hi])

    _run(fill, range(len(bounds)), workers)
    return durations, _apply_risks(plan, durations, risk_seq)


def _run(fn: Callable[[int], None], jobs: Iterable[int], workers: int) -> None:
    jobs = list(jobs)
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            fn(job)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(fn, job) for job in jobs]:
            future.result()


# ------------------------------------------------------------------- shared statistics


@dataclass(frozen=True)
class _Stats:
    """Per-activity statistics, each an array over activities (percentiles: (n, 3))."""

    percentiles: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    criticality: np.ndarray
    sensitivity: np.ndarray
    deadline_probability: np.ndarray


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 0..n-1 with ties sharing their average rank."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    starts = np.concatenate(([True], sorted_values[1:] != sorted_values[:-1]))
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    counts = np.diff(np.append(first, len(values)))
    average = first + (counts - 1) / 2.0
    ranks = np.empty(len(values))
    ranks[order] = average[group]
    return ranks


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    xc = x - x.mean()
    yc = y - y.mean()
    denominator = math.sqrt(float(xc @ xc) * float(yc @ yc))
    return 0.0 if denominator == 0 else float(xc @ yc) / denominator


# ------------------------------------------------------------------------ fast propagation


def _forward_columns(
    plan: Plan, durations: np.ndarray, finish: np.ndarray, progress: Callable[[int], None] | None = None
) -> None:
    """In-place forward pass; starts are recovered as finish - duration.

    ``progress(k)`` is called when the first k activities of ``plan.order`` are final.
    """
    tmp = np.empty(durations.shape[1])
    for done, j in enumerate(plan.order):
        if progress is not None and done % BLOCK == 0:
            progress(done)
        f = finish[j]  # holds the early start until the duration is added
        first = True
        for i, kind, lag in plan.preds[j]:
            source = np.subtract(finish[i], durations[i], out=tmp) if kind in ("SS", "SF") else finish[i]
            if kind in ("FF", "SF"):
                source = np.subtract(source, durations[j], out=tmp)
            if lag:
                source = np.add(source, lag, out=tmp)
            np.maximum(0.0 if first else f, source, out=f)  # never before day 0
            first = False
        if first:
            np.copyto(f, durations[j])
        else:
            f += durations[j]
    if progress is not None:
        progress(len(plan.order))


def _late_slots(plan: Plan) -> tuple[list[int], int]:
    """Rows of a small pool holding late starts during the backward pass.

    Activity i's late start is read only by its predecessors; the pass visits activities
    in reverse topological order, so its row is free again once the earliest of them is
    done. Returns the slot per activity (-1: never read) and the pool size.
    """
    position = {a: k for k, a in enumerate(plan.order)}
    released_by: dict[int, list[int]] = {}
    for j in plan.order:
        if plan.preds[j]:
            first = min((i for i, _, _ in plan.preds[j]), key=position.__getitem__)
            released_by.setdefault(first, []).append(j)
    slots = [-1] * plan.size
    free: list[int] = []
    size = 0
    for i in reversed(plan.order):
        if plan.preds[i]:
            if free:
                slots[i] = free.pop()
            else:
                slots[i] = size
                size += 1
        free.extend(slots[j] for j in released_by.get(i, ()))
    return slots, size


def _backward_pass(plan: Plan, durations: np.ndarray, finish: np.ndarray, project: np.ndarray) -> np.ndarray:
    """Backward pass over ``finish`` (only read); returns zero-float counts per activity.

    Late starts live in a pool of rows (see ``_late_slots``), not a full matrix: less
    memory to fault in and the rows stay in cache. Total float = late - early finish.
    """
    iterations = durations.shape[1]
    slots, size = _late_slots(plan)
    late = np.empty((max(size, 1), iterations))
    critical = np.zeros(len(durations), dtype=np.int64)
    lf = np.empty(iterations)
    tmp = np.empty(iterations)
    flag = np.empty(iterations, dtype=bool)
    for i in reversed(plan.order):
        first = True
        for j, kind, lag in plan.succs[i]:
            bound = late[slots[j]]  # the late start of j
            if kind in ("FF", "SF"):
                bound = np.add(bound, durations[j], out=tmp)
            if kind in ("SS", "SF"):
                bound = np.add(bound, durations[i], out=tmp)
            if lag:
                bound = np.subtract(bound, lag, out=tmp)
            np.minimum(project if first else lf, bound, out=lf)
            first = False
        if first:
            np.copyto(lf, project)
        np.subtract(lf, finish[i], out=tmp)
        np.less_equal(tmp, FLOAT_TOLERANCE, out=flag)
        critical[i] = np.count_nonzero(flag)
        if slots[i] >= 0:
            np.subtract(lf, durations[i], out=late[slots[i]])
    return critical


def forward_pass(plan: Plan, durations: np.ndarray, workers: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Early start and finish (activities, iterations), same result as the reference.

    ``workers`` is accepted for compatibility: the pass is one Python loop of small NumPy
    calls, so column threads only contend for the GIL and it runs in the calling thread.
    """
    finish = np.empty_like(durations)
    _forward_columns(plan, durations, finish)
    return finish - durations, finish


def _percentile_positions(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    positions = np.array(PERCENTILES) / 100.0 * (n - 1)
    below = np.floor(positions).astype(np.intp)
    above = np.minimum(below + 1, n - 1)
    return positions - below, below, above


HISTOGRAM_BINS = 1024  # value buckets per row for exact order statistics


class _StatsWorker:
    """Finish statistics of blocks of ``BLOCK`` rows with one scratch block per thread.

    Percentiles are exact order statistics found without sorting or partitioning rows:
    each value goes to one of ``HISTOGRAM_BINS`` equal-width buckets between its row's
    minimum and maximum by a monotone map (so buckets are ordered intervals), one bincount
    over the block gives every bucket's count, cumulative counts tell which bucket holds
    each wanted rank, and only the few values of those buckets are extracted and sorted.
    That is a handful of vectorised passes instead of an introselect per row.
    """

    def __init__(self, plan: Plan, finish: np.ndarray, out: dict[str, np.ndarray]) -> None:
        self.plan = plan
        self.finish = finish
        self.out = out
        rows, n = min(BLOCK, len(finish)), finish.shape[1]
        self.fraction, below, above = _percentile_positions(n)
        self.ranks = np.concatenate((below, above))  # the 2 ranks per percentile
        self.scratch = np.empty((rows, n))
        self.keys = np.empty((rows, n), dtype=np.intp)
        self.offsets = (np.arange(rows) * HISTOGRAM_BINS).astype(float)[:, None]

    def block(self, lo: int, hi: int) -> None:
        rows = self.finish[lo:hi]
        n = rows.shape[1]
        work = self.scratch[: hi - lo]
        mean = rows.mean(axis=1)
        np.subtract(rows, mean[:, None], out=work)
        self.out["mean"][lo:hi] = mean
        self.out["std"][lo:hi] = np.sqrt(np.einsum("ij,ij->i", work, work) / n)
        self.out["percentiles"][lo:hi] = self._percentiles(rows, work)
        deadlines = self.plan.deadlines[lo:hi]
        has = np.flatnonzero(~np.isnan(deadlines))
        if len(has):
            met = np.count_nonzero(rows[has] <= deadlines[has, None], axis=1)
            self.out["deadline_probability"][lo + has] = met / n

    def _percentiles(self, rows: np.ndarray, work: np.ndarray) -> np.ndarray:
        count, n = rows.shape
        bins = HISTOGRAM_BINS
        keys = self.keys[:count]
        low = rows.min(axis=1)
        span = rows.max(axis=1) - low
        spread = span > 0
        # Below this span (subnormal) (bins - 1) / span overflows: such rows divide first.
        small = spread & (span <= (bins - 1) / sys.float_info.max)
        tiny = np.flatnonzero(small)
        # (x - low) * scale <= (bins - 1)(1 + 3 eps): adding the row offset and truncating
        # keeps every key inside its row's bins, and the map is non-decreasing in x.
        scale = np.divide(bins - 1, span, out=np.zeros(count), where=spread & ~small)
        np.subtract(rows, low[:, None], out=work)
        work *= scale[:, None]
        if len(tiny):
            work[tiny] = (rows[tiny] - low[tiny, None]) / span[tiny, None] * (bins - 1)
        work += self.offsets[:count]
        np.copyto(keys, work, casting="unsafe")
        cumulative = np.zeros(count * bins + 1, dtype=np.intp)
        np.cumsum(np.bincount(keys.ravel(), minlength=count * bins), out=cumulative[1:])
        targets = self.ranks + np.arange(count)[:, None] * n  # ranks within the block
        bucket = np.searchsorted(cumulative, targets, side="right") - 1
        within = targets - cumulative[bucket]
        wanted = np.zeros(count * bins, dtype=bool)
        wanted[bucket[spread].ravel()] = True
        chosen = wanted.take(keys.ravel())
        values = rows.ravel()[chosen]
        chosen_keys = keys.ravel()[chosen]
        order = np.lexsort((values, chosen_keys))
        ordered = values[order]
        position = np.searchsorted(chosen_keys[order], bucket) + within
        np.minimum(position, max(len(ordered) - 1, 0), out=position)
        picked = ordered[position] if len(ordered) else np.zeros_like(within, dtype=float)
        picked = np.where(spread[:, None], picked, low[:, None])  # constant row: its value
        below, above = picked[:, :3], picked[:, 3:]
        return below + (above - below) * self.fraction


class _Ranker:
    """Spearman rho of duration rows with the project finish, ranking by LSD radix sort.

    A row is mapped monotonically onto 32-bit keys, sorted by two stable 16-bit passes
    (NumPy's radix sort, several times faster here than a comparison argsort of doubles);
    a pair of equal keys is put in value order; a real tie (or three equal keys) makes the
    row fall back to exact average ranks.
    """

    def __init__(self, project: np.ndarray) -> None:
        n = len(project)
        self.project_ranks = _average_ranks(project)
        self.centred = self.project_ranks - self.project_ranks.mean()
        self.norm_y = math.sqrt(float(self.centred @ self.centred))
        self.positions = np.arange(n) - (n - 1) / 2.0
        self.norm = math.sqrt(float(self.positions @ self.positions)) * self.norm_y

    def scratch(self) -> tuple[np.ndarray, ...]:
        n = len(self.positions)
        return np.empty(n), np.empty(n, dtype=np.uint32), np.empty(n, dtype=np.uint16)

    def rho(self, row: np.ndarray, scratch: tuple[np.ndarray, ...]) -> float:
        low, high = row.min(), row.max()
        if not high > low:
            return 0.0  # constant duration: its ranks do not vary (as _pearson finds)
        order = self._order(row, low, high, *scratch)
        if order is None:
            return _pearson(_average_ranks(row), self.project_ranks)
        return float(self.centred.take(order) @ self.positions) / self.norm

    @staticmethod
    def _order(
        row: np.ndarray, low: float, high: float, scaled: np.ndarray, keys: np.ndarray, upper: np.ndarray
    ) -> np.ndarray | None:
        """The argsort of a non-constant ``row`` (min ``low``, max ``high``), or None on ties."""
        np.subtract(row, low, out=scaled)
        if high - low > 4294967040.0 / sys.float_info.max:
            scaled *= 4294967040.0 / (high - low)  # keys <= 2**32 - 256 even after rounding
        else:  # a subnormal spread, where the factor would overflow: divide first
            scaled /= high - low
            scaled *= 4294967040.0
        keys[...] = scaled
        halves = keys.view(np.uint16)
        first = _LOW_HALF
        order = np.argsort(halves[first::2], kind="stable")
        np.take(halves[1 - first :: 2], order, out=upper)
        order = order.take(np.argsort(upper, kind="stable"))
        ranked = keys.take(order)
        same = np.flatnonzero(ranked[1:] == ranked[:-1])  # equal keys: ordered by index
        if len(same):
            if (np.diff(same) == 1).any():
                return None  # three or more equal keys
            first, second = order[same], order[same + 1]
            if (row[first] == row[second]).any():
                return None  # a real tie: average ranks needed
            swap = row[first] > row[second]
            order[same[swap]] = second[swap]
            order[same[swap] + 1] = first[swap]
        return order


_LOW_HALF = 0 if sys.byteorder == "little" else 1  # uint16 half holding a uint32's low bits


class _JobQueue:
    """Hand out job numbers 0..count-1 to threads."""

    def __init__(self, count: int) -> None:
        self._jobs = iter(range(count))
        self._lock = threading.Lock()

    def take(self) -> int | None:
        with self._lock:
            return next(self._jobs, None)


def _propagate_and_analyse(plan: Plan, durations: np.ndarray, workers: int) -> tuple[_Stats, np.ndarray]:
    """Forward pass, finish statistics, backward pass and sensitivity; also the project finish.

    The calling thread runs the Python-bound passes; a helper thread (``workers`` > 1)
    takes blocks of finish statistics (long NumPy calls that release the GIL) as soon as
    the forward pass has finished their rows, then sensitivity rows; the calling thread
    joins in for whatever is left. The work for a row never depends on the thread.
    """
    n, iterations = durations.shape
    finish = np.empty_like(durations)
    out = {
        "percentiles": np.empty((n, 3)),
        "mean": np.empty(n),
        "std": np.empty(n),
        "deadline_probability": np.full(n, np.nan),
    }
    position = np.empty(n, dtype=np.intp)
    position[list(plan.order)] = np.arange(n)
    blocks = [(lo, min(lo + BLOCK, n)) for lo in range(0, n, BLOCK)]
    needs = [int(position[lo:hi].max()) + 1 for lo, hi in blocks]  # forward progress needed
    by_readiness = sorted(range(len(blocks)), key=needs.__getitem__)
    stats_queue = _JobQueue(len(blocks))
    finished = [0]  # activities of plan.order already final
    forward_done = threading.Condition()
    shared: dict[str, object] = {}
    backward_done = threading.Event()

    def progress(done: int) -> None:
        with forward_done:
            finished[0] = done
            forward_done.notify_all()

    def statistics() -> None:
        worker = _StatsWorker(plan, finish, out)
        while (job := stats_queue.take()) is not None:
            block = by_readiness[job]
            with forward_done:
                forward_done.wait_for(lambda block=block: finished[0] >= needs[block])
            worker.block(*blocks[block])

    def sensitivities() -> None:
        if "queue" not in shared:
            return
        ranker, rows, queue, sensitivity = (shared[k] for k in ("ranker", "rows", "queue", "sensitivity"))
        scratch = ranker.scratch()
        while (job := queue.take()) is not None:
            for a in rows[job]:
                sensitivity[a] = ranker.rho(durations[a], scratch)

    def helper() -> None:
        statistics()
        backward_done.wait()
        sensitivities()

    def main() -> None:
        try:
            _forward_columns(plan, durations, finish, progress)
            shared["project"] = project = finish.max(axis=0)
            counts = _backward_pass(plan, durations, finish, project)
            criticality = counts / iterations
            ranker = _Ranker(project)
            critical_rows = np.flatnonzero(criticality > 0) if ranker.norm_y else np.empty(0, np.intp)
            rows = [critical_rows[k : k + 16] for k in range(0, len(critical_rows), 16)]
            shared.update(
                criticality=criticality,
                ranker=ranker,
                rows=rows,
                queue=_JobQueue(len(rows)),
                sensitivity=np.zeros(n),
            )
        finally:
            progress(n)  # release a waiting helper even on error
            backward_done.set()
        sensitivities()
        statistics()

    if workers <= 1:
        main()
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(helper)
            try:
                main()
            finally:
                future.result()
    stats = _Stats(
        out["percentiles"],
        out["mean"],
        out["std"],
        shared["criticality"],
        shared["sensitivity"],
        out["deadline_probability"],
    )
    return stats, shared["project"]


def simulate(
    activities: Sequence[Activity],
    links: Sequence[Link] = (),
    risks: Sequence[RiskEvent] = (),
    iterations: int = 10_000,
    seed: int | None = None,
    project_deadline: float | None = None,
    workers: int = 2,
) -> SimulationResult:
    """Run the Monte Carlo simulation (fast implementation); same numbers as the reference."""
    plan = compile_network(activities, links, risks)
    durations, occurred = sample_durations(plan, iterations, seed, workers=workers)
    stats, project = _propagate_and_analyse(plan, durations, workers)
    return _result(plan, iterations, seed, stats, project, occurred, project_deadline)


# ------------------------------------------------------------------------------ results


def _result(
    plan: Plan,
    iterations: int,
    seed: int | None,
    stats: _Stats,
    project: np.ndarray,
    occurred: np.ndarray,
    project_deadline: float | None,
) -> SimulationResult:
    activities = {
        name: ActivityResult(
            id=name,
            p50=float(stats.percentiles[a, 0]),
            p80=float(stats.percentiles[a, 1]),
            p95=float(stats.percentiles[a, 2]),
            mean=float(stats.mean[a]),
            std=float(stats.std[a]),
            criticality=float(stats.criticality[a]),
            sensitivity=float(stats.sensitivity[a]),
            deadline=None if np.isnan(plan.deadlines[a]) else float(plan.deadlines[a]),
            deadline_probability=None
            if np.isnan(stats.deadline_probability[a])
            else float(stats.deadline_probability[a]),
        )
        for a, name in enumerate(plan.ids)
    }
    tornado = sorted(
        ((name, float(stats.sensitivity[a])) for a, name in enumerate(plan.ids) if stats.sensitivity[a] != 0),
        key=lambda item: (-abs(item[1]), item[0]),
    )
    return SimulationResult(
        iterations=iterations,
        seed=seed,
        activities=activities,
        project=_project_result(project, project_deadline),
        tornado=tornado,
        risks=_risk_results(plan, occurred, project),
    )


def _project_result(project: np.ndarray, deadline: float | None) -> ActivityResult:
    p50, p80, p95 = np.percentile(project, PERCENTILES)
    return ActivityResult(
        id="<project>",
        p50=float(p50),
        p80=float(p80),
        p95=float(p95),
        mean=float(project.mean()),
        std=float(project.std()),
        criticality=1.0,
        sensitivity=1.0,
        deadline=deadline,
        deadline_probability=None if deadline is None else float(np.mean(project <= deadline)),
    )


def _risk_results(plan: Plan, occurred: np.ndarray, project: np.ndarray) -> list[RiskResult]:
    results = []
    for r, risk in enumerate(plan.risks):
        hit = occurred[r]
        impact = None
        if hit.any() and not hit.all():
            impact = float(project[hit].mean() - project[~hit].mean())
        results.append(RiskResult(risk.id, float(hit.mean()), impact))
    return results
