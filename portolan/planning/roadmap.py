"""The roadmap as one server-rendered SVG: the page shows it, the export serves the same bytes.

Swimlanes (team, objective or program), month or quarter zoom, bars from a scenario's
schedule, the critical chain outlined and labelled, baseline ghost bars (dashed) to show
slippage, milestones (diamonds), dependency arrows, a today line, each bar a link to its
initiative. Colours: one neutral for bars, one accent (not a RAG colour) for the critical
chain, always with a text mark ("◆ critical") so it reads in black and white.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.html import escape

from portolan.planning.problem import add_months, month_index
from portolan.portfolio.models import Dependency, Initiative

LANES = {"team": "Team", "objective": "Objective", "program": "Program"}
ZOOMS = {"month": 34, "quarter": 12}  # pixels per month
LABEL_W, ROW_H, BAR_H, HEADER_H, LANE_H = 250, 22, 14, 48, 22
BAR, CRITICAL, GHOST, INK = "#4c78a8", "#6f42c1", "#8c959f", "#212529"


@dataclass
class Row:
    key: str
    title: str
    url: str
    start: dt.date
    finish: dt.date
    critical: bool
    reasons: list[str]
    baseline: tuple[dt.date, dt.date] | None = None
    milestones: list[dict] = field(default_factory=list)


@dataclass
class Roadmap:
    svg: str
    rows: int
    lanes: list[str]
    critical: list[str]
    width: int
    height: int


def _d(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def lane_of(initiative: Initiative, lane: str) -> str:
    if lane == "program":
        return f"{initiative.parent.key} {initiative.parent.title}" if initiative.parent_id else "No program"
    if lane == "objective":
        links = sorted(initiative.objective_links.all(), key=lambda link: (-link.weight, link.objective.code))
        return f"{links[0].objective.code} {links[0].objective.name}" if links else "No objective"
    return initiative.team.name if initiative.team_id else "No team"


def build(
    results: dict,
    *,
    lane: str = "team",
    zoom: str = "month",
    baseline: dict | None = None,
    today: dt.date | None = None,
    filters: dict | None = None,
) -> Roadmap:
    """The roadmap of a solved scenario's ``results``; ``baseline`` is a Baseline snapshot."""
    lane = lane if lane in LANES else "team"
    ppm = ZOOMS.get(zoom, ZOOMS["month"])
    filters = filters or {}
    schedule = (results or {}).get("schedule") or {"items": []}
    items = {i["key"]: i for i in schedule["items"]}
    initiatives = (
        Initiative.objects.filter(key__in=items)
        .select_related("team", "parent")
        .prefetch_related("objective_links__objective")
    )
    milestones: dict[str, list[dict]] = {}
    for m in results.get("milestones", []):
        milestones.setdefault(m["initiative"], []).append(m)
    base_items = (baseline or {}).get("initiatives", {})
    lanes: dict[str, list[Row]] = {}
    for initiative in initiatives:
        item = items[initiative.key]
        if not _keep(initiative, item, filters):
            continue
        base = base_items.get(initiative.key)
        row = Row(
            key=initiative.key,
            title=initiative.title,
            url=reverse("portfolio:initiative_detail", args=[initiative.pk]),
            start=_d(item["start_date"]),
            finish=_d(item["finish_date"]),
            critical=item["critical"],
            reasons=item["reasons"],
            baseline=(_d(base["start"]), _d(base["finish"]))
            if base and base.get("start") and base.get("finish")
            else None,
            milestones=milestones.get(initiative.key, []),
        )
        lanes.setdefault(lane_of(initiative, lane), []).append(row)
    for rows in lanes.values():
        rows.sort(key=lambda r: (r.start, r.key))
    ordered = sorted(lanes.items(), key=lambda kv: (kv[0].startswith("No "), kv[0]))
    return _draw(ordered, ppm, zoom, today or dt.date.today(), _arrows(items, ordered))


def _keep(initiative: Initiative, item: dict, filters: dict) -> bool:
    if filters.get("team") and (not initiative.team_id or initiative.team.code != filters["team"]):
        return False
    if filters.get("program") and str(initiative.parent_id) != str(filters["program"]):
        return False
    if filters.get("objective") and filters["objective"] not in {
        link.objective.code for link in initiative.objective_links.all()
    }:
        return False
    if filters.get("critical") and not item["critical"]:
        return False
    q = (filters.get("q") or "").strip().lower()
    return not q or q in initiative.key.lower() or q in initiative.title.lower()


def _arrows(items: dict, ordered) -> list[tuple[str, str]]:
    shown = {r.key for _, rows in ordered for r in rows}
    deps = Dependency.objects.filter(predecessor__key__in=shown, successor__key__in=shown)
    return [(p, s) for p, s in deps.values_list("predecessor__key", "successor__key")]


