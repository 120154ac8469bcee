"""pm4py oracle: reference values for the parity tests, and pm4py timings for the benchmark.

pm4py is AGPL: Portolan never imports it. Run this script with an interpreter that has pm4py,
e.g. ``/tmp/pm4py-venv/bin/python benchmarks/pm4py_reference.py reference`` (writes
``tests/engine/data/pm4py_reference_{servicenow,volvo}.json``) or
``... bench FILE --preset servicenow`` (prints one JSON object of timings).

Both logs are read with the correct timestamp format (ServiceNow is day-first) and the same
mapping as Portolan's presets; ``pm4py.format_dataframe`` sorts by (case, timestamp, file row),
the same stable order as Portolan.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import resource
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "itsm"
OUT = ROOT / "tests" / "engine" / "data"

LOGS: dict[str, dict[str, Any]] = {
    "servicenow": {
        "path": DATA / "servicenow-incidents" / "incident_event_log.zip",
        "case": "number",
        "activity": "incident_state",
        "timestamp": "sys_updated_at",
        "format": "%d/%m/%Y %H:%M",
        # What Portolan's preset also reads: resource, group and the attributes.
        "more": ["assigned_to", "assignment_group", "priority", "category", "contact_type", "made_sla"]
        + ["reassignment_count"],
    },
    "volvo": {
        "path": DATA / "volvo-incidents" / "volvo-it-incidents-bpic2013.zip",
        "case": "SR Number",
        "activity": "Activity",
        "timestamp": "Change Date+Time",
        "format": "ISO8601",
        "more": ["Resource", "Involved ST", "ST Level", "SR Latest Impact", "Product", "Country"],
    },
}
MAX_VARIANTS = 500


def peak_rss_mb() -> float:
    """Peak resident memory of this process (MiB): VmHWM, which, unlike ru_maxrss, resets on exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def quiet_import_pm4py() -> Any:
    """Import pm4py without its banner on stdout."""
    with contextlib.redirect_stdout(io.StringIO()):
        import pm4py
    return pm4py


def read_frame(path: Path, spec: dict[str, Any], columns: str = "core") -> pd.DataFrame:
    """Read the case, activity and timestamp columns (``columns="core"``), or those and every
    other column Portolan's preset reads (``"preset"``), of a CSV (in a zip: its one
    non-__MACOSX csv) or a Parquet file."""
    cols = [spec["case"], spec["activity"], spec["timestamp"]]
    if columns == "preset":
        cols += spec["more"]
    if path.suffix == ".parquet":
        return pd.read_parquet(path, columns=cols)
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            (name,) = [n for n in archive.namelist() if n.endswith(".csv") and not n.startswith("__MACOSX/")]
            with archive.open(name) as fh:
                return pd.read_csv(fh, usecols=cols, dtype=str, encoding="utf-8-sig")
    return pd.read_csv(path, usecols=cols, dtype=str, encoding="utf-8-sig")


