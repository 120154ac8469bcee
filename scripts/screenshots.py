"""Take the README's screenshots of the demo portfolio (PNG, each under 300 KB).

Usage: ``python scripts/screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]``

Loads the demo (as of today, the date the pages measure against) into a throw-away SQLite
database in a temporary directory, serves it on a free local port and captures, logged in as
the demo portfolio manager through the login form:

- ``dashboard.png``: the executive dashboard (home);
- ``roadmap.png``: the roadmap of the plan of record;
- ``initiatives.png``: the initiative list;
- ``dependency-graph.png``: the dependency graph with the most connected initiative selected.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = dt.date.today()  # the pages measure against today: the demo must too
MAX_BYTES = 300_000
VIEWPORTS = ({"width": 1366, "height": 820}, {"width": 1200, "height": 720}, {"width": 1024, "height": 640})
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _configure(data_dir: str) -> None:
    os.environ["PORTOLAN_DATA_DIR"] = data_dir
    os.environ["PORTOLAN_SECRET_KEY"] = "screenshots-only-not-a-secret-" + "x" * 40
    os.environ["PORTOLAN_DEBUG"] = "0"
    os.environ["PORTOLAN_SSL_REDIRECT"] = "0"
    os.environ["PORTOLAN_SECURE_COOKIES"] = "0"
    os.environ["PORTOLAN_ALLOWED_HOSTS"] = "localhost,127.0.0.1"
    os.environ.pop("PORTOLAN_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portolan.settings"
    import django

    django.setup()


def _serve():
    """The site on a free port of localhost, static files included (Django's live-server thread)."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    server = LiveServerThread("localhost", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    return server


def _most_connected_initiative() -> int:
    from django.db.models import Count, F

    from portolan.portfolio.models import Initiative

    return (
        Initiative.objects.annotate(
            links=Count("predecessor_links", distinct=True) + Count("successor_links", distinct=True)
        )
        .order_by(-F("links"), "key")
        .values_list("pk", flat=True)
        .first()
    )


def _shoot(page, path: Path) -> int:
    """A viewport screenshot, retaken smaller until the PNG is under MAX_BYTES."""
    for viewport in VIEWPORTS:
        page.set_viewport_size(viewport)
        page.wait_for_timeout(200)
        data = page.screenshot(type="png")
        if len(data) < MAX_BYTES:
            path.write_bytes(data)
            return len(data)
    raise SystemExit(f"{path.name}: still {len(data)} bytes at {viewport}; no screenshot written.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="portolan-shots-") as data_dir:
        _configure(data_dir)
        from django.core.management import call_command
        from playwright.sync_api import expect, sync_playwright

        from portolan.portfolio.demo import DEMO_PASSWORD, load_demo

        call_command("migrate", verbosity=0)
        load_demo(as_of=AS_OF)
        selected = _most_connected_initiative()
        server = _serve()
        base = f"http://localhost:{server.port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport=VIEWPORTS[0], device_scale_factor=1)
                page.goto(f"{base}/login/")
                page.get_by_label("Username").fill("pmo")
                page.get_by_label("Password").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Log in").click()
                page.wait_for_url(f"{base}/")

                page.goto(f"{base}/")
                expect(page.locator("[data-heat]").first).to_be_visible()
                page.wait_for_timeout(1000)  # the Vega charts draw after load
                size = _shoot(page, args.out / "dashboard.png")
                print(f"{args.out / 'dashboard.png'}: {size} bytes")

                page.goto(f"{base}/roadmap/schedule/")
                expect(page.locator("svg").first).to_be_visible()
                size = _shoot(page, args.out / "roadmap.png")
                print(f"{args.out / 'roadmap.png'}: {size} bytes")

                page.goto(f"{base}/portfolio/initiatives/")
                expect(page.locator("table tbody tr").first).to_be_visible()
                size = _shoot(page, args.out / "initiatives.png")
                print(f"{args.out / 'initiatives.png'}: {size} bytes")

                page.goto(f"{base}/portfolio/map/graph/?select={selected}")
                expect(page.locator("#dep-graph g.node.selected")).to_be_visible()
                size = _shoot(page, args.out / "dependency-graph.png")
                print(f"{args.out / 'dependency-graph.png'}: {size} bytes")
                browser.close()
        finally:
            server.terminate()
            server.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
