"""Vega-Lite specs of the roadmap pages (plain dicts, drawn by vega-embed; reusable in reports).

Built on :mod:`portolan.core.charts`; no RAG colours here: utilisation uses a neutral
sequential scale with the percentage written in each cell.
"""

from portolan.core.charts import NEUTRAL, NEUTRAL_2, _base


def frontier(points: list[dict], current_total: float, currency: str = "EUR") -> dict:
    """Best value per budget level (optimal) against greedy rank-by-score, current budget marked."""
    values = []
    for p in points:
        if p["value"] is None:
            continue
        values.append(
            {"budget": p["budget_total"], "value": p["value"], "method": "optimal (HiGHS)", "n": p["count"]}
        )
        if p.get("greedy") is not None:
            values.append(
                {"budget": p["budget_total"], "value": p["greedy"], "method": "greedy by score", "n": None}
            )
    return _base(
        height=240,
        layer=[
            {
                "data": {"values": values},
                "mark": {"type": "line", "point": True},
                "encoding": {
                    "x": {
                        "field": "budget",
                        "type": "quantitative",
                        "title": f"total budget ({currency})",
                        "axis": {"format": "~s"},
                        "scale": {"zero": False},
                    },
                    "y": {
                        "field": "value",
                        "type": "quantitative",
                        "title": "portfolio value (sum of scores)",
                        "scale": {"zero": False},
                    },
                    "color": {
                        "field": "method",
                        "type": "nominal",
                        "scale": {"range": [NEUTRAL, NEUTRAL_2]},
                        "legend": {"title": None, "orient": "bottom"},
                    },
                    "strokeDash": {"field": "method", "type": "nominal", "legend": None},
                    "tooltip": [
                        {"field": "method"},
                        {"field": "budget", "format": ",.0f"},
                        {"field": "value", "format": ",.2f"},
                        {"field": "n", "title": "initiatives"},
                    ],
                },
            },
            {
                "data": {"values": [{"budget": current_total, "label": "this scenario's budget"}]},
                "mark": {"type": "rule", "color": "#212529", "strokeDash": [4, 3]},
                "encoding": {
                    "x": {"field": "budget", "type": "quantitative"},
                    "tooltip": [{"field": "label"}],
                },
            },
        ],
    )


def load_heatmap(load: list[dict]) -> dict:
    """Team x month: demand against capacity (person-days), utilisation written in each cell."""
    values = [
        {
            "team": r["team"],
            "month": r["label"],
            "demand": round(r["demand"], 1),
            "capacity": r["capacity"],
            "utilisation": round(100 * r["demand"] / r["capacity"]) if r["capacity"] else None,
            "over": bool(r["capacity"] and r["demand"] > r["capacity"] + 1e-6),
        }
        for r in load
    ]
    return _base(
        height={"step": 22},
        data={"values": values},
        layer=[
            {
                "mark": {"type": "rect"},
                "encoding": {
                    "x": {"field": "month", "type": "ordinal", "title": None, "axis": {"labelAngle": -60}},
                    "y": {"field": "team", "type": "nominal", "title": None},
                    "color": {
                        "field": "utilisation",
                        "type": "quantitative",
                        "title": "% of capacity",
                        "scale": {"scheme": "blues", "domain": [0, 100], "clamp": True},
                    },
                    "stroke": {"condition": {"test": "datum.over", "value": "#212529"}, "value": None},
                    "strokeWidth": {"condition": {"test": "datum.over", "value": 2}, "value": 0},
                    "tooltip": [
                        {"field": "team"},
                        {"field": "month"},
                        {"field": "demand", "title": "demand (pd)"},
                        {"field": "capacity", "title": "capacity (pd)"},
                        {"field": "utilisation", "title": "% of capacity"},
                    ],
                },
            },
            {
                "mark": {"type": "text", "fontSize": 8},
                "encoding": {
                    "x": {"field": "month", "type": "ordinal"},
                    "y": {"field": "team", "type": "nominal"},
                    "text": {"field": "utilisation"},
                    "color": {
                        "condition": {"test": "datum.utilisation > 60", "value": "white"},
                        "value": "#212529",
                    },
                },
            },
        ],
    )


def compare_values(rows: list[dict]) -> dict:
    """Value and cost per scenario side by side."""
    values = [
        {"scenario": r["name"], "measure": m, "amount": r[k]}
        for r in rows
        for m, k in (("value", "value"),)
        if r[k] is not None
    ]
    return _base(
        height=max(60, 28 * len(rows)),
        data={"values": values},
        mark={"type": "bar", "color": NEUTRAL},
        encoding={
            "y": {"field": "scenario", "type": "nominal", "title": None, "sort": None},
            "x": {"field": "amount", "type": "quantitative", "title": "portfolio value (sum of scores)"},
            "tooltip": [{"field": "scenario"}, {"field": "amount", "format": ",.2f"}],
        },
    )
