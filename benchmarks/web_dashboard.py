"""Latency of the executive dashboard on the demo portfolio grown to a large one.

Usage: ``python benchmarks/web_dashboard.py [--initiatives 5000] [--risks 2000]
[--measurements 50000] [--repeats 30]``

Creates a throw-away SQLite database (production settings), loads the demo portfolio
(``portolan demo``: KPIs, risks, a stored schedule-risk run), grows it with the synthetic
generators (``portolan.portfolio.scale``, ``portolan.kpis.scale``, ``portolan.risks.scale``)
and requests the dashboard pages ``--repeats`` times each (after ``--warmup`` untimed requests)
with Django's test client as the demo executive. Prints one line per page (median, p95,
queries) and, last, one JSON object with all figures. Target: p95 under 500 ms for Home.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.web import _configure, percentile  # noqa: E402

TARGET_P95_MS = 500.0


def pages() -> dict[str, str]:
    from django.urls import reverse

    from portolan.portfolio.models import Team

    team = Team.objects.get(code="NET")
    return {
        "home": reverse("home"),
        "team_dashboard": reverse("kpis:team_dashboard", args=[team.pk]),
        "risk_heatmap": reverse("risks:heatmap"),
        "kpi_catalogue": reverse("kpis:kpi_list"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--initiatives", type=int, default=5000)
    parser.add_argument("--risks", type=int, default=2000)
    parser.add_argument("--measurements", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="portolan-bench-") as data_dir:
        _configure(data_dir)
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from portolan.kpis import scale as kpi_scale
        from portolan.kpis.models import Measurement
        from portolan.portfolio import scale as portfolio_scale
        from portolan.portfolio.demo import load_demo
        from portolan.portfolio.models import Initiative
        from portolan.risks import scale as risk_scale
        from portolan.risks.models import Risk

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        today = timezone.localdate()
        load_demo(as_of=today)
        demo = Initiative.objects.count()
        portfolio_scale.generate(max(0, args.initiatives - demo), 2 * max(0, args.initiatives - demo))
        risk_scale.generate(max(0, args.risks - Risk.objects.count()), as_of=today)
        missing = max(0, args.measurements - Measurement.objects.count())
        kpi_scale.generate(missing, as_of=today, on_dashboard=0)
        load_s = time.perf_counter() - started
        sizes = {
            "initiatives": Initiative.objects.count(),
            "risks": Risk.objects.count(),
            "measurements": Measurement.objects.count(),
        }
        print(f"loaded {sizes} in {load_s:.1f} s")

        client = Client()
        client.force_login(get_user_model().objects.get(username="executive"))
        results: dict[str, dict] = {}
        for name, url in pages().items():
            for _ in range(args.warmup):
                response = client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"{name}: {url} answered {response.status_code}")
            timings = []
            for _ in range(args.repeats):
                begin = time.perf_counter()
                client.get(url)
                timings.append((time.perf_counter() - begin) * 1000)
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            results[name] = {
                "median_ms": round(statistics.median(timings), 1),
                "p95_ms": round(percentile(timings, 95), 1),
                "queries": len(queries),
            }
            r = results[name]
            timing = f"median {r['median_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms"
            print(f"{name:16s} {timing}  {r['queries']} queries")
        summary = {
            "benchmark": "web_dashboard",
            **sizes,
            "repeats": args.repeats,
            "pages": results,
            "home_p95_ms": results["home"]["p95_ms"],
            "target_p95_ms": TARGET_P95_MS,
            "meets_target": results["home"]["p95_ms"] <= TARGET_P95_MS,
        }
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
