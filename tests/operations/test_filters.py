"""Case filters on every analysis page and in the CLI: attribute values, variant, time window."""

import json
from urllib.parse import parse_qsl, urlsplit

import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from portolan.engine import process
from portolan.operations import analysis, services
from tests.conftest import client_for
from tests.operations.conftest import MAPPING, SERVICENOW_ZIP

PAGES = (
    "eventlog_detail",
    "eventlog_map",
    "eventlog_variants",
    "eventlog_bottlenecks",
    "eventlog_sla",
    "eventlog_workload",
)


def url(log, name="eventlog_detail"):
    return reverse(f"operations:{name}", args=[log.pk])


def stored(log) -> pl.DataFrame:
    return pl.read_parquet(log.parquet)


def cases_with(frame: pl.DataFrame, **values) -> set[str]:
    """Cases having each column's value(s) at some event: the independent computation."""
    keep = None
    for column, wanted in values.items():
        wanted = [wanted] if isinstance(wanted, str) else wanted
        cases = set(frame.filter(pl.col(column).cast(pl.String).is_in(wanted))["case"])
        keep = cases if keep is None else keep & cases
    return keep


@pytest.fixture
def servicenow_log(db, cli_context):
    return services.import_eventlog(
        cli_context, SERVICENOW_ZIP, name="ServiceNow", mapping=services.eventlog.PRESETS["servicenow"]
    )


# ---------------------------------------------------------------- attribute values


def test_attribute_filters_keep_exactly_the_cases_having_the_values(viewer, servicenow_log):
    frame = stored(servicenow_log)
    client = client_for(viewer)
    critical = client.get(url(servicenow_log), {"attr": "priority:1 - Critical"}).context
    expected = cases_with(frame, priority="1 - Critical")
    assert critical["data"]["cases"] == len(expected) > 0
    subset = frame.filter(pl.col("case").is_in(list(expected)))
    assert critical["data"]["events"] == subset.height
    assert critical["filter_errors"] == []
    assert [c["label"] for c in critical["filter_chips"]] == ["priority: 1 - Critical"]

    # Values of one column are alternatives; another column narrows further (its source name).
    both = client.get(
        url(servicenow_log),
        {"attr": ["priority:1 - Critical", "priority:2 - High", "assignment_group:Group 70"]},
    ).context
    expected = cases_with(frame, priority=["1 - Critical", "2 - High"], group="Group 70")
    assert both["data"]["cases"] == len(expected) > 0
    assert sum(v["count"] for v in both["data"]["variants"]) == len(expected)

    # The SLA and workload pages count the same cases.
    sla = client.get(url(servicenow_log, "eventlog_sla"), {"attr": "priority:1 - Critical"}).context
    assert sla["data"]["cases"] == len(cases_with(frame, priority="1 - Critical"))
    workload = client.get(url(servicenow_log, "eventlog_workload"), {"attr": "group:Group 70"}).context
    groups = {g["group"]: g for g in workload["data"]["groups"]}
    assert groups["Group 70"]["cases"] == len(cases_with(frame, group="Group 70"))


def test_the_attribute_filter_offers_columns_and_their_most_frequent_values(viewer, servicenow_log):
    page = client_for(viewer).get(url(servicenow_log))
    options = {o["name"]: o for o in page.context["filter_options"]}
    assert {"assignment_group", "assigned_to", "priority", "category", "made_sla"} <= set(options)
    frame = stored(servicenow_log)
    top = frame.group_by("priority").agg(pl.col("case").n_unique()).sort("case", descending=True)
    assert [v["value"] for v in options["priority"]["values"]] == top["priority"].to_list()
    assert [v["cases"] for v in options["priority"]["values"]] == top["case"].to_list()
    assert len(options["assignment_group"]["values"]) == analysis.OPTION_VALUES
    assert 'value="priority:1 - Critical"' in page.content.decode()


BOUNCED = ("Open", "Assigned", "Assigned", "Assigned", "Assigned", "Resolved", "Closed")


@pytest.mark.parametrize("name", PAGES)
def test_every_page_applies_window_attribute_and_variant_filters(viewer, imported_log, name):
    client = client_for(viewer)
    params = {"attr": "team:security", "start": "2024-01-01", "end": "2024-02-01"}
    response = client.get(url(imported_log, name), {**params, "variant": analysis.variant_id(BOUNCED)})
    assert response.status_code == 200
    assert [c["label"] for c in response.context["filter_chips"]] == [
        "Cases started 2024-01-01 → 2024-02-01",
        "team: security",
        f"Variant {analysis.variant_id(BOUNCED)}: Open → Assigned → Assigned → Assigned → … (7 steps)",
    ]
    filters = response.context["filters"]
    assert (filters.attributes, filters.variant) == ((("group", ("security",)),), BOUNCED)
    if "cases" in response.context["data"]:
        assert response.context["data"]["cases"] == 6  # cases 4, 8, 12, 16, 24, 28
    # No case of a variant without the security group: the page says so instead of failing.
    plain = analysis.variant_id(("Open", "Assigned", "Resolved", "Closed"))
    empty = client.get(url(imported_log, name), {**params, "variant": plain})
    assert empty.status_code == 200 and empty.context["filter_errors"] == []
    assert "No cases match these filters" in empty.content.decode()


