"""Vega-Lite specs built in Python (plain dicts): the page draws them with vega-embed, reports
reuse the same definitions. RAG colours appear only for RAG status and always with a label.
"""

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
RAG_DOMAIN = ["green", "amber", "red"]
RAG_RANGE = ["#1a7f37", "#f6c344", "#cf222e"]
RAG_LABELS = {"green": "● Green", "amber": "▲ Amber", "red": "■ Red", "": "– not set"}
NEUTRAL = "#4c78a8"
NEUTRAL_2 = "#9d755d"


def _base(width="container", height=200, **extra) -> dict:
    return {
        "$schema": SCHEMA,
        "width": width,
        "height": height,
        "config": {"view": {"stroke": None}},
        **extra,
    }


def sparkline(series: list[tuple[str, float]], status: str = "") -> dict:
    """A tiny line of the last values (oldest first); the last point carries the RAG shape."""
    values = [{"period": p, "value": v, "i": i} for i, (p, v) in enumerate(series)]
    return _base(
        width=140,
        height=32,
        data={"values": values},
        layer=[
            {
                "mark": {"type": "line", "color": NEUTRAL, "strokeWidth": 1.5},
                "encoding": {
                    "x": {"field": "i", "type": "quantitative", "axis": None},
                    "y": {"field": "value", "type": "quantitative", "axis": None, "scale": {"zero": False}},
                    "tooltip": [{"field": "period"}, {"field": "value", "format": ",.4~g"}],
                },
            },
            {
                "transform": [{"filter": f"datum.i == {len(values) - 1}"}],
                "mark": {
                    "type": "point",
                    "filled": True,
                    "size": 40,
                    "shape": {"green": "circle", "amber": "triangle-up", "red": "square"}.get(
                        status, "circle"
                    ),
                    "color": dict(zip(RAG_DOMAIN, RAG_RANGE, strict=True)).get(status, NEUTRAL),
                },
                "encoding": {
                    "x": {"field": "i", "type": "quantitative"},
                    "y": {"field": "value", "type": "quantitative"},
                },
            },
        ],
    )


def kpi_trend(
    series: list[tuple[str, float]], target: float, amber: float, red: float, unit: str = ""
) -> dict:
    """A KPI's values per period with its target and thresholds as labelled rules."""
    rules = [
        {"label": f"target {target:g}", "y": target, "dash": [1, 0]},
        {"label": f"amber {amber:g}", "y": amber, "dash": [4, 3]},
        {"label": f"red {red:g}", "y": red, "dash": [2, 2]},
    ]
    return _base(
        height=220,
        layer=[
            {
                "data": {"values": [{"period": p, "value": v} for p, v in series]},
                "mark": {"type": "line", "point": True, "color": NEUTRAL},
                "encoding": {
                    "x": {"field": "period", "type": "ordinal", "title": None, "sort": None},
                    "y": {
                        "field": "value",
                        "type": "quantitative",
                        "title": unit or "value",
                        "scale": {"zero": False},
                    },
                    "tooltip": [{"field": "period"}, {"field": "value", "format": ",.4~g"}],
                },
            },
            {
                "data": {"values": rules},
                "mark": {"type": "rule", "color": "#6c757d"},
                "encoding": {
                    "y": {"field": "y", "type": "quantitative"},
                    "strokeDash": {"field": "dash", "type": "nominal", "scale": None, "legend": None},
                },
            },
            {
                "data": {"values": rules},
                "mark": {
                    "type": "text",
                    "align": "left",
                    "dx": 4,
                    "dy": -6,
                    "color": "#495057",
                    "fontSize": 10,
                },
                "encoding": {
                    "y": {"field": "y", "type": "quantitative"},
                    "x": {"value": 0},
                    "text": {"field": "label"},
                },
            },
        ],
    )


def rag_history(points: list[dict]) -> dict:
    """Initiatives per RAG per month (stacked bars), from status updates; ``points``: month, rag, n."""
    values = [{**p, "label": RAG_LABELS.get(p["rag"], p["rag"])} for p in points]
    return _base(
        height=180,
        data={"values": values},
        mark={"type": "bar"},
        encoding={
            "x": {"field": "month", "type": "ordinal", "title": None},
            "y": {"field": "n", "type": "quantitative", "title": "initiatives", "stack": "zero"},
            "color": {
                "field": "rag",
                "type": "nominal",
                "scale": {"domain": RAG_DOMAIN, "range": RAG_RANGE},
                "legend": {
                    "title": None,
                    "orient": "bottom",
                    "labelExpr": "{'green': '● Green', 'amber': '▲ Amber', 'red': '■ Red'}[datum.label]",
                },
            },
            "order": {"field": "order", "type": "quantitative"},
            "tooltip": [
                {"field": "month"},
                {"field": "label", "title": "health"},
                {"field": "n", "title": "initiatives"},
            ],
        },
    )


def budget_bars(plan: float, forecast: float, actual: float, currency: str = "EUR") -> dict:
    values = [
        {"measure": "Plan (budget)", "amount": plan},
        {"measure": "Forecast", "amount": forecast},
        {"measure": "Actual to date", "amount": actual},
    ]
    return _base(
        height=110,
        data={"values": values},
        mark={"type": "bar", "color": NEUTRAL},
        encoding={
            "y": {"field": "measure", "type": "nominal", "title": None, "sort": None},
            "x": {"field": "amount", "type": "quantitative", "title": currency, "axis": {"format": "~s"}},
            "tooltip": [{"field": "measure"}, {"field": "amount", "format": ",.0f"}],
        },
    )


