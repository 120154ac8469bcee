"""Schedule-risk Monte Carlo: deterministic limits, analytic means, oracle, properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portolan.engine import montecarlo as mc
from portolan.engine.montecarlo import (
    Activity,
    EstimateError,
    Link,
    NetworkError,
    RiskEvent,
    compile_network,
    forward_pass,
    sample_durations,
    simulate,
    three_point_quantiles,
)
from portolan.engine.montecarlo_reference import (
    _spearman_reference,
    forward_pass_reference,
    simulate_reference,
)


def fixed(name, days, deadline=None):
    return Activity(name, duration=days, deadline=deadline)


def test_fixed_durations_give_the_critical_path_dates_for_all_link_types():
    # A(5) -FS+2-> B(4) -SS+1-> C(3) -FF+2-> D(2) -SF+4-> E(6); F(1) finish-to-start from A.
    activities = [fixed("A", 5), fixed("B", 4), fixed("C", 3), fixed("D", 2), fixed("E", 6), fixed("F", 1)]
    links = [
        Link("A", "B", "FS", 2),
        Link("B", "C", "SS", 1),
        Link("C", "D", "FF", 2),
        Link("D", "E", "SF", 4),
    ]
    links.append(Link("A", "F", "FS", -1))
    result = simulate(activities, links, iterations=200, seed=1)
    # B starts 7, ends 11; C starts 8, ends 11; D ends 13 (starts 11); E ends >= 11 + 4 = 15
    # so starts 9, ends 15; F starts 4, ends 5.
    expected = {"A": 5, "B": 11, "C": 11, "D": 13, "E": 15, "F": 5}
    for name, finish in expected.items():
        r = result.activities[name]
        assert (r.p50, r.p80, r.p95, r.mean, r.std) == (finish, finish, finish, finish, 0)
    assert result.project.p95 == 15
    assert {k: v.criticality for k, v in result.activities.items()} == {
        "A": 1, "B": 1, "C": 1, "D": 1, "E": 1, "F": 0
    }  # fmt: skip


def test_start_never_before_day_zero_with_leads():
    result = simulate([fixed("A", 2), fixed("B", 10)], [Link("A", "B", "FF", -5)], iterations=10, seed=0)
    assert result.activities["B"].p50 == 10  # FF would allow finish 2 - 5 < 10: B starts at 0


@pytest.mark.parametrize(
    ("distribution", "mean"),
    [("pert", lambda a, m, b: (a + 4 * m + b) / 6), ("triangular", lambda a, m, b: (a + m + b) / 3)],
)
def test_chain_mean_matches_analytic_sum(distribution, mean):
    estimates = [(2, 5, 14), (1, 1, 4), (3, 8, 9), (0, 2, 2), (10, 12, 30)]
    activities = [Activity(f"T{i}", *e, distribution=distribution) for i, e in enumerate(estimates)]
    links = [Link(f"T{i}", f"T{i + 1}") for i in range(len(estimates) - 1)]
    result = simulate(activities, links, iterations=40_000, seed=3)
    expected = sum(mean(*e) for e in estimates)
    assert result.project.mean == pytest.approx(expected, abs=0.1)
    assert all(r.criticality == 1.0 for r in result.activities.values())  # a chain is always critical


def test_pert_table_sampling_is_accurate_for_a_skewed_estimate():
    activity = Activity("X", 0, 10, 10)  # alpha = 5: the hardest tail of the quantile table
    plan = compile_network([activity])
    durations, _ = sample_durations(plan, 200_000, seed=5)
    assert durations.mean() == pytest.approx(50 / 6, abs=0.02)
    assert durations.var() == pytest.approx(((50 / 6) * (10 - 50 / 6)) / 7, rel=0.02)
    assert durations.min() >= 0 and durations.max() <= 10


def test_pert_quantile_table_matches_closed_forms():
    levels = np.linspace(0.001, 0.999, 999)
    # Beta(2, 4): CDF 1 - (1-x)^5 - 5x(1-x)^4, inverted by bisection.
    low, high = np.zeros_like(levels), np.ones_like(levels)
    for _ in range(60):
        mid = (low + high) / 2
        below = 1 - (1 - mid) ** 5 - 5 * mid * (1 - mid) ** 4 < levels
        low, high = np.where(below, mid, low), np.where(below, high, mid)
    exact = {0.25: (low + high) / 2, 1.0: levels**0.2, 0.0: 1 - (1 - levels) ** 0.2}
    for mode, quantiles in exact.items():  # on [0, 1]: alpha = 1 + 4 * mode
        got = three_point_quantiles(np.array([[0.0, mode, 1.0]]), np.array([True]), levels[None, :])[0]
        assert np.abs(got - quantiles).max() < 1e-4


def test_empty_network_is_refused():
    with pytest.raises(NetworkError, match="no activity"):
        compile_network([])


def network(size=60, seed=11):
    rng = np.random.default_rng(seed)
    activities = []
    for k in range(size):
        low = float(rng.uniform(0, 5))
        mode = low + float(rng.uniform(0, 5))
        high = mode + float(rng.uniform(0, 10))
        activities.append(
            Activity(
                f"A{k}", low, mode, high, distribution="pert" if k % 2 else "triangular", deadline=3.0 * k
            )
        )
    links = []
    for k in range(1, size):
        for p in set(rng.integers(0, k, size=2).tolist()):
            links.append(
                Link(
                    f"A{p}",
                    f"A{k}",
                    ["FS", "SS", "FF", "SF"][int(rng.integers(4))],
                    float(rng.integers(-2, 3)),
                )
            )
    risks = [RiskEvent("R1", 0.3, ("A5", "A20"), 1, 4, 10), RiskEvent("R2", 0.1, ("A40",), 5, 5, 5)]
    return activities, links, risks


def test_same_seed_same_result_and_workers_do_not_change_numbers():
    activities, links, risks = network()
    a = simulate(activities, links, risks, iterations=2_000, seed=42)
    b = simulate(activities, links, risks, iterations=2_000, seed=42, workers=1)
    assert a == b
    c = simulate(activities, links, risks, iterations=2_000, seed=43)
    assert c.project.mean != a.project.mean


def test_fast_equals_reference_implementation():
    activities, links, risks = network()
    fast = simulate(activities, links, risks, iterations=3_000, seed=9, project_deadline=150)
    ref = simulate_reference(activities, links, risks, iterations=3_000, seed=9, project_deadline=150)
    pairs = [(fast.project, ref.project)] + [(fast.activities[n], r) for n, r in ref.activities.items()]
    for f, r in pairs:
        for field in (
            "p50",
            "p80",
            "p95",
            "mean",
            "std",
            "criticality",
            "sensitivity",
            "deadline_probability",
        ):
            assert getattr(f, field) == pytest.approx(getattr(r, field), rel=1e-9, abs=1e-9), (r.id, field)
    assert [n for n, _ in fast.tornado[:10]] == [n for n, _ in ref.tornado[:10]]
    for f, r in zip(fast.risks, ref.risks, strict=True):
        assert (f.id, f.occurrence_rate) == (r.id, r.occurrence_rate)
        assert f.mean_finish_impact == pytest.approx(r.mean_finish_impact, rel=1e-9, abs=1e-9)


def test_outputs_are_sensible():
    activities, links, risks = network()
    result = simulate(activities, links, risks, iterations=3_000, seed=1, project_deadline=1e9)
    assert result.project.deadline_probability == 1.0
    # every iteration has a critical path, so criticality indices add up to at least 1
    assert sum(r.criticality for r in result.activities.values()) >= 1.0
    assert all(-1 <= s <= 1 for _, s in result.tornado)
    assert abs(result.tornado[0][1]) >= abs(result.tornado[-1][1])
    r1 = next(r for r in result.risks if r.id == "R1")
    assert r1.occurrence_rate == pytest.approx(0.3, abs=0.03)
    assert 0 <= result.activities["A10"].deadline_probability <= 1


def test_single_chain_criticality_and_sensitivity():
    activities = [Activity("A", 1, 2, 9), Activity("B", 1, 2, 3)]
    result = simulate(activities, [Link("A", "B")], iterations=5_000, seed=2)
    assert result.activities["A"].criticality == result.activities["B"].criticality == 1.0
    assert result.tornado[0][0] == "A"  # the wider estimate drives the finish


def test_inconsistent_estimates_name_activity_and_values():
    with pytest.raises(EstimateError, match=r"'Build'.*minimum=5.*most likely=3.*maximum=8"):
        compile_network([Activity("Build", 5, 3, 8)])
    with pytest.raises(EstimateError, match=r"'Test'.*negative minimum -2"):
        compile_network([Activity("Test", -2, 3, 8)])
    with pytest.raises(EstimateError, match=r"'Fix'.*negative"):
        compile_network([Activity("Fix", duration=-1)])
    with pytest.raises(EstimateError, match=r"risk 'R'.*probability"):
        compile_network([fixed("A", 1)], risks=[RiskEvent("R", 1.5, ("A",), 1, 2, 3)])


def test_cycle_is_refused_naming_the_cycle():
    activities = [fixed(n, 1) for n in "ABCD"]
    links = [Link("A", "B"), Link("B", "C"), Link("C", "D", "SS"), Link("D", "B")]
    with pytest.raises(NetworkError, match="cycle: B -> C -> D -> B"):
        compile_network(activities, links)


def test_unknown_activity_and_duplicates_are_refused():
    with pytest.raises(NetworkError, match="'Z'"):
        compile_network([fixed("A", 1)], [Link("A", "Z")])
    with pytest.raises(NetworkError, match="duplicate activity id 'A'"):
        compile_network([fixed("A", 1), fixed("A", 2)])


@st.composite
def random_networks(draw):
    size = draw(st.integers(1, 12))
    activities = []
    for k in range(size):
        low = draw(st.floats(0, 20))
        mode = low + draw(st.floats(0, 20))
        high = mode + draw(st.floats(0, 20))
        kind = draw(st.sampled_from(["pert", "triangular"]))
        activities.append(Activity(f"N{k}", low, mode, high, distribution=kind))
    links = []
    for k in range(1, size):
        for p in draw(st.sets(st.integers(0, k - 1), max_size=3)):
            kind = draw(st.sampled_from(["FS", "SS", "FF", "SF"]))
            links.append(Link(f"N{p}", f"N{k}", kind, draw(st.floats(-5, 5))))
    return activities, links


@settings(deadline=None, max_examples=40)
@given(random_networks(), st.integers(0, 2**32 - 1))
def test_every_link_is_respected_and_percentiles_ordered(net, seed):
    activities, links = net
    plan = compile_network(activities, links)
    durations, _ = sample_durations(plan, 64, seed)
    start, finish = forward_pass(plan, durations)
    ref_start, ref_finish = forward_pass_reference(plan, durations)
    np.testing.assert_allclose(finish, ref_finish, rtol=0, atol=1e-9)
    index = {a.id: i for i, a in enumerate(activities)}
    tol = 1e-9
    assert (start >= -tol).all()
    for link in links:
        i, j = index[link.predecessor], index[link.successor]
        source = finish[i] if link.type in ("FS", "FF") else start[i]
        target = start[j] if link.type in ("FS", "SS") else finish[j]
        assert (target >= source + link.lag - tol).all()
    result = simulate(activities, links, iterations=64, seed=seed)
    for r in result.activities.values():
        assert r.p50 <= r.p80 <= r.p95
        assert 0 <= r.criticality <= 1
    assert result.project.p50 <= result.project.p80 <= result.project.p95


def _row_statistics(rows):
    """Run the fast per-block finish statistics on ``rows`` (treated as finish rows)."""
    rows = np.ascontiguousarray(rows, dtype=float)
    plan = compile_network([fixed(f"R{k}", 1) for k in range(len(rows))])
    out = {
        "percentiles": np.empty((len(rows), 3)),
        "mean": np.empty(len(rows)),
        "std": np.empty(len(rows)),
        "deadline_probability": np.full(len(rows), np.nan),
    }
    worker = mc._StatsWorker(plan, rows, out)
    for lo in range(0, len(rows), mc.BLOCK):
        worker.block(lo, min(lo + mc.BLOCK, len(rows)))
    return out


@pytest.mark.parametrize("iterations", [1, 2, 3, 7, 100, 5_001])
def test_histogram_percentiles_equal_numpy_on_awkward_rows(iterations):
    rng = np.random.default_rng(iterations)
    rows = [
        rng.normal(100, 20, iterations),
        np.full(iterations, 12.5),  # constant
        np.where(rng.random(iterations) < 0.9, 30.0, rng.uniform(30, 90, iterations)),  # point mass
        np.round(rng.uniform(0, 5, iterations)),  # many ties
        np.concatenate(([1e6], rng.uniform(0, 1, iterations - 1))),  # one huge outlier
        rng.exponential(3, iterations) ** 3,  # heavy tail
        1000 + np.arange(iterations) * 1e-12,  # values a few ulps apart
    ] + [rng.gamma(2, 5, iterations) for _ in range(70)]  # more rows than one block
    rows = np.array(rows)
    out = _row_statistics(rows)
    expected = np.percentile(rows, mc.PERCENTILES, axis=1).T
    np.testing.assert_allclose(out["percentiles"], expected, rtol=1e-12, atol=0)
    np.testing.assert_allclose(out["mean"], rows.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(out["std"], rows.std(axis=1), rtol=1e-9, atol=1e-12)
    assert out["percentiles"][1].tolist() == [12.5, 12.5, 12.5] and out["std"][1] == 0


def test_percentiles_of_rows_spread_over_subnormal_values():
    # Hypothesis found a PERT estimate of 0 / 0 / 5e-324 days: (bins - 1) / span overflowed.
    rng = np.random.default_rng(5)
    rows = np.array([rng.integers(0, 4, 500) * 5e-324, np.where(rng.random(500) < 0.5, 0.0, 5e-324)])
    out = _row_statistics(rows)
    expected = np.percentile(rows, mc.PERCENTILES, axis=1).T
    np.testing.assert_allclose(out["percentiles"], expected, rtol=0, atol=5e-324)
    assert (out["percentiles"] >= 0).all() and (out["percentiles"] <= rows.max(axis=1)[:, None]).all()
    result = simulate([Activity("N0", 0.0, 0.0, 5e-324)], [], iterations=64, seed=0)
    assert 0 <= result.project.p50 <= result.project.p80 <= result.project.p95 <= 5e-324


def test_radix_spearman_equals_reference_with_ties_and_near_collisions():
    rng = np.random.default_rng(4)
    n = 4_000
    project = rng.normal(500, 30, n)
    project[:50] = 480.0  # ties in the project finish too
    ranker = mc._Ranker(project)
    scratch = ranker.scratch()
    base = rng.uniform(1, 20, n)
    near = base.copy()
    near[1::2] = np.nextafter(near[0::2], np.inf)  # pairs one ulp apart: equal 32-bit keys
    triple = base.copy()
    triple[1:9] = np.nextafter(triple[0], np.inf)  # many equal keys
    rows = {
        "plain": base,
        "correlated": project / 50 + rng.normal(0, 1, n),
        "near": near,
        "near reversed": near[::-1].copy(),
        "triple": triple,
        "ties": np.round(base),
        "constant": np.full(n, 3.0),
        "outlier": np.concatenate(([1e9], base[1:])),
        "subnormal": rng.permutation(n) * 5e-324,  # spread so small 2**32 / spread overflows
    }
    for name, row in rows.items():
        expected = _spearman_reference(row, project)
        assert ranker.rho(row, scratch) == pytest.approx(expected, rel=1e-9, abs=1e-12), name


def test_late_start_pool_is_smaller_than_the_network():
    activities, links, risks = network()
    plan = compile_network(activities, links, risks)
    slots, size = mc._late_slots(plan)
    assert 0 < size < plan.size
    assert all((s >= 0) == bool(plan.preds[a]) for a, s in enumerate(slots))


@settings(deadline=None, max_examples=30)
@given(random_networks(), st.integers(0, 2**32 - 1), st.integers(1, 300))
def test_fast_equals_reference_on_random_networks(net, seed, iterations):
    activities, links = net
    fast = simulate(activities, links, iterations=iterations, seed=seed)
    single = simulate(activities, links, iterations=iterations, seed=seed, workers=1)
    ref = simulate_reference(activities, links, iterations=iterations, seed=seed)
    assert fast == single
    for name, r in ref.activities.items():
        f = fast.activities[name]
        for field in ("p50", "p80", "p95", "mean", "std", "criticality", "sensitivity"):
            assert getattr(f, field) == pytest.approx(getattr(r, field), rel=1e-9, abs=1e-9), (name, field)
