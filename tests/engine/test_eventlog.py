"""Reading event logs: formats, mapping errors, timestamp detection, bad rows, safety."""

from __future__ import annotations

import datetime as dt
import gzip
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portolan.engine import eventlog
from portolan.engine.eventlog import (
    PRESETS,
    EventLogError,
    Mapping,
    detect_timestamp_format,
    import_log,
    materialize,
    read_log,
    read_normalized,
    sniff_separator,
    sort_events,
)
from tests.shared_data import SHARED_DATA

DATA = SHARED_DATA / "itsm"
SERVICENOW = DATA / "servicenow-incidents" / "incident_event_log.zip"
VOLVO = DATA / "volvo-incidents" / "volvo-it-incidents-bpic2013.zip"
SIMPLE = Mapping(case="case", activity="act", timestamp="ts", resource="who", group="team")


def write(tmp_path: Path, text: str, name: str = "log.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_servicenow_day_first_detected_over_whole_column() -> None:
    result = read_log(SERVICENOW, replace(PRESETS["servicenow"], timestamp_format=None))
    assert result.report["timestamp"]["format"] == "%d/%m/%Y %H:%M"
    assert result.report["timestamp"]["ambiguous"] == []
    durations = result.frame.group_by("case").agg(pl.col("timestamp").max() - pl.col("timestamp").min())
    mean_days = durations["timestamp"].dt.total_seconds().mean() / 86400
    assert 12 < mean_days < 15  # month-first misreading gives ~116 days
    assert result.report["events"] == 141_712 and result.report["cases"] == 24_918


def test_volvo_zip_ignores_macosx_and_converts_offsets_to_utc() -> None:
    result = read_log(VOLVO, PRESETS["vinst"])
    assert result.report["events"] == 65_533 and result.report["cases"] == 7_554
    first = result.frame.filter(pl.col("row") == 1)["timestamp"].item()
    assert first.isoformat() == "2010-03-31T14:59:42+00:00"  # 15:59:42+01:00
    assert result.frame.columns[:7] == [
        "row",
        "case",
        "activity",
        "timestamp",
        "resource",
        "group",
        "ST Level",
    ]


def test_equal_timestamps_keep_file_order(tmp_path: Path) -> None:
    text = (
        "case,act,ts,who,team\nc1,B,2020-01-01 10:00,x,T\n"
        "c1,A,2020-01-01 10:00,x,T\nc1,C,2020-01-01 09:00,x,T\n"
    )
    frame = read_log(write(tmp_path, text), SIMPLE).frame
    assert frame["activity"].to_list() == ["C", "B", "A"]
    assert frame["row"].to_list() == [3, 1, 2]


def test_unknown_column_is_named_with_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "case,act,ts\nc1,A,2020-01-01\n")
    with pytest.raises(EventLogError, match=r"'tss' \(did you mean 'ts'\?\)"):
        read_log(path, Mapping(case="case", activity="act", timestamp="tss"))


def test_unparseable_timestamp_rejected_with_row_and_value(tmp_path: Path) -> None:
    text = "case,act,ts\nc1,A,2020-01-01 10:00:00\nc1,B,not a date\nc2,,2020-01-02 10:00:00\n"
    mapping = Mapping(case="case", activity="act", timestamp="ts")
    with pytest.raises(EventLogError) as err:
        read_log(write(tmp_path, text), mapping)
    message = str(err.value)
    assert "2 bad row(s)" in message
    assert "row 2, column 'ts', value 'not a date' (unparseable timestamp)" in message
    assert "row 3, column 'act', value None (missing activity)" in message


def test_quarantine_returns_bad_rows_separately(tmp_path: Path) -> None:
    text = "case,act,ts\nc1,A,2020-01-01 10:00:00\nc1,B,31/31/2020\n,C,2020-01-02 10:00:00\n"
    result = read_log(write(tmp_path, text), Mapping("case", "act", "ts"), on_bad_rows="quarantine")
    assert result.frame["row"].to_list() == [1]
    assert result.bad_rows.select("row", "reason").rows() == [
        (2, "unparseable timestamp"),
        (3, "missing case id"),
    ]
    assert result.report["bad_rows"] == 2


def test_empty_log_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EventLogError, match="empty log"):
        read_log(write(tmp_path, "case,act,ts\n"), Mapping("case", "act", "ts"))