def prepare(pm4py: Any, df: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    """Parse timestamps with the known format (to UTC) and let pm4py format and sort the frame."""
    df[spec["timestamp"]] = pd.to_datetime(df[spec["timestamp"]], format=spec["format"], utc=True)
    return pm4py.format_dataframe(
        df, case_id=spec["case"], activity_key=spec["activity"], timestamp_key=spec["timestamp"]
    )


def analyses(pm4py: Any, log: pd.DataFrame) -> dict[str, Any]:
    """The pm4py calls Portolan's ``analyze`` is compared with."""
    dfg, start, end = pm4py.discover_dfg(log)
    mean_dfg, _, _ = pm4py.discover_performance_dfg(log)
    variants = pm4py.get_variants(log)
    durations = np.asarray(pm4py.get_all_case_durations(log), dtype=float)
    return {"dfg": dfg, "start": start, "end": end, "perf": mean_dfg, "variants": variants, "dur": durations}


def to_reference(log: pd.DataFrame, res: dict[str, Any]) -> dict[str, Any]:
    """JSON-friendly reference values (all variants if few, else the top ones plus a hash)."""
    variants = sorted(
        ({"activities": list(k), "count": int(v)} for k, v in res["variants"].items()),
        key=lambda v: (-v["count"], v["activities"]),
    )
    digest = variants_digest(variants)
    dur = res["dur"]
    return {
        "events": len(log),
        "cases": int(log["case:concept:name"].nunique()),
        "dfg": sorted([a, b, int(n)] for (a, b), n in res["dfg"].items()),
        "start_activities": {k: int(v) for k, v in sorted(res["start"].items())},
        "end_activities": {k: int(v) for k, v in sorted(res["end"].items())},
        "variant_count": len(variants),
        "variants_sha256": digest,
        "variants": variants[:MAX_VARIANTS],
        "performance_dfg": sorted(
            [a, b, float(v["mean"]), float(v["median"])] for (a, b), v in res["perf"].items()
        ),
        "case_duration_seconds": {
            "mean": float(dur.mean()),
            "median": float(np.median(dur)),
            "p90": float(np.percentile(dur, 90)),
        },
    }


def variants_digest(variants: list[dict[str, Any]]) -> str:
    """The hash stored with the reference, recomputable by the tests from Portolan's variants."""
    return hashlib.sha256(
        json.dumps(sorted([v["activities"], v["count"]] for v in variants)).encode()
    ).hexdigest()


def reference(names: list[str]) -> None:
    """Write the reference JSON of each named shared log."""
    pm4py = quiet_import_pm4py()
    OUT.mkdir(parents=True, exist_ok=True)
    for name in names:
        spec = LOGS[name]
        log = prepare(pm4py, read_frame(spec["path"], spec), spec)
        ref = {"pm4py_version": pm4py.__version__, "timestamp_format": spec["format"]}
        ref |= to_reference(log, analyses(pm4py, log))
        dest = OUT / f"pm4py_reference_{name}.json"
        dest.write_text(json.dumps(ref, sort_keys=True, separators=(",", ":")) + "\n")
        print(f"{dest}: {ref['events']} events, {ref['cases']} cases, {ref['variant_count']} variants")


def bench(path: Path, name: str, columns: str, repeat: int = 1) -> None:
    """Time pm4py end to end on one file (best of ``repeat`` runs, as Portolan's figure is);
    print one JSON object."""
    spec = LOGS[name]
    t0 = time.perf_counter()
    pm4py = quiet_import_pm4py()
    import_s = time.perf_counter() - t0
    runs = []
    for _ in range(repeat):
        t_start = time.perf_counter()
        df = read_frame(path, spec, columns)
        t_read = time.perf_counter()
        log = prepare(pm4py, df, spec)
        t_prep = time.perf_counter()
        res = analyses(pm4py, log)
        t_done = time.perf_counter()
        runs.append(
            {
                "events": len(log),
                "columns": len(df.columns),
                "variants": len(res["variants"]),
                "import_s": import_s,
                "read_s": t_read - t_start,
                "format_s": t_prep - t_read,
                "analyses_s": t_done - t_prep,
                "end_to_end_s": t_done - t_start,
            }
        )
        del df, log, res
    best = min(runs, key=lambda r: r["end_to_end_s"])
    print(json.dumps({**best, "runs": len(runs), "peak_rss_mb": peak_rss_mb()}))


def main(argv: list[str] | None = None) -> None:
    """Command line: ``reference [NAME...]`` or ``bench FILE --preset NAME``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    ref = sub.add_parser("reference")
    ref.add_argument("names", nargs="*", default=list(LOGS))
    b = sub.add_parser("bench")
    b.add_argument("file", type=Path)
    b.add_argument("--preset", choices=list(LOGS), default="servicenow")
    b.add_argument(
        "--columns",
        choices=["core", "preset"],
        default="preset",
        help="read only case/activity/timestamp, or every column Portolan's preset reads (default)",
    )
    b.add_argument("--repeat", type=int, default=1, help="runs; the best is reported")
    args = parser.parse_args(argv)
    if args.cmd == "reference":
        reference(args.names)
    else:
        bench(args.file, args.preset, args.columns, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