def test_synthetic_counts_match_polars_for_group_and_resource(viewer, imported_log):
    frame = stored(imported_log)
    client = client_for(viewer)
    for attr, column, value in (
        ("team:security", "group", "security"),
        ("assignee:agent1", "resource", "agent1"),
    ):
        data = client.get(url(imported_log, "eventlog_map"), {"attr": attr}).context["graph"]
        assert data["cases"] == len(cases_with(frame, **{column: value}))
    assert client.get(url(imported_log), {"attr": "team:security"}).context["data"]["cases"] == 10


# ---------------------------------------------------------------- variants


def test_variant_filter_keeps_exactly_that_variants_cases(viewer, imported_log):
    client = client_for(viewer)
    variants = client.get(url(imported_log, "eventlog_variants")).context["variants"]
    chosen = variants[1]
    link = chosen["filter_url"]
    assert link.startswith(url(imported_log)) and f"variant={chosen['id']}" in link
    data = client.get(link).context["data"]
    assert data["cases"] == chosen["count"]
    assert [v["activities"] for v in data["variants"]] == [chosen["activities"]]
    # Independently: the cases whose activity sequence is the variant's.
    traces = stored(imported_log).group_by("case", maintain_order=True).agg(pl.col("activity"))
    assert data["cases"] == traces.filter(pl.col("activity") == chosen["activities"]).height
    process_map = client.get(url(imported_log, "eventlog_map"), {"variant": chosen["id"]}).context
    assert {n["id"] for n in process_map["graph"]["nodes"]} == set(chosen["activities"])
    assert process_map["filter_chips"][0]["label"].startswith(f"Variant {chosen['id']}: ")


def test_variant_link_keeps_the_other_filters(viewer, imported_log):
    page = client_for(viewer).get(url(imported_log, "eventlog_variants"), {"attr": "team:security"})
    link = page.context["variants"][0]["filter_url"]
    assert dict(parse_qsl(urlsplit(link).query)) == {
        "attr": "team:security",
        "variant": page.context["variants"][0]["id"],
    }
    assert "Filter all pages to this variant" in page.content.decode()


# ---------------------------------------------------------------- bad links, persistence, cache


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"attr": "colour:red"}, "Unknown filter column &#x27;colour&#x27;; this log can be filtered by"),
        ({"attr": "red"}, "Cannot read the filter &#x27;red&#x27;: write column:value"),
        ({"attr": "team:nobody"}, "No case has team = &#x27;nobody&#x27;"),
        ({"attr": "group:nobody"}, "No case has team = &#x27;nobody&#x27;"),
        ({"variant": "0123456789ab"}, "Unknown variant &#x27;0123456789ab&#x27;"),
        ({"variant": "<script>"}, "Unknown variant &#x27;&lt;script&gt;&#x27;"),
    ],
)
@pytest.mark.parametrize("name", ["eventlog_detail", "eventlog_sla"])
def test_unknown_columns_values_and_variants_are_explained_not_500(
    viewer, imported_log, params, message, name
):
    response = client_for(viewer).get(url(imported_log, name), params)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Some filters in this link cannot be applied" in text and message in text
    assert response.context["filters"] == analysis.CaseFilters()  # the unusable filter is left out


def test_an_unusable_filter_is_dropped_and_the_good_ones_kept(viewer, imported_log):
    response = client_for(viewer).get(url(imported_log), {"attr": ["team:security", "team:nobody"]})
    assert response.context["data"]["cases"] == 10
    assert response.context["valid_query"] == "?attr=team%3Asecurity"


def test_filters_persist_across_tabs_and_forms(viewer, imported_log):
    params = {"attr": ["team:security", "assignee:agent1"], "start": "2024-01-05", "page": "2"}
    page = client_for(viewer).get(url(imported_log, "eventlog_bottlenecks"), params)
    for key, _label, link in page.context["tabs"]:
        query = parse_qsl(urlsplit(link).query)
        assert sorted(query) == [
            ("attr", "assignee:agent1"),
            ("attr", "team:security"),
            ("start", "2024-01-05"),
        ], key
    text = page.content.decode()
    # The window form carries both attribute filters; the attribute form carries the window too.
    assert text.count('<input type="hidden" name="attr" value="team:security">') == 2
    assert '<input type="hidden" name="start" value="2024-01-05">' in text
    chips = {c["label"]: c["remove"] for c in page.context["filter_chips"]}
    assert sorted(parse_qsl(chips["team: security"][1:])) == [
        ("attr", "assignee:agent1"),
        ("start", "2024-01-05"),
    ]
    assert page.context["clear_query"] == "?"