def test_all_rows_bad_is_an_error_even_in_quarantine(tmp_path: Path) -> None:
    with pytest.raises(EventLogError, match="every row is bad"):
        read_log(
            write(tmp_path, "case,act,ts\nc1,,2020-01-01\n"),
            Mapping("case", "act", "ts"),
            on_bad_rows="quarantine",
        )


def test_invalid_bad_row_policy(tmp_path: Path) -> None:
    with pytest.raises(EventLogError, match="on_bad_rows"):
        read_log(
            write(tmp_path, "case,act,ts\nc1,A,2020-01-01\n"),
            Mapping("case", "act", "ts"),
            on_bad_rows="drop",
        )


def test_semicolon_and_cp1252_are_sniffed(tmp_path: Path) -> None:
    text = "case;act;ts\nc1;Créé;01.02.2020 10:00\nc1;Résolu;03.02.2020 11:00\n"
    result = read_log(write(tmp_path, text, encoding="cp1252"), Mapping("case", "act", "ts"))
    assert result.report["separator"] == ";" and result.report["encoding"] == "cp1252"
    assert result.report["timestamp"]["format"] == "%d.%m.%Y %H:%M"
    assert result.frame["activity"].to_list() == ["Créé", "Résolu"]


def test_separator_and_encoding_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, "case|act|ts\nc1|Ä|2020-01-01\n", encoding="latin-1")
    frame = read_log(path, Mapping("case", "act", "ts"), separator="|", encoding="latin-1").frame
    assert frame["activity"].to_list() == ["Ä"]


def test_sniff_separator_falls_back_to_header_counts() -> None:
    assert sniff_separator("a\tb\tc\n") == "\t"


def test_ambiguous_dates_resolved_by_case_order(tmp_path: Path) -> None:
    # every day <= 12: both readings parse; only month-first keeps each case moving forward in time
    text = (
        "case,act,ts\nc1,A,01/02/2020 10:00\nc1,B,01/05/2020 10:00\n"
        "c2,A,02/03/2020 10:00\nc2,B,03/01/2020 10:00\n"
    )
    result = read_log(write(tmp_path, text), Mapping("case", "act", "ts"))
    assert result.report["timestamp"]["format"] == "%m/%d/%Y %H:%M"
    assert "%d/%m/%Y %H:%M" in result.report["timestamp"]["ambiguous"]


def test_detect_timestamp_format_reports_partial_best() -> None:
    info = detect_timestamp_format(pl.Series(["2020-01-01 10:00:00", "2020-13-01 10:00:00", None]))
    assert info["format"] == "%Y-%m-%dT%H:%M:%S%.f%z" or info["parsed"] == 1


def test_naive_timestamps_localized_to_timezone(tmp_path: Path) -> None:
    path = write(tmp_path, "case,act,ts\nc1,A,2020-07-01 12:00:00\n")
    frame = read_log(path, Mapping("case", "act", "ts", timezone="Europe/Brussels")).frame
    assert frame["timestamp"].item().isoformat() == "2020-07-01T10:00:00+00:00"


def test_activity_from_two_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "case,status,sub,ts\nc1,Accepted,In Progress,2020-01-01\n")
    frame = read_log(path, Mapping("case", ("status", "sub"), "ts")).frame
    assert frame["activity"].to_list() == ["Accepted-In Progress"]


def test_zip_and_gz_sources(tmp_path: Path) -> None:
    text = "case,act,ts\nc1,A,2020-01-01\nc1,B,2020-01-02\n"
    archive = tmp_path / "log.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("__MACOSX/._log.csv", "junk")
        zf.writestr("readme.idp", "not data")
        zf.writestr("dir/log.csv", text)
    gz = tmp_path / "log.csv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    for source in (archive, gz):
        assert read_log(source, Mapping("case", "act", "ts")).frame.height == 2


def test_zip_with_two_data_files_is_an_error(tmp_path: Path) -> None:
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.csv", "x\n")
        zf.writestr("b.csv", "x\n")
    with pytest.raises(EventLogError, match="exactly one data file"):
        read_log(archive, Mapping("case", "act", "ts"))


def test_xlsx_with_native_datetimes(tmp_path: Path) -> None:
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["case", "act", "ts"])
    ws.append(["c1", "A", dt.datetime(2020, 1, 1, 9)])
    ws.append(["c1", "B", dt.datetime(2020, 1, 1, 10)])
    wb.save(tmp_path / "log.xlsx")
    result = read_log(tmp_path / "log.xlsx", Mapping("case", "act", "ts"))
    assert result.report["timestamp"]["format"] == "native"
    assert result.frame["activity"].to_list() == ["A", "B"]


