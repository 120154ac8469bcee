"""Latency of the portfolio pages and the dashboards on a large portfolio.

Usage: ``python benchmarks/web.py [--initiatives 5000] [--dependencies 10000] [--risks 2000]
[--measurements 50000] [--repeats 30]``

Creates a throw-away SQLite database in a temporary directory (production settings:
PORTOLAN_DEBUG=0, no HTTPS redirect), migrates it, loads the demo portfolio and grows it
with the deterministic synthetic generators (``portolan.portfolio.scale``,
``portolan.risks.scale``, ``portolan.kpis.scale``), then requests each page ``--repeats``
times (after ``--warmup`` untimed requests) with Django's test client: the portfolio pages
as the demo portfolio manager, the dashboards as the demo executive (pages named ``*_htmx``
are the fragments htmx fetches, requested with ``HX-Request``).
Prints one line per page (median, p95, queries, response size) and, last, one JSON object
with all figures. Target on the reference machine: p95 under 300 ms for every page.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_P95_MS = 300.0


def _configure(data_dir: str) -> None:
    os.environ["PORTOLAN_DATA_DIR"] = data_dir
    os.makedirs(os.path.join(data_dir, "static"), exist_ok=True)  # whitenoise warns without it
    os.environ["PORTOLAN_SECRET_KEY"] = "benchmark-only-not-a-secret-" + "x" * 40
    os.environ["PORTOLAN_DEBUG"] = "0"
    os.environ["PORTOLAN_SSL_REDIRECT"] = "0"
    os.environ["PORTOLAN_SECURE_COOKIES"] = "0"
    os.environ["PORTOLAN_ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ.pop("PORTOLAN_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portolan.settings"
    import django

    django.setup()


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation between the closest ranks."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def portfolio_pages() -> dict[str, str]:
    from django.urls import reverse

    from portolan.portfolio.models import Initiative

    program = (
        Initiative.objects.filter(kind=Initiative.Kind.PROGRAM, children__isnull=False)
        .order_by("key")
        .first()
    )
    initiatives = reverse("portfolio:initiative_list")
    detail = reverse("portfolio:initiative_detail", args=[program.pk])
    return {
        "list": initiatives,
        "list_filtered": (
            f"{initiatives}?q=Synthetic&stage=in_progress&stage=approved&health=amber&health=red"
            "&tag=scl-tag1&sort=-planned_finish"
        ),
        "detail": detail,
        "detail_dependencies": f"{detail}?tab=dependencies",
        "map_hierarchy": reverse("portfolio:map_hierarchy"),
        "map_hierarchy_open_htmx": f"{reverse('portfolio:map_hierarchy')}?branch={program.pk}",
        "map_hierarchy_outside_htmx": f"{reverse('portfolio:map_hierarchy')}?branch=none",
        "map_graph": reverse("portfolio:map_graph"),
        "map_alignment": reverse("portfolio:map_alignment"),
        "map_raci": reverse("portfolio:map_raci"),
    }


def dashboard_pages() -> dict[str, str]:
    from django.urls import reverse

    from portolan.portfolio.models import Team

    team = Team.objects.get(code="NET")
    return {
        "home": reverse("home"),
        "team_dashboard": reverse("kpis:team_dashboard", args=[team.pk]),
        "risk_heatmap": reverse("risks:heatmap"),
        "kpi_catalogue": reverse("kpis:kpi_list"),
    }


def load(args: argparse.Namespace) -> dict[str, int]:
    """The demo portfolio grown with the synthetic generators to the requested sizes."""
    from django.core.management import call_command
    from django.utils import timezone

    from portolan.kpis import scale as kpi_scale
    from portolan.kpis.models import Measurement
    from portolan.portfolio import scale as portfolio_scale
    from portolan.portfolio.demo import load_demo
    from portolan.portfolio.models import Dependency, Initiative
    from portolan.risks import scale as risk_scale
    from portolan.risks.models import Risk

    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    load_demo(as_of=today)
    portfolio_scale.generate(
        max(0, args.initiatives - Initiative.objects.count()),
        max(0, args.dependencies - Dependency.objects.count()),
    )
    risk_scale.generate(max(0, args.risks - Risk.objects.count()), as_of=today)
    kpi_scale.generate(max(0, args.measurements - Measurement.objects.count()), as_of=today, on_dashboard=0)
    return {
        "initiatives": Initiative.objects.count(),
        "dependencies": Dependency.objects.count(),
        "risks": Risk.objects.count(),
        "measurements": Measurement.objects.count(),
    }


def measure(client, pages: dict[str, str], repeats: int, warmup: int) -> dict[str, dict]:
    """Median and p95 latency, queries and size of each page (fragments with HX-Request)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results: dict[str, dict] = {}
    for name, url in pages.items():
        headers = {"HX-Request": "true"} if name.endswith("_htmx") else {}
        for _ in range(warmup):
            response = client.get(url, headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"{name}: {url} answered {response.status_code}")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, headers=headers)
        n_queries = len(queries)
        timings = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append((time.perf_counter() - t0) * 1000)
        results[name] = r = {
            "median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(percentile(timings, 95), 1),
            "max_ms": round(max(timings), 1),
            "queries": n_queries,
            "kb": round(len(response.content) / 1024, 1),
        }
        flag = "" if r["p95_ms"] <= TARGET_P95_MS else f"  > {TARGET_P95_MS:.0f} ms target"
        print(
            f"{name:26s} median {r['median_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  "
            f"{r['queries']:3d} queries  {r['kb']:8.1f} KB{flag}"
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--initiatives", type=int, default=5000)
    parser.add_argument("--dependencies", type=int, default=10000)
    parser.add_argument("--risks", type=int, default=2000)
    parser.add_argument("--measurements", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="portolan-bench-") as data_dir:
        _configure(data_dir)
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client

        started = time.perf_counter()
        sizes = load(args)
        load_s = time.perf_counter() - started
        print(f"loaded {sizes} in {load_s:.1f} s")
        users = get_user_model().objects
        results = {}
        for username, pages in (("pmo", portfolio_pages()), ("executive", dashboard_pages())):
            client = Client()
            client.force_login(users.get(username=username))
            results.update(measure(client, pages, args.repeats, args.warmup))
        connection.close()

    summary = {
        "benchmark": "web",
        **sizes,
        "repeats": args.repeats,
        "load_seconds": round(load_s, 2),
        "target_p95_ms": TARGET_P95_MS,
        "all_within_target": all(r["p95_ms"] <= TARGET_P95_MS for r in results.values()),
        "worst_p95_ms": max(r["p95_ms"] for r in results.values()),
        "pages": results,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
