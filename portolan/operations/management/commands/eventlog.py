"""``portolan eventlog analyze|findings|import FILE ...``: analyse an event log file, or import it.

``import`` stores the log as Parquet under the data directory and registers it (an EventLog row
with an audit row, source CLI) through ``portolan.operations.services``, with a progress bar, and
feeds the catalogue's ITSM KPIs the log supports (MTTR, SLA_COMPL ...; ``--no-kpis`` to skip).

The mapping is a preset (``--preset servicenow``) or explicit columns (``--case``,
``--activity``, ``--timestamp`` ...). Output is JSON with ISO timestamps and plain floats.

``analyze`` takes the pages' case filters: ``--filter COLUMN=VALUE`` (repeatable; values of one
column are alternatives, columns all apply; COLUMN is the source column of the group, resource
or an attribute) and ``--variant ID`` (the ``id`` of a variant in an earlier ``analyze`` output).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from argparse import ArgumentParser, Namespace
from typing import Any

import polars as pl
from django.core.management.base import BaseCommand, CommandError

from portolan.engine import eventlog, findings, process
from portolan.operations import analysis


def _jsonable(value: Any) -> Any:
    """Plain JSON: ISO timestamps, finite floats (NaN/inf become null)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def add_mapping_arguments(parser: ArgumentParser) -> None:
    """The file and mapping options shared by the subcommands."""
    parser.add_argument("file", help="CSV, XLSX, Parquet or XES; plain, .zip or .gz")
    parser.add_argument("--preset", choices=sorted(eventlog.PRESETS), help="a known column mapping")
    parser.add_argument("--case", help="case id column")
    parser.add_argument("--activity", help="activity column (comma-separate several to join them)")
    parser.add_argument("--timestamp", help="completion timestamp column")
    parser.add_argument("--start-timestamp", help="start timestamp column")
    parser.add_argument(
        "--timestamp-format", help="strftime format; detected over the whole column if absent"
    )
    parser.add_argument("--timezone", help="IANA time zone of naive timestamps (default UTC)")
    parser.add_argument("--resource", help="resource column")
    parser.add_argument("--group", help="group (team) column")
    parser.add_argument("--attribute", action="append", default=[], help="extra column to keep (repeatable)")
    parser.add_argument("--separator", help="CSV separator (sniffed if absent)")
    parser.add_argument("--encoding", help="file encoding (utf-8 unless detected otherwise)")
    parser.add_argument("--null-value", action="append", default=[], help="text meaning missing (repeatable)")
    parser.add_argument("--quarantine", action="store_true", help="set bad rows aside instead of failing")
    parser.add_argument("--json", action="store_true", help="print JSON (the only output format)")


def build_mapping(opts: Namespace) -> eventlog.Mapping:
    """A preset with overrides, or a mapping from explicit columns."""
    overrides = {
        "timestamp_format": opts.timestamp_format,
        "timezone": opts.timezone,
        "start_timestamp": opts.start_timestamp,
        "resource": opts.resource,
        "group": opts.group,
    }
    overrides = {k: v for k, v in overrides.items() if v}
    if opts.attribute:
        overrides["attributes"] = tuple(opts.attribute)
    if opts.null_value:
        overrides["null_values"] = ("", *opts.null_value)
    if opts.preset:
        return dataclasses.replace(eventlog.PRESETS[opts.preset], **overrides)
    missing = [f"--{name}" for name in ("case", "activity", "timestamp") if not getattr(opts, name)]
    if missing:
        raise CommandError(
            f"give --preset or all of --case --activity --timestamp (missing {' '.join(missing)})"
        )
    activity = tuple(a.strip() for a in opts.activity.split(","))
    return eventlog.Mapping(
        case=opts.case,
        activity=activity[0] if len(activity) == 1 else activity,
        timestamp=opts.timestamp,
        **overrides,
    )


