"""Readers for the PSPLIB single-mode RCPSP benchmark (Kolisch & Sprecher 1997).

``read_sm`` parses an instance (``.sm``) into an :class:`RcpspProblem`; ``read_makespans``,
``read_bounds`` and ``read_index`` read the published reference values (``j30opt.sm``,
``jXXhrs.sm``, ``jXXlb.sm``) and the derived ``psplib_index.csv``. Jobs are 0-based here
(PSPLIB numbers them from 1); the dummy source and sink are kept so file order is preserved.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from portolan.engine.rcpsp import RcpspProblem

__all__ = [
    "Reference",
    "instance_paths",
    "read_bounds",
    "read_index",
    "read_makespans",
    "read_sm",
]

_SECTION_RULE = re.compile(r"^[*=-]{10,}")


@dataclass(frozen=True)
class Reference:
    """Published figures for one instance (one row of ``psplib_index.csv``)."""

    instance: str
    cpm_lower_bound: int
    best_known_ub: int
    best_lb: int | None
    optimal_known: bool


def read_sm(path: str | Path) -> RcpspProblem:
    """Parse a PSPLIB single-mode ``.sm`` file."""
    path = Path(path)
    lines = path.read_text(encoding="latin-1").splitlines()
    header = _header_values(lines)
    n_jobs = int(header["jobs (incl. supersource/sink )"])
    successors = _section_rows(lines, "PRECEDENCE RELATIONS:", n_jobs)
    requests = _section_rows(lines, "REQUESTS/DURATIONS:", n_jobs)
    capacities = _section_rows(lines, "RESOURCEAVAILABILITIES:", 1)[0]
    succ: list[tuple[int, ...]] = [()] * n_jobs
    for row in successors:
        job, _modes, count, *rest = row
        if len(rest) != count:
            raise ValueError(f"{path.name}: job {job} lists {len(rest)} successors, header says {count}")
        succ[job - 1] = tuple(s - 1 for s in rest)
    durations = [0] * n_jobs
    demands: list[tuple[int, ...]] = [()] * n_jobs
    for row in requests:
        job, _mode, duration, *req = row
        if len(req) != len(capacities):
            raise ValueError(
                f"{path.name}: job {job} has {len(req)} requests for {len(capacities)} resources"
            )
        durations[job - 1] = duration
        demands[job - 1] = tuple(req)
    return RcpspProblem(
        name=path.stem,
        durations=tuple(durations),
        successors=tuple(succ),
        demands=tuple(demands),
        capacities=tuple(capacities),
        horizon=int(header["horizon"]),
    )


def _header_values(lines: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in lines:
        if line.startswith("PROJECT INFORMATION"):
            break
        key, sep, value = line.partition(":")
        if sep and value.strip():
            values[key.strip().lstrip("- ").strip()] = value.split()[0]
    return values


def _section_rows(lines: list[str], title: str, count: int) -> list[list[int]]:
    """The first ``count`` all-integer rows after the line starting with ``title``."""
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    rows: list[list[int]] = []
    for line in lines[start + 1 :]:
        if len(rows) == count:
            break
        tokens = line.split()
        if tokens and all(t.isdigit() for t in tokens):
            rows.append([int(t) for t in tokens])
        elif rows and _SECTION_RULE.match(line):
            break
    if len(rows) != count:
        raise ValueError(f"section {title!r}: expected {count} rows, found {len(rows)}")
    return rows


def instance_paths(paths: list[str | Path]) -> list[Path]:
    """Expand files and directories into ``.sm`` files, in natural order (``j301_2`` before ``j301_10``)."""
    found: list[Path] = []
    for p in map(Path, paths):
        found.extend(sorted(p.glob("*.sm"), key=_natural_key) if p.is_dir() else [p])
    return found


def _natural_key(path: Path) -> list[int | str]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.stem)]


def _set_prefix(path: Path) -> str:
    match = re.match(r"(j\d+)", path.name)
    if not match:
        raise ValueError(f"cannot tell the instance set from the file name {path.name}")
    return match.group(1)


def _table_rows(path: Path) -> list[list[str]]:
    """Rows whose first three tokens are integers (parameter, instance, value)."""
    rows = []
    for line in path.read_text(encoding="latin-1").splitlines():
        tokens = line.split()
        if len(tokens) >= 3 and all(t.isdigit() for t in tokens[:3]):
            rows.append(tokens)
    return rows


def read_makespans(path: str | Path) -> dict[str, int]:
    """Makespans from ``j30opt.sm`` (optimal) or ``jXXhrs.sm`` (best known), keyed ``j301_1``."""
    path = Path(path)
    prefix = _set_prefix(path)
    return {f"{prefix}{r[0]}_{r[1]}": int(r[2]) for r in _table_rows(path)}


def read_bounds(path: str | Path) -> dict[str, tuple[int, int, bool]]:
    """``(upper bound, lower bound, proven optimal)`` from a ``jXXlb.sm`` table."""
    path = Path(path)
    prefix = _set_prefix(path)
    return {
        f"{prefix}{r[0]}_{r[1]}": (int(r[2]), int(r[3]), len(r) > 4 and r[4] == "*")
        for r in _table_rows(path)
        if len(r) >= 4 and r[3].isdigit()
    }


def read_index(path: str | Path) -> dict[str, Reference]:
    """Rows of ``psplib_index.csv`` keyed by instance name."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return {
            row["instance"]: Reference(
                instance=row["instance"],
                cpm_lower_bound=int(row["cpm_lower_bound"]),
                best_known_ub=int(row["best_known_ub"]),
                best_lb=int(row["best_lb"]) if row["best_lb"] else None,
                optimal_known=row["optimal_known"] == "1",
            )
            for row in csv.DictReader(handle)
        }