def exposure_trend(points: list[dict]) -> dict:
    """Total inherent and residual risk exposure (sum of probability x impact) per month."""
    values = [
        {"month": p["month"], "kind": kind, "score": p[kind]}
        for p in points
        for kind in ("inherent", "residual")
    ]
    return _base(
        height=180,
        data={"values": values},
        mark={"type": "line", "point": True},
        encoding={
            "x": {"field": "month", "type": "ordinal", "title": None},
            "y": {"field": "score", "type": "quantitative", "title": "exposure (Σ P×I)"},
            "color": {
                "field": "kind",
                "type": "nominal",
                "scale": {"range": [NEUTRAL_2, NEUTRAL]},
                "legend": {"title": None, "orient": "bottom"},
            },
            "strokeDash": {"field": "kind", "type": "nominal", "legend": None},
            "tooltip": [{"field": "month"}, {"field": "kind"}, {"field": "score"}],
        },
    )


def risk_heatmap(matrix: list[list[int]], title: str = "") -> dict:
    """5x5 probability x impact counts (for reports; the page draws an HTML grid of links).

    ``matrix`` rows are impact 5..1, columns probability 1..5.
    """
    values = []
    for r, row in enumerate(matrix):
        impact = 5 - r
        for c, n in enumerate(row):
            probability = c + 1
            score = probability * impact
            band = "red" if score >= 15 else "amber" if score >= 5 else "green"
            values.append({"probability": probability, "impact": impact, "n": n, "band": band})
    return _base(
        width=220,
        height=220,
        title=title or None,
        data={"values": values},
        layer=[
            {
                "mark": {"type": "rect", "opacity": 0.75},
                "encoding": {
                    "x": {"field": "probability", "type": "ordinal", "title": "probability"},
                    "y": {"field": "impact", "type": "ordinal", "sort": "descending", "title": "impact"},
                    "color": {
                        "field": "band",
                        "type": "nominal",
                        "scale": {"domain": RAG_DOMAIN, "range": RAG_RANGE},
                        "legend": None,
                    },
                },
            },
            {
                "mark": {"type": "text", "fontSize": 13},
                "encoding": {
                    "x": {"field": "probability", "type": "ordinal"},
                    "y": {"field": "impact", "type": "ordinal", "sort": "descending"},
                    "text": {"field": "n"},
                },
            },
        ],
    )


def tornado(items: list[dict]) -> dict:
    """Sensitivity (rank correlation with the portfolio finish) per initiative, largest first."""
    return _base(
        height=max(80, 18 * len(items)),
        data={"values": items},
        mark={"type": "bar", "color": NEUTRAL},
        encoding={
            "y": {"field": "key", "type": "nominal", "sort": None, "title": None},
            "x": {
                "field": "sensitivity",
                "type": "quantitative",
                "title": "sensitivity (Spearman ρ with the finish)",
            },
            "tooltip": [{"field": "key"}, {"field": "sensitivity"}],
        },
    )


def finish_ranges(rows: list[dict], label: str = "key") -> dict:
    """P50–P95 range per item with the P80 date marked, and the deadline as a tick."""
    values = [
        {"label": r[label], "p50": r["p50"], "p80": r["p80"], "p95": r["p95"], "deadline": r.get("deadline")}
        for r in rows
    ]
    return _base(
        height=max(80, 18 * len(values)),
        data={"values": values},
        layer=[
            {
                "mark": {"type": "rule", "color": NEUTRAL, "strokeWidth": 3},
                "encoding": {
                    "y": {"field": "label", "type": "nominal", "sort": None, "title": None},
                    "x": {"field": "p50", "type": "temporal", "title": "P50 — P80 (dot) — P95"},
                    "x2": {"field": "p95"},
                },
            },
            {
                "mark": {"type": "point", "filled": True, "color": NEUTRAL},
                "encoding": {
                    "y": {"field": "label", "type": "nominal", "sort": None},
                    "x": {"field": "p80", "type": "temporal"},
                    "tooltip": [
                        {"field": "label"},
                        {"field": "p50"},
                        {"field": "p80"},
                        {"field": "p95"},
                        {"field": "deadline"},
                    ],
                },
            },
            {
                "transform": [{"filter": "datum.deadline != null"}],
                "mark": {"type": "tick", "color": "#212529", "thickness": 2},
                "encoding": {
                    "y": {"field": "label", "type": "nominal", "sort": None},
                    "x": {"field": "deadline", "type": "temporal"},
                },
            },
        ],
    )


def load_bars(rows: list[dict]) -> dict:
    """Committed person-days per month against capacity (team load)."""
    return _base(
        height=160,
        data={"values": rows},
        layer=[
            {
                "mark": {"type": "bar", "color": NEUTRAL},
                "encoding": {
                    "x": {"field": "month", "type": "ordinal", "title": None},
                    "y": {"field": "load", "type": "quantitative", "title": "person-days"},
                    "tooltip": [
                        {"field": "month"},
                        {"field": "load", "format": ",.0f"},
                        {"field": "capacity"},
                    ],
                },
            },
            {
                "mark": {"type": "rule", "color": "#212529", "strokeDash": [4, 3]},
                "encoding": {"y": {"field": "capacity", "type": "quantitative"}},
            },
        ],
    )