def test_results_are_cached_per_filter_combination_and_bounded(viewer, imported_log, monkeypatch):
    monkeypatch.setattr(analysis, "MAX_FILTERED_RESULTS", 2)
    client = client_for(viewer)
    cache = imported_log.folder / "cache"
    whole = {p.name for p in cache.glob("*.json")}
    client.get(url(imported_log), {"attr": "team:security"})
    first = {p.name for p in cache.glob("*.json")} - whole - {analysis.OPTIONS_FILE}
    assert len(first) == 1
    (cached,) = first
    client.get(url(imported_log), {"attr": "team:security"})  # same combination: the same file
    client.get(url(imported_log), {"attr": "team:desk"})
    client.get(url(imported_log), {"attr": "team:desk", "start": "2024-01-10"})
    names = {p.name for p in cache.glob("*.json")}
    assert whole <= names  # the whole-log answers stay
    assert len(names - whole - {analysis.OPTIONS_FILE}) == 2 and cached not in names


def test_filters_key_is_canonical():
    a = analysis.CaseFilters(attributes=(("group", ("a", "b")),))
    assert a.key == analysis.CaseFilters(attributes=(("group", ("a", "b")),)).key != analysis.Window().key
    assert analysis.CaseFilters().key == analysis.Window().key == "min_max"
    assert a.engine() == process.Filters(attributes={"group": ["a", "b"]})


# ---------------------------------------------------------------- CLI


def cli(capsys, *args):
    call_command("eventlog", "analyze", *args, "--json")
    return json.loads(capsys.readouterr().out)


def test_cli_analyze_filters_by_attribute_and_variant(capsys):
    out = cli(capsys, str(SERVICENOW_ZIP), "--preset", "servicenow", "--filter", "priority=1 - Critical")
    frame = services.eventlog.read_log(SERVICENOW_ZIP, services.eventlog.PRESETS["servicenow"]).frame
    assert out["cases"] == len(cases_with(frame, priority="1 - Critical"))
    assert out["filters"]["attributes"] == {"priority": ["1 - Critical"]}
    variant = out["variants"][0]
    narrowed = cli(
        capsys,
        str(SERVICENOW_ZIP),
        "--preset",
        "servicenow",
        "--filter",
        "assignment_group=Group 70",
        "--variant",
        variant["id"],
    )
    expected = cases_with(frame, group="Group 70")
    traces = frame.filter(pl.col("case").is_in(list(expected))).group_by("case").agg(pl.col("activity"))
    assert narrowed["cases"] == traces.filter(pl.col("activity") == variant["activities"]).height > 0


def test_cli_analyze_reads_only_the_columns_it_uses(capsys, monkeypatch):
    read = services.eventlog.read_log
    mappings = []

    def spy(source, mapping, **kwargs):
        mappings.append(mapping)
        return read(source, mapping, **kwargs)

    monkeypatch.setattr(services.eventlog, "read_log", spy)
    whole = cli(capsys, str(SERVICENOW_ZIP), "--preset", "servicenow")
    narrowed = cli(capsys, str(SERVICENOW_ZIP), "--preset", "servicenow", "--filter", "priority=1 - Critical")
    assert [m.source_columns() for m in mappings] == [
        ["number", "incident_state", "sys_updated_at"],
        ["number", "incident_state", "sys_updated_at", "priority"],
    ]
    frame = read(SERVICENOW_ZIP, services.eventlog.PRESETS["servicenow"]).frame
    expected = process.analyze(frame)
    assert whole["dfg"] == [list(edge) for edge in expected["dfg"]] and whole["cases"] == expected["cases"]
    assert narrowed["cases"] == len(cases_with(frame, priority="1 - Critical")) < whole["cases"]


def test_cli_analyze_refuses_unknown_filters(log_csv):
    args = ["eventlog", "analyze", str(log_csv), *(f"--{k}={v}" for k, v in MAPPING.items() if k != "group")]
    with pytest.raises(CommandError, match="Unknown filter column 'team'"):
        call_command(*args, "--filter", "team=desk")
    with pytest.raises(CommandError, match="No case has assignee = 'nobody'"):
        call_command(*args, "--filter", "assignee=nobody")
    with pytest.raises(CommandError, match="Unknown variant 'abc'"):
        call_command(*args, "--variant", "abc")
    with pytest.raises(CommandError, match="cannot read --filter 'desk'"):
        call_command(*args, "--filter", "desk")
