"""PSPLIB readers on the real benchmark files (no database)."""

import pytest

from portolan.engine.psplib import instance_paths, read_bounds, read_index, read_makespans, read_sm
from portolan.engine.rcpsp import (
    _conflict_cliques,
    _path_delays,
    critical_path_bound,
    heuristic_schedule,
)
from tests.shared_data import SHARED_DATA

DATA = SHARED_DATA / "scheduling" / "psplib"
SOLUTIONS = DATA / "solutions"


def test_reads_j301_1_exactly() -> None:
    problem = read_sm(DATA / "j30" / "j301_1.sm")
    assert problem.name == "j301_1"
    assert problem.n_jobs == 32
    assert problem.horizon == 158
    assert problem.capacities == (12, 13, 4, 12)
    assert problem.successors[0] == (1, 2, 3)  # file: job 1 -> 2 3 4
    assert problem.successors[1] == (5, 10, 14)  # file: job 2 -> 6 11 15
    assert problem.successors[-1] == ()
    assert problem.durations[:4] == (0, 8, 4, 6)
    assert problem.demands[2] == (10, 0, 0, 0)
    assert problem.demands[25] == (0, 0, 4, 0)
    assert critical_path_bound(problem) == 38  # MPM-Time in the file header


@pytest.mark.parametrize(("name", "count", "jobs"), [("j30", 480, 32), ("j60", 480, 62), ("j120", 600, 122)])
def test_every_set_has_its_instances(name: str, count: int, jobs: int) -> None:
    paths = instance_paths([DATA / name])
    assert len(paths) == count
    assert read_sm(paths[0]).n_jobs == jobs
    assert read_sm(paths[-1]).n_jobs == jobs


def test_instance_paths_are_in_natural_order() -> None:
    names = [p.stem for p in instance_paths([DATA / "j30"])[:11]]
    assert names == [f"j301_{i}" for i in range(1, 11)] + ["j302_1"]


def test_instance_paths_accepts_files_and_directories() -> None:
    file = DATA / "j60" / "j601_1.sm"
    assert instance_paths([file, DATA / "j30"])[0] == file
    assert len(instance_paths([file, DATA / "j30"])) == 481


def test_all_j30_files_match_the_index_cpm_bound() -> None:
    index = read_index(DATA / "psplib_index.csv")
    for path in instance_paths([DATA / "j30"]):
        problem = read_sm(path)
        assert critical_path_bound(problem) == index[problem.name].cpm_lower_bound


def test_j30_optimal_makespans() -> None:
    optimum = read_makespans(SOLUTIONS / "j30opt.sm")
    assert len(optimum) == 480
    assert optimum["j301_1"] == 43
    assert optimum["j301_2"] == 47
    assert optimum == read_makespans(SOLUTIONS / "j30hrs.sm")


def test_best_known_upper_bounds_j120_latin1() -> None:
    best = read_makespans(SOLUTIONS / "j120hrs.sm")
    assert len(best) == 600
    assert best["j1201_1"] == 105
    assert best["j1201_2"] == 109


def test_lower_bound_table() -> None:
    bounds = read_bounds(SOLUTIONS / "j120lb.sm")
    assert len(bounds) == 600
    assert bounds["j1201_1"] == (105, 104, False)
    assert bounds["j1201_2"] == (109, 109, True)
    assert sum(optimal for *_, optimal in bounds.values()) == 289


def test_index_rows() -> None:
    index = read_index(DATA / "psplib_index.csv")
    assert len(index) == 480 + 480 + 600  # this copy holds no J90 rows
    ref = index["j301_1"]
    assert (ref.cpm_lower_bound, ref.best_known_ub, ref.best_lb, ref.optimal_known) == (38, 43, 43, True)
    assert sum(r.optimal_known for r in index.values() if r.instance.startswith("j120")) == 294


@pytest.mark.parametrize("name", ["j301_1", "j3013_1", "j3029_2"])
def test_redundant_rcpsp_constraints_cut_no_schedule(name: str) -> None:
    """The closure delays and no-overlap cliques added to the CP-SAT model hold in a heuristic
    schedule, every clique really can never overlap, and every clashing pair is covered."""
    problem = read_sm(DATA / "j30" / f"{name}.sm")
    starts = heuristic_schedule(problem, samples=5)

    def clash(a: int, b: int) -> bool:
        pairs = zip(problem.demands[a], problem.demands[b], problem.capacities, strict=True)
        return any(da + db > cap for da, db, cap in pairs)

    delays = _path_delays(problem)
    for a, successors in enumerate(problem.successors):
        for s in successors:
            assert delays[a][s] >= problem.durations[a]
    for a, row in enumerate(delays):
        for b, delay in row.items():
            assert starts[b] >= starts[a] + delay
    cliques = _conflict_cliques(problem)
    covered = {frozenset((x, y)) for c in cliques for i, x in enumerate(c) for y in c[i + 1 :]}
    for clique in cliques:
        for i, a in enumerate(clique):
            for b in clique[i + 1 :]:
                assert clash(a, b)
                end_a, end_b = starts[a] + problem.durations[a], starts[b] + problem.durations[b]
                assert end_a <= starts[b] or end_b <= starts[a]
    jobs = [j for j in range(problem.n_jobs) if problem.durations[j] > 0]
    for i, a in enumerate(jobs):
        for b in jobs[i + 1 :]:
            assert not clash(a, b) or frozenset((a, b)) in covered