class Command(BaseCommand):
    help = "Analyse an event log file: `analyze` (process analysis) or `findings` (ranked inefficiencies)."
    # Works on files: the system checks (which import every URL module, ~1 s) are not needed.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        analyze = sub.add_parser("analyze", help="DFG, variants, durations as JSON")
        add_mapping_arguments(analyze)
        analyze.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="COLUMN=VALUE",
            help="keep the cases having this value (repeatable)",
        )
        analyze.add_argument("--variant", metavar="ID", help="keep the cases of this variant (its id)")
        find = sub.add_parser("findings", help="quantified findings ranked by impact, as JSON")
        add_mapping_arguments(find)
        find.add_argument("--sla-hours", type=float, help="SLA target duration for every case")
        find.add_argument("--level-attribute", help="support-level attribute for push-to-front")
        find.add_argument("--reopen-activity", help="activity that marks a reopen")
        imp = sub.add_parser("import", help="import the log: Parquet, analysis, findings")
        add_mapping_arguments(imp)
        imp.add_argument("--name", required=True, help="name of the event log in Portolan")
        imp.add_argument("--team", help="code of the owner team")
        imp.add_argument(
            "--no-kpis",
            action="store_true",
            help="do not feed the catalogue's ITSM KPIs (MTTR, SLA_COMPL ...)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        opts = Namespace(**options)
        if opts.action == "import":
            self._import(opts)
            return
        mapping = build_mapping(opts)
        columns = analysis.filter_columns(dataclasses.asdict(mapping))  # the full mapping's
        pairs: list[tuple[str, str]] = []
        if opts.action == "analyze":
            # The analysis needs case, activity and time, plus the columns it is filtered on.
            pairs = self._filter_pairs(columns, opts.filter)
            mapping = mapping.only(columns.get(name, name) for name, _ in pairs)
        try:
            result = eventlog.read_log(
                opts.file,
                mapping,
                separator=opts.separator,
                encoding=opts.encoding,
                on_bad_rows="quarantine" if opts.quarantine else "reject",
            )
        except eventlog.EventLogError as exc:
            raise CommandError(str(exc)) from exc
        out: dict[str, Any] = {"read": result.report}
        if opts.action == "analyze":
            out |= self._analyze(result.frame, opts, columns, pairs)
        else:
            out["findings"] = [f.to_dict() for f in findings.detect(result.frame, self._config(opts))]
        self.stdout.write(json.dumps(_jsonable(out), ensure_ascii=False))

    @staticmethod
    def _filter_pairs(columns: dict[str, str], texts: list[str]) -> list[tuple[str, str]]:
        """``--filter COLUMN=VALUE`` options as (column, value) pairs."""
        pairs = []
        for text in texts:
            pair = analysis.split_filter(text, [*columns, "group", "resource"], sep="=")
            if pair is None:
                raise CommandError(
                    f"cannot read --filter {text!r}: write COLUMN=VALUE, COLUMN one of {', '.join(columns)}"
                )
            pairs.append(pair)
        return pairs

    @staticmethod
    def _analyze(
        frame: pl.DataFrame, opts: Namespace, columns: dict[str, str], pairs: list[tuple[str, str]]
    ) -> dict[str, Any]:
        """The analysis of the cases passing ``--filter``/``--variant``; variants carry their id.

        ``columns`` are the full mapping's filterable columns (unknown filter columns are named
        against them); ``frame`` holds only the columns filtered on.
        """

        def variants():
            traces = process.case_table(frame).select("variant").unique().collect()["variant"]
            return (v.split(process.VARIANT_SEP) for v in traces)

        filters, errors = analysis.build_filters(
            frame.lazy(), columns, attributes=pairs, variant=opts.variant or "", variants=variants
        )
        if errors:
            raise CommandError(" ".join(errors))
        out = process.analyze(frame, filters.engine())
        for variant in out["variants"]:
            variant["id"] = analysis.variant_id(variant["activities"])
        if filters.engine() is not None:
            out["filters"] = {
                "attributes": {column: list(values) for column, values in filters.attributes},
                "variant": list(filters.variant) if filters.variant is not None else None,
            }
        return out

    @staticmethod
    def _config(opts: Namespace) -> findings.FindingsConfig:
        """Findings knobs: the preset's, then command-line overrides."""
        config = findings.CONFIG_PRESETS.get(opts.preset or "", findings.FindingsConfig())
        overrides: dict[str, Any] = {}
        if opts.sla_hours is not None:
            overrides |= {"sla_target_s": opts.sla_hours * 3600, "sla_met_attribute": None}
        if opts.level_attribute:
            overrides["level_attribute"] = opts.level_attribute
        if opts.reopen_activity:
            overrides["reopen_activity"] = opts.reopen_activity
        return dataclasses.replace(config, **overrides)

    def _import(self, opts: Namespace) -> None:
        """Import through the service (audit row, source CLI), with a rich progress bar."""
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

        from portolan.core.audit import ChangeContext
        from portolan.core.models import AuditEntry
        from portolan.operations import services
        from portolan.portfolio.models import Team

        team = None
        if opts.team:
            team = Team.objects.filter(code=opts.team).first()
            if team is None:
                raise CommandError(f"no team with code {opts.team!r}")
        mapping = build_mapping(opts)
        ctx = ChangeContext(user=None, source=AuditEntry.Source.CLI)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            console=None,
            transient=True,
            disable=not self.stdout.isatty(),
        ) as bar:
            task = bar.add_task("reading", total=None)

            def progress(stage: str, done: int, total: int | None) -> None:
                bar.update(task, description=stage, completed=done, total=total)

            try:
                log = services.import_eventlog(
                    ctx,
                    opts.file,
                    name=opts.name,
                    mapping=mapping,
                    preset=opts.preset or "",
                    options={"separator": opts.separator, "encoding": opts.encoding},
                    on_bad_rows="quarantine" if opts.quarantine else "reject",
                    team=team,
                    progress=progress,
                    record_kpis=not opts.no_kpis,
                )
            except services.ImportRefused as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        summary = {
            "id": log.pk,
            "name": log.name,
            "events": log.events,
            "cases": log.cases,
            "bad_rows": log.bad_rows,
            "findings": log.findings.count(),
            "parquet": str(log.parquet),
            "kpis": log.analysis.get("kpis", {}),
        }
        if opts.json:
            self.stdout.write(json.dumps(_jsonable(summary)))
        else:
            self.stdout.write(
                f"Imported event log #{log.pk} {log.name!r}: {log.events:,} events, {log.cases:,} cases, "
                f"{log.bad_rows:,} bad rows quarantined, {summary['findings']} findings."
            )
            kpis = summary["kpis"]
            if kpis.get("fed"):
                fed = ", ".join(f"{k['code']} ({k['periods']} periods)" for k in kpis["fed"])
                self.stdout.write(f"Fed KPIs: {fed}.")
            for code, reason in kpis.get("skipped", {}).items():
                self.stdout.write(f"Not fed: {code}: {reason}.")