XES = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">
 <trace><string key="concept:name" value="t1"/>
  <event><string key="concept:name" value="A"/>
   <date key="time:timestamp" value="2020-01-01T10:00:00.000+01:00"/>
   <string key="org:resource" value="ann"/></event>
  <event><string key="concept:name" value="B"/>
   <date key="time:timestamp" value="2020-01-01T11:00:00.000+01:00"/></event>
 </trace>
 <trace><string key="concept:name" value="t2"/>
  <event><string key="concept:name" value="A"/>
   <date key="time:timestamp" value="2020-01-02T10:00:00+01:00"/></event>
 </trace>
</log>"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<log><trace><event><string key="concept:name" value="&lol3;"/></event></trace></log>"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE log [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<log><trace><event><string key="concept:name" value="&xxe;"/></event></trace></log>"""


def test_xes_is_flattened_with_case_attributes(tmp_path: Path) -> None:
    frame = read_log(write(tmp_path, XES, "log.xes"), PRESETS["xes"]).frame
    assert frame.select("case", "activity", "resource").rows() == [
        ("t1", "A", "ann"),
        ("t1", "B", None),
        ("t2", "A", None),
    ]
    assert frame["timestamp"][0].isoformat() == "2020-01-01T09:00:00+00:00"


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL], ids=["billion-laughs", "external-entity"])
def test_malicious_xes_is_refused(tmp_path: Path, payload: str) -> None:
    with pytest.raises(EventLogError, match="refused unsafe XES"):
        read_log(write(tmp_path, payload, "evil.xes"), PRESETS["xes"])


def test_import_log_writes_normalized_parquet(tmp_path: Path) -> None:
    path = write(tmp_path, "case,act,ts,who,team,prio\nc1,A,2020-01-01,x,T,1\nc1,B,2020-01-02,y,U,1\n")
    mapping = replace(SIMPLE, attributes=("prio",))
    result = import_log(path, tmp_path / "out.parquet", mapping)
    back = read_normalized(tmp_path / "out.parquet").collect()
    assert back.columns == ["row", "case", "activity", "timestamp", "resource", "group", "prio"]
    assert back.equals(result.frame)


def test_read_normalized_rejects_other_parquet(tmp_path: Path) -> None:
    pl.DataFrame({"x": [1]}).write_parquet(tmp_path / "x.parquet")
    with pytest.raises(EventLogError, match="not a normalized event log"):
        read_normalized(tmp_path / "x.parquet")


def test_reserved_attribute_names_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "case,act,ts,group\nc1,A,2020-01-01,T\n")
    with pytest.raises(EventLogError, match="reserved"):
        read_log(path, Mapping("case", "act", "ts", attributes=("group",)))


def test_progress_hook_sees_every_stage(tmp_path: Path) -> None:
    stages: list[str] = []
    archive = tmp_path / "log.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("log.csv", "case,act,ts\nc1,A,2020-01-01\n")
    read_log(archive, Mapping("case", "act", "ts"), progress=lambda stage, done, total: stages.append(stage))
    assert list(dict.fromkeys(stages)) == ["extract", "scan", "parse", "sort", "done"]


def test_large_csv_streams_only_mapped_columns(tmp_path: Path) -> None:
    n = 200_000
    frame = pl.DataFrame(
        {
            "case": [f"c{i // 4}" for i in range(n)],
            "act": ["A", "B", "C", "D"] * (n // 4),
            "ts": [f"2020-01-{1 + (i % 4):02d} 10:00:00" for i in range(n)],
            "padding": ["x" * 200] * n,
        }
    )
    frame.write_csv(tmp_path / "big.csv")
    result = read_log(tmp_path / "big.csv", Mapping("case", "act", "ts"))
    assert result.report["events"] == n and result.report["cases"] == n // 4
    assert "padding" not in result.frame.columns


def test_duplicate_events_are_kept_and_counted(tmp_path: Path) -> None:
    text = "case,act,ts\nc1,A,2020-01-01 10:00\nc1,A,2020-01-01 10:00\nc1,B,2020-01-01 11:00\n"
    result = read_log(write(tmp_path, text), Mapping("case", "act", "ts"))
    assert result.report["duplicate_events"] == 1 and result.frame.height == 3


def test_decompression_bomb_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "log.csv.gz"
    with gzip.open(bomb, "wb") as out:
        out.write(b"case,activity,timestamp\n")
        out.write(b"0" * (80 << 20))  # 80 MB of zeros compress to ~80 KB: far beyond 100x
    with pytest.raises(EventLogError, match="decompression bomb"), materialize(bomb):
        pass


T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d", None]),
            st.one_of(st.none(), st.integers(min_value=0, max_value=4)),
        ),
        min_size=0,
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_sort_events_equals_a_full_sort(events: list[tuple[str | None, int | None]], rnd: Any) -> None:
    """Grouped-by-case fast path plus re-sorting of disorderly cases = a full sort by (case in
    order of first appearance, timestamp, row)."""
    rows = list(range(1, len(events) + 1))
    rnd.shuffle(rows)  # frame order need not be row order
    frame = pl.DataFrame(
        {
            "row": rows,
            "case": [c for c, _ in events],
            "timestamp": [None if h is None else T0.replace(hour=h) for _, h in events],
            "other": [str(i) for i in range(len(events))],
        },
        schema_overrides={"row": pl.Int64, "case": pl.String, "timestamp": pl.Datetime("us", "UTC")},
    )
    first_seen = pl.col("i").min().over("case").alias("first_seen")
    expected = (
        frame.with_row_index("i")
        .with_columns(first_seen)
        .sort("first_seen", "timestamp", "row")
        .drop("i", "first_seen")
    )
    assert sort_events(frame).equals(expected)


def test_repeated_timestamps_parsed_once_match_a_direct_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsing distinct timestamp strings then mapping back gives the row-by-row parse, bad ones too."""
    monkeypatch.setattr(eventlog, "DISTINCT_PARSE_FROM", 0)  # take the distinct path on a small log
    stamps = ["31/12/2020 23:59", "1/1/2021 00:00", "29/2/2016 01:23", "not a date", "31/2/2021 10:00"]
    lines = [f"c{i % 7},A,{stamps[i % len(stamps)]},x,T" for i in range(200)]
    path = write(tmp_path, "case,act,ts,who,team\n" + "\n".join(lines) + "\n")
    mapping = replace(SIMPLE, timestamp_format="%d/%m/%Y %H:%M")
    result = read_log(path, mapping, on_bad_rows="quarantine")
    direct = pl.read_csv(path, infer_schema=False).with_row_index("row", offset=1)
    expected = direct.select(
        pl.col("row").cast(pl.Int64),
        pl.col("ts")
        .str.strptime(pl.Datetime("us"), "%d/%m/%Y %H:%M", strict=False, exact=True)
        .dt.replace_time_zone("UTC")
        .alias("timestamp"),
    )
    got = result.frame.select("row", "timestamp").sort("row")
    assert got.equals(expected.filter(pl.col("timestamp").is_not_null()))
    assert set(result.bad_rows["row"]) == set(expected.filter(pl.col("timestamp").is_null())["row"])


def test_timestamp_column_without_any_value_is_every_row_bad(tmp_path: Path) -> None:
    path = write(tmp_path, "case,act,ts,who,team\nc1,A,,x,T\nc1,B,,x,T\nc2,A,,x,T\n")
    with pytest.raises(EventLogError, match="every row is bad"):
        read_log(path, replace(SIMPLE, timestamp_format="%Y-%m-%d"), on_bad_rows="quarantine")


@pytest.mark.parametrize("cases", [3, 1200])
def test_sort_events_re_sorts_disorderly_cases_of_a_grouped_log_in_place(cases: int) -> None:
    """A log grouped by case where every other case goes back in time: those cases are re-sorted
    (by block replacement, or by one gather past 1,000 blocks) and the others kept as they are."""
    rows, case_ids, stamps = [], [], []
    for c in range(cases):
        hours = [2, 1, 3] if c % 2 else [1, 2, 3]
        for h in hours:
            rows.append(len(rows) + 1)
            case_ids.append(f"C{cases - c:05d}")  # first appearance is not the lexical order
            stamps.append(T0.replace(hour=h))
    frame = pl.DataFrame(
        {"row": rows, "case": case_ids, "timestamp": stamps},
        schema_overrides={"row": pl.Int64, "timestamp": pl.Datetime("us", "UTC")},
    )
    result = sort_events(frame)
    assert result["case"].to_list() == case_ids
    assert result["timestamp"].to_list() == [T0.replace(hour=h) for _ in range(cases) for h in (1, 2, 3)]
    assert result.filter(pl.col("case") == f"C{cases - 1:05d}")["row"].to_list() == [5, 4, 6]


@settings(deadline=None, max_examples=60)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["c1", "c2", "c3"]),
            st.sampled_from(["A", "B"]),
            st.integers(min_value=0, max_value=2),
            st.sampled_from(["ann", "bob", None]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_case_and_duplicate_counts_equal_a_plain_count(
    events: list[tuple[str, str, int, str | None]],
) -> None:
    """The report's counts (case numbers from the sort, duplicates found on hashes) equal a
    plain count on the sorted frame: an event repeating its case's previous activity, time
    and resource (a missing resource repeating a missing one)."""
    frame = pl.DataFrame(
        {
            "row": list(range(1, len(events) + 1)),
            "case": [e[0] for e in events],
            "activity": [e[1] for e in events],
            "timestamp": [T0.replace(hour=e[2]) for e in events],
            "resource": [e[3] for e in events],
        },
        schema_overrides={"row": pl.Int64, "timestamp": pl.Datetime("us", "UTC"), "resource": pl.String},
    )
    ordered, new_case = eventlog._sort(frame)
    report = eventlog._finish_report(ordered, new_case, ordered.clear().select("row"), {})
    rows = ordered.rows(named=True)
    plain = sum(
        1
        for before, now in zip(rows, rows[1:], strict=False)
        if all(before[k] == now[k] for k in ("case", "activity", "timestamp", "resource"))
    )
    assert report["duplicate_events"] == plain
    assert report["cases"] == len({e[0] for e in events})
    starts = [
        i
        for i, (before, now) in enumerate(zip([None, *rows[:-1]], rows, strict=True))
        if before is None or before["case"] != now["case"]
    ]
    assert new_case.arg_true().to_list() == starts


def test_only_keeps_case_activity_timestamps_and_the_named_columns():
    vinst = eventlog.PRESETS["vinst"]
    assert vinst.only().source_columns() == ["SR Number", "Activity", "Change Date+Time"]
    kept = vinst.only(["group", "Product", "unknown"])
    assert kept.source_columns() == ["SR Number", "Activity", "Change Date+Time", "Involved ST", "Product"]
    assert kept.timestamp_format == vinst.timestamp_format and kept.null_values == vinst.null_values
    two_stamps = eventlog.Mapping("c", ("a", "b"), "end", start_timestamp="start", resource="r")
    assert two_stamps.only().source_columns() == ["c", "a", "b", "end", "start"]


def test_a_clean_log_has_an_empty_bad_row_table_of_the_same_shape(tmp_path: Path) -> None:
    path = write(tmp_path, "case,act,ts,who,team\nc1,A,2024-01-01,x,T\nc1,B,2024-01-02,x,T\n")
    clean = read_log(path, SIMPLE).bad_rows
    path = write(tmp_path, "case,act,ts,who,team\nc1,A,2024-01-01,x,T\nc1,B,oops,x,T\n")
    dirty = read_log(path, SIMPLE, on_bad_rows="quarantine").bad_rows
    assert clean.height == 0 and dirty.height == 1
    assert clean.schema == dirty.schema == eventlog.BAD_ROWS_SCHEMA


@pytest.mark.parametrize(
    ("sample", "separator"),
    [
        ("a;b;c\n1;2;3\n4;5;6\n", ";"),
        ("x|y\n1|2\n3|4\n", "|"),
        ('a,b\n"1,5",2\n3,4\n', ","),  # a quoted separator does not count
        ("a\tb\n1\t2\n", "\t"),
        ("a;b\n1;2\n3;4\npartial;li", ";"),  # the cut last line is left out
        # Ragged rows, or a quoted line break cut by the sample: csv.Sniffer decides.
        ("case,act,ts,who\n1,Create,2024-01-01,ann\n1,Approve; escalate,2024-01-02\n", ","),
        ("c,a,t,note\n" + "1,A,2024-01-01,see KB; retry\n" * 30 + '2,"B\nsecond', ","),
    ],
)
def test_sniff_separator_takes_the_one_steady_separator(sample: str, separator: str) -> None:
    assert sniff_separator(sample) == separator
