"""The compiled timestamp parser gives Polars' strptime answer for every value, accepted or not."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portolan.engine import eventlog, timeparse

READABLE = [f for f in eventlog.CANDIDATE_FORMATS if timeparse.program(f) is not None]
FORMATS = [*READABLE, "%F %T", "%d/%m/%Y %R", "%Y%m%d%H%M%S", "%d.%m.%Y à %Hh%M"]


def polars_parse(values: pl.Series, fmt: str) -> pl.Series:
    return values.str.strptime(pl.Datetime("us"), fmt, strict=False, exact=True)


def _tokens(fmt: str) -> list[str]:
    """The format as directives ('%d', '%.f', ...) and single literal characters."""
    out, i = [], 0
    while i < len(fmt):
        size = 1 if fmt[i] != "%" else (3 if fmt[i + 1] == "." else 2)
        out.append(fmt[i : i + size])
        i += size
    return out


EXPANSIONS = {"%F": "%Y-%m-%d", "%T": "%H:%M:%S", "%R": "%H:%M"}
FIELD_RANGES = {"%Y": (0, 9999), "%m": (1, 12), "%d": (1, 28), "%H": (0, 23), "%M": (0, 59), "%S": (0, 59)}
EDGES = {
    "%Y": [0, 1900, 2000, 2016, 2100],
    "%m": [0, 2, 4, 13],
    "%d": [0, 29, 30, 31, 32],
    "%H": [0, 23, 24],
    "%M": [59, 60],
    "%S": [59, 60, 61],
}


@st.composite
def field(draw: st.DrawFn, token: str) -> str:
    """A number for one field, often at or just past the edge of its range, in 0-4 digits."""
    edge = draw(st.integers(0, 5)) == 0
    value = draw(st.sampled_from(EDGES[token]) if edge else st.integers(*FIELD_RANGES[token]))
    width = draw(st.sampled_from([4] * 12 + [0, 2] if token == "%Y" else [1] * 6 + [2] * 6 + [3]))
    return str(value).zfill(width)


@st.composite
def spelled(draw: st.DrawFn, fmt: str) -> str | None:
    """A value spelling ``fmt``, mostly right, sometimes wrong in one of the ways logs are wrong."""
    if draw(st.integers(0, 30)) == 0:
        return None
    for short, long in EXPANSIONS.items():
        fmt = fmt.replace(short, long)
    parts = []
    for token in _tokens(fmt):
        if token in FIELD_RANGES:
            parts.append(draw(field(token)))
        elif token == "%.f":
            digits = draw(st.text("0123456789", max_size=11))
            parts.append(draw(st.sampled_from(["", "." + digits, "." + digits, "."])))
        else:
            choice = draw(st.integers(0, 60))
            parts.append({0: "", 1: token + token, 2: " ", 3: "x"}.get(choice, token))
    wrapped = draw(st.sampled_from(["{}"] * 12 + [" {}", "{} ", "{}Z", "{}0", "{}\t"]))
    return wrapped.format("".join(parts))


@settings(max_examples=100, deadline=None)
@given(data=st.data(), fmt=st.sampled_from(FORMATS))
def test_compiled_parse_equals_polars_value_for_value(data: st.DataObject, fmt: str) -> None:
    values = pl.Series("t", data.draw(st.lists(spelled(fmt), min_size=20, max_size=80)), dtype=pl.String)
    compiled = timeparse.parse(values, fmt)
    assert compiled is not None
    assert compiled.dtype == pl.Datetime("us")
    # Compared as integers: Python's datetime cannot hold year 0, which both sides read.
    assert compiled.to_physical().to_list() == polars_parse(values, fmt).to_physical().to_list(), (
        values.to_list()
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("29/2/2016 01:16", "2016-02-29 01:16"),
        ("1/12/2016 9:05", "2016-12-01 09:05"),
        ("29/2/2015 01:16", None),  # not a leap year
        ("29/2/2000 01:16", "2000-02-29 01:16"),  # a leap year: divisible by 400
        ("29/2/1900 01:16", None),  # not one: divisible by 100
        ("31/4/2016 01:16", None),
        ("1/1/0001 00:00", "0001-01-01 00:00"),
        ("31/12/9999 23:59", "9999-12-31 23:59"),
        ("29/2/16 01:16", "0016-02-29 01:16"),  # chrono's %Y reads 1-4 digits: left to Polars
        ("", None),
    ],
)
def test_known_values_day_first(value: str, expected: str | None) -> None:
    values = pl.Series("t", [value, None])
    parsed = timeparse.parse(values, "%d/%m/%Y %H:%M")
    want = (
        None
        if expected is None
        else pl.Series([expected]).str.to_datetime("%Y-%m-%d %H:%M", time_unit="us")[0]
    )
    assert parsed.to_list() == [want, None]
    assert parsed.to_list() == polars_parse(values, "%d/%m/%Y %H:%M").to_list()


def test_fraction_is_truncated_to_microseconds_as_polars_does() -> None:
    values = pl.Series(
        "t", ["2024-03-01 10:00:00.123456789", "1969-12-31 23:59:59.9999999", "2024-03-01 10:00:00"]
    )
    parsed = timeparse.parse(values, "%Y-%m-%d %H:%M:%S%.f")
    assert parsed.to_list() == polars_parse(values, "%Y-%m-%d %H:%M:%S%.f").to_list()
    assert parsed.dt.microsecond().to_list() == [123456, 999999, 0]


@pytest.mark.parametrize(
    "fmt",
    [
        "%Y-%m-%dT%H:%M:%S%.f%z",  # time zones: Polars
        "%m/%d/%Y %I:%M %p",  # 12-hour clock
        "%d %b %Y",  # month names
        "%d/%m/%y",  # two-digit years
        "%d/%m/%Y %d",  # a field twice
        "%Y-%m-%d %H",  # hours without minutes
        "%H:%M",  # no date
        "%Y-%m-%d %M:%S",
        "%d/%m/%Y %H:%M %%T",  # Polars expands %T even after %% (and checks %%H, %%z as fields)
        "%Y-%m-%d %% %H:%M",
    ],
)
def test_formats_it_does_not_read_are_left_to_polars(fmt: str) -> None:
    assert timeparse.program(fmt) is None
    assert timeparse.parse(pl.Series("t", ["2024-01-01"]), fmt) is None


def test_values_that_are_not_text_are_left_to_polars() -> None:
    assert timeparse.parse(pl.Series("t", ["2024-01-01"], dtype=pl.Categorical), "%Y-%m-%d") is None


def test_read_log_takes_the_compiled_path_on_large_columns_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    days = [
        f"{d}/{m}/2016 {h}:{mi:02d}"
        for d in range(1, 29)
        for m in (1, 2, 11)
        for h in (0, 9, 23)
        for mi in (0, 59)
    ]
    rows = ["case,activity,time"] + [f"c{i % 50},a{i % 3},{day}" for i, day in enumerate(days * 3)]
    rows[7] = "c7,a1,30/2/2016 01:00"  # not a date: a bad row either way
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n")
    mapping = eventlog.Mapping(
        case="case", activity="activity", timestamp="time", timestamp_format="%d/%m/%Y %H:%M"
    )
    calls: list[str] = []
    compiled_parse = timeparse.parse
    monkeypatch.setattr(
        timeparse, "parse", lambda values, fmt: calls.append(fmt) or compiled_parse(values, fmt)
    )

    monkeypatch.setattr(timeparse, "COMPILED_PARSE_FROM", 10**9)
    by_polars = eventlog.read_log(path, mapping, on_bad_rows="quarantine")
    assert calls == []
    monkeypatch.setattr(timeparse, "COMPILED_PARSE_FROM", 1)
    compiled = eventlog.read_log(path, mapping, on_bad_rows="quarantine")
    assert calls == ["%d/%m/%Y %H:%M"]

    assert compiled.frame.equals(by_polars.frame)
    assert compiled.bad_rows.equals(by_polars.bad_rows)
    assert compiled.bad_rows["value"].to_list() == ["30/2/2016 01:00"]