def _draw(lanes, ppm: int, zoom: str, today: dt.date, arrows) -> Roadmap:
    rows = [r for _, rs in lanes for r in rs]
    dates = [d for r in rows for d in (r.start, r.finish, *(r.baseline or ()))] + [today]
    dates += [_d(m["projected"]) for r in rows for m in r.milestones]
    first = min(dates).replace(day=1)
    last = add_months(max(dates).replace(day=1), 1)
    months = max(month_index(first, last), 1)
    width = LABEL_W + months * ppm + 20
    height = HEADER_H + len(lanes) * LANE_H + len(rows) * ROW_H + 10

    def x(day: dt.date, end: bool = False) -> float:
        if end:
            day = day + dt.timedelta(days=1)
        index = month_index(first, day)
        days = (add_months(day.replace(day=1), 1) - day.replace(day=1)).days
        return LABEL_W + (index + (day.day - 1) / days) * ppm

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-labelledby="roadmap-title" class="roadmap-svg" '
        'font-family="system-ui, sans-serif" font-size="11">',
        '<title id="roadmap-title">Roadmap</title>',
        '<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" '
        f'orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="{INK}"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    # Time axis: a tick per month (month zoom) or per quarter, year labels.
    for m in range(months + 1):
        day = add_months(first, m)
        gx = LABEL_W + m * ppm
        quarter_start = day.month in (1, 4, 7, 10)
        if zoom == "quarter" and not quarter_start:
            continue
        strong = day.month == 1
        out.append(
            f'<line x1="{gx}" y1="{HEADER_H - 6}" x2="{gx}" y2="{height}" '
            f'stroke="{"#adb5bd" if strong else "#e9ecef"}"/>'
        )
        if m < months:
            label = day.strftime("%b") if zoom == "month" else f"Q{(day.month - 1) // 3 + 1}"
            out.append(f'<text x="{gx + 2}" y="{HEADER_H - 10}" fill="#495057">{label}</text>')
        if strong or m == 0:
            out.append(f'<text x="{gx + 2}" y="12" font-weight="600" fill="{INK}">{day.year}</text>')
    y = HEADER_H
    ends: dict[str, tuple[float, float, float]] = {}
    for name, lane_rows in lanes:
        out.append(f'<rect x="0" y="{y}" width="{width}" height="{LANE_H}" fill="#f1f3f5"/>')
        out.append(f'<text x="6" y="{y + 15}" font-weight="600" class="lane">{escape(name)}</text>')
        y += LANE_H
        for r in lane_rows:
            cy = y + ROW_H / 2
            x1, x2 = x(r.start), x(r.finish, end=True)
            label = f"{r.key} {r.title}"
            out.append(f'<text x="6" y="{cy + 4}" fill="{INK}">{escape(label[:38])}</text>')
            if r.baseline:
                bx1, bx2 = x(r.baseline[0]), x(r.baseline[1], end=True)
                out.append(
                    f'<rect class="ghost" x="{bx1:.1f}" y="{cy - BAR_H / 2 - 2:.1f}" '
                    f'width="{max(bx2 - bx1, 2):.1f}" '
                    f'height="{BAR_H + 4}" fill="none" stroke="{GHOST}" stroke-dasharray="3 2">'
                    f"<title>Baseline {r.baseline[0]:%Y-%m-%d} – {r.baseline[1]:%Y-%m-%d}</title></rect>"
                )
            tip = f"{label}: {r.start:%Y-%m} – {r.finish:%Y-%m}"
            if r.critical:
                tip += " · on the critical chain"
            if r.reasons:
                tip += " · delayed: " + "; ".join(r.reasons)
            css = "bar critical" if r.critical else "bar"
            out.append(
                f'<a href="{r.url}" xlink:href="{r.url}" class="{css}" data-key="{escape(r.key)}">'
                f'<rect x="{x1:.1f}" y="{cy - BAR_H / 2:.1f}" width="{max(x2 - x1, 2):.1f}" '
                f'height="{BAR_H}" rx="2" '
                f'fill="{CRITICAL if r.critical else BAR}" stroke="{INK if r.critical else "none"}" '
                f'stroke-width="{1.5 if r.critical else 0}"><title>{escape(tip)}</title></rect>'
                f'<text x="{x2 + 4:.1f}" y="{cy + 4:.1f}" fill="{INK}">{escape(r.key)}'
                f"{' ◆ critical' if r.critical else ''}"
                f"{' ◔' if r.reasons else ''}</text></a>"
            )
            for m in r.milestones:
                mx = x(_d(m["projected"]))
                size = 6 if m["key_milestone"] else 4.5
                out.append(
                    f'<path class="milestone" d="M{mx:.1f},{cy - size:.1f} L{mx + size:.1f},{cy:.1f} '
                    f'L{mx:.1f},{cy + size:.1f} L{mx - size:.1f},{cy:.1f} z" '
                    f'fill="{INK if m["key_milestone"] else "white"}" stroke="{INK}">'
                    f"<title>{escape(m['name'])} {m['projected']}</title></path>"
                )
            ends[r.key] = (x1, x2, cy)
            y += ROW_H
    for pred, succ in arrows:
        if pred in ends and succ in ends:
            _, px2, py = ends[pred]
            sx1, _, sy = ends[succ]
            mid = max(px2 + 6, sx1 - 8)
            out.append(
                f'<path class="dependency" d="M{px2:.1f},{py:.1f} L{mid:.1f},{py:.1f} L{mid:.1f},{sy:.1f} '
                f'L{sx1:.1f},{sy:.1f}" fill="none" stroke="{INK}" stroke-opacity="0.55" '
                'marker-end="url(#arrow)">'
                f"<title>{escape(pred)} → {escape(succ)}</title></path>"
            )
    tx = x(today)
    out.append(
        f'<line class="today" x1="{tx:.1f}" y1="{HEADER_H - 6}" x2="{tx:.1f}" y2="{height}" '
        f'stroke="{INK}" stroke-width="1.5" stroke-dasharray="5 3"/>'
        # Its own row of the header, between the years (y=12) and the months: never over a year.
        f'<text x="{tx + 3:.1f}" y="{HEADER_H - 24}" font-weight="600" fill="{INK}">'
        f"today {today:%Y-%m-%d}</text>"
    )
    out.append("</svg>")
    critical = [r.key for r in rows if r.critical]
    return Roadmap("".join(out), len(rows), [n for n, _ in lanes], critical, width, height)
