"""Operations use cases: the only place that writes event logs, findings and delivery data sets.

Pages, the API and the CLI all call these functions. Files are written first into a fresh
folder under ``settings.DATA_DIR``; the row is then created through ``core.services`` (permission
check + audit row) and the folder removed again if that fails, so there are no orphans either way.
"""

from __future__ import annotations

import dataclasses
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from portolan.core import services
from portolan.core.audit import ChangeContext
from portolan.core.roles import ADD, CHANGE
from portolan.engine import dora, eventlog, findings, itsm_kpis, process
from portolan.operations import analysis
from portolan.operations.analysis import Window, jsonable
from portolan.operations.models import DeliveryDataset, EventLog, Finding
from portolan.portfolio import services as portfolio_services
from portolan.portfolio.models import Initiative

EVENTLOG_DIR = "eventlogs"
DELIVERY_DIR = "delivery"
STAGING_DIR = "staging"

# Engine KPI names -> codes of the KPI catalogue (portolan.engine.kpi_library).
KPI_CODES = {
    "reassignment_rate": "REASSIGN",
    "mttr": "MTTR",
    "sla_compliance": "SLA_COMPL",
    "reopen_rate": "REOPEN",
    "rework_rate": "REOPEN",
    "first_line_resolution_rate": "FCR",
}
DORA_KPI_CODES = {
    "deployment_frequency": "DORA_DF",
    "lead_time_for_changes": "DORA_LT",
    "change_failure_rate": "DORA_CFR",
    "time_to_restore": "DORA_TTR",
}


class ImportRefused(ValidationError):
    """An import refused with a message for the user (wrong mapping, bad rows, empty log ...)."""


def _new_folder(kind: str) -> tuple[Path, str]:
    rel = f"{kind}/{secrets.token_hex(8)}"
    folder = settings.DATA_DIR / rel
    folder.mkdir(parents=True, exist_ok=False)
    return folder, rel


def _check_can_add(ctx: ChangeContext, model, team) -> None:
    """Refuse before any file is written (the create below checks again, inside its transaction)."""
    probe = model(team=team, imported_by=ctx.user if getattr(ctx.user, "is_authenticated", False) else None)
    services.check_permission(ctx, probe, ADD)


def _owner(ctx: ChangeContext):
    return ctx.user if getattr(ctx.user, "is_authenticated", False) else None


# ---------------------------------------------------------------- event logs: reading


def mapping_from(data: Mapping[str, Any]) -> tuple[eventlog.Mapping, str]:
    """An engine Mapping from a preset name and/or explicit columns (form, API or CLI values)."""
    preset = (data.get("preset") or "").strip()
    overrides = {
        k: data[k] or None
        for k in ("timestamp_format", "resource", "group", "start_timestamp", "timezone")
        if k in data and data[k]
    }
    if preset:
        if preset not in eventlog.PRESETS:
            raise ImportRefused(
                {"preset": f"Unknown preset {preset!r}; use one of {', '.join(eventlog.PRESETS)}."}
            )
        return dataclasses.replace(eventlog.PRESETS[preset], **overrides), preset
    missing = [k for k in ("case", "activity", "timestamp") if not data.get(k)]
    if missing:
        raise ImportRefused({k: "Choose the column that holds this, or pick a preset." for k in missing})
    activity = tuple(a.strip() for a in str(data["activity"]).split(",") if a.strip())
    return (
        eventlog.Mapping(
            case=data["case"],
            activity=activity[0] if len(activity) == 1 else activity,
            timestamp=data["timestamp"],
            attributes=tuple(data.get("attributes") or ()),
            **overrides,
        ),
        "",
    )


def source_columns(path: Path, separator: str | None = None, encoding: str | None = None) -> list[str]:
    """The column names of an uploaded file (for the mapping step)."""
    probe = eventlog.Mapping(case="?", activity="?", timestamp="?")
    try:
        with eventlog.materialize(path) as (plain, suffix), tempfile.TemporaryDirectory() as tmp:
            lf, _ = eventlog.scan_source(plain, suffix, probe, separator or None, encoding or None, Path(tmp))
            return lf.collect_schema().names()
    except eventlog.EventLogError as exc:
        raise ImportRefused(_sentence(str(exc))) from exc
    except pl.exceptions.PolarsError as exc:
        raise ImportRefused(f"Cannot read the file: {exc} (try another encoding or separator).") from exc


def _read(source: Path, mapping: eventlog.Mapping, options: Mapping[str, Any], policy: str, progress=None):
    try:
        return eventlog.read_log(
            source,
            mapping,
            separator=options.get("separator") or None,
            encoding=options.get("encoding") or None,
            on_bad_rows=policy,
            progress=progress,
        )
    except eventlog.EventLogError as exc:
        raise ImportRefused(_sentence(str(exc))) from exc
    except pl.exceptions.PolarsError as exc:
        raise ImportRefused(f"The file cannot be read as mapped: {exc}") from exc


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def bad_row_examples(bad: pl.DataFrame, limit: int = eventlog.MAX_EXAMPLES) -> list[dict[str, Any]]:
    return jsonable(bad.head(limit).to_dicts()) if bad.height else []


# ---------------------------------------------------------------- event logs: the wizard's staging


def staging_folder(token: str) -> Path:
    if not token or not token.isalnum():
        raise ImportRefused("This upload has expired; upload the file again.")
    return settings.DATA_DIR / STAGING_DIR / token


def stage_upload(uploaded) -> tuple[str, Path]:
    """Keep an uploaded file (a Django UploadedFile) in a fresh staging folder."""
    token = secrets.token_hex(12)
    folder = settings.DATA_DIR / STAGING_DIR / token
    folder.mkdir(parents=True)
    name = Path(uploaded.name or "upload").name.replace("/", "_") or "upload"
    (folder / "source").mkdir()
    dest = folder / "source" / name
    with open(dest, "wb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)
    return token, dest


def staged_source(token: str) -> Path:
    folder = staging_folder(token)
    found = sorted((folder / "source").glob("*"))
    if not found:
        raise ImportRefused("This upload has expired; upload the file again.")
    return found[0]


def discard_staging(token: str) -> None:
    shutil.rmtree(staging_folder(token), ignore_errors=True)


def preview_eventlog(token: str, mapping: eventlog.Mapping, options: Mapping[str, Any]) -> dict[str, Any]:
    """Read the staged file as mapped, set bad rows aside, keep the result for the import step."""
    folder = staging_folder(token)
    result = _read(staged_source(token), mapping, options, "quarantine")
    eventlog.write_normalized(result.frame, folder / "log.parquet")
    result.bad_rows.write_parquet(folder / "bad.parquet")
    report = jsonable(result.report)
    report["bad_row_summary"] = eventlog.describe_bad_rows(result.bad_rows) if result.bad_rows.height else ""
    report["bad_row_examples"] = bad_row_examples(result.bad_rows)
    return report


# ---------------------------------------------------------------- event logs: import


@transaction.atomic
def _register_eventlog(
    ctx: ChangeContext,
    *,
    frame: pl.DataFrame,
    bad: pl.DataFrame,
    report: Mapping[str, Any],
    name: str,
    source_name: str,
    mapping: eventlog.Mapping,
    preset: str,
    team=None,
    record_kpis: bool = True,
) -> EventLog:
    _check_can_add(ctx, EventLog, team)
    # Decided before the row exists, so the log's own audit row already names the KPIs it feeds.
    kpi_plan = itsm_kpi_plan(ctx, frame, preset) if record_kpis else None
    folder, rel = _new_folder(EVENTLOG_DIR)
    try:
        eventlog.write_normalized(frame, folder / "log.parquet")
        if bad.height:
            bad.write_parquet(folder / "bad.parquet")
        summary = process.analyze(frame)
        analysis.write_json(analysis.cache_path(folder, "analysis", Window()), summary)
        for page in analysis.PAGES[1:]:
            analysis.write_json(
                analysis.cache_path(folder, page, Window()),
                analysis.compute_page(frame, page, Window(), preset),
            )
        log = services.create(
            ctx,
            EventLog,
            {
                "name": name,
                "source_name": source_name[:300],
                "preset": preset,
                "mapping": jsonable(dataclasses.asdict(mapping)),
                "imported_by": _owner(ctx),
                "team": team,
                "events": report["events"],
                "cases": report["cases"],
                "activities": len(summary["activities"]),
                "duplicate_events": report.get("duplicate_events", 0),
                "first_timestamp": report["first_timestamp"],
                "last_timestamp": report["last_timestamp"],
                "bad_rows": report.get("bad_rows", 0),
                "bad_row_summary": eventlog.describe_bad_rows(bad) if bad.height else "",
                "data_path": rel,
                "parquet_path": f"{rel}/log.parquet",
                "analysis": jsonable(
                    {
                        "reading": {
                            k: v for k, v in report.items() if k not in ("first_timestamp", "last_timestamp")
                        },
                        "case_duration_seconds": summary["case_duration_seconds"],
                        "throughput": summary["throughput"],
                        "variants": len(summary["variants"]),
                        "start_activities": summary["start_activities"],
                        "end_activities": summary["end_activities"],
                        **({"kpis": kpi_plan.summary()} if kpi_plan is not None else {}),
                    }
                ),
            },
        )
        _create_findings(ctx, log, frame)
        if kpi_plan is not None:
            record_itsm_kpis(ctx, log, kpi_plan)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return log


def _kpi_for(code: str):
    from portolan.kpis.models import Kpi

    return Kpi.objects.filter(code=code).first() if code else None


def _create_findings(ctx: ChangeContext, log: EventLog, frame: pl.DataFrame) -> list[Finding]:
    config = findings.CONFIG_PRESETS.get(log.preset, findings.FindingsConfig())
    created = []
    for rank, f in enumerate(findings.detect(frame, config), start=1):
        code = KPI_CODES.get(f.kpi, f.kpi)
        created.append(
            services.create(
                ctx,
                Finding,
                {
                    "eventlog": log,
                    "code": f.code,
                    "title": f.title[:500],
                    "impact_hours_per_month": f.impact_hours_per_month,
                    "share_of_cases": f.share_of_cases,
                    "evidence_case_ids": f.evidence_case_ids,
                    "evidence_total": f.evidence_total,
                    "details": jsonable(f.details),
                    "kpi_code": code,
                    "kpi": _kpi_for(code),
                    "rank": rank,
                },
            )
        )
    return created


def import_eventlog(
    ctx: ChangeContext,
    source: str | Path,
    *,
    name: str,
    mapping: eventlog.Mapping,
    preset: str = "",
    options: Mapping[str, Any] | None = None,
    on_bad_rows: str = "reject",
    team=None,
    progress=None,
    record_kpis: bool = True,
) -> EventLog:
    """Read, validate, store as Parquet, analyse and register a log file (CLI and API path).

    With ``record_kpis`` the ITSM KPIs of the catalogue the log supports are fed from it
    (see :func:`itsm_kpi_plan`), as the import's own audited changes.
    """
    options = options or {}
    _check_can_add(ctx, EventLog, team)
    result = _read(Path(source), mapping, options, on_bad_rows, progress)
    return _register_eventlog(
        ctx,
        frame=result.frame,
        bad=result.bad_rows,
        report=result.report,
        name=name,
        source_name=Path(source).name,
        mapping=mapping,
        preset=preset,
        team=team,
        record_kpis=record_kpis,
    )


def import_staged(
    ctx: ChangeContext,
    token: str,
    *,
    name: str,
    mapping: eventlog.Mapping,
    preset: str,
    report: Mapping[str, Any],
    on_bad_rows: str,
    team=None,
    record_kpis: bool = True,
) -> EventLog:
    """The wizard's last step: import the previewed log, quarantining its bad rows, or reject it."""
    folder = staging_folder(token)
    if on_bad_rows not in ("reject", "quarantine"):
        raise ImportRefused("Choose to reject the file or to quarantine its bad rows.")
    if on_bad_rows == "reject" and report.get("bad_rows"):
        discard_staging(token)
        raise ImportRefused(
            f"The file was rejected: {report['bad_rows']} bad row(s); nothing was imported. "
            "Fix the rows (or the mapping) and upload it again."
        )
    try:
        frame = pl.read_parquet(folder / "log.parquet")
        bad = pl.read_parquet(folder / "bad.parquet")
    except FileNotFoundError:
        raise ImportRefused("This upload has expired; upload the file again.") from None
    full = dict(report)
    full["first_timestamp"] = frame["timestamp"].min()
    full["last_timestamp"] = frame["timestamp"].max()
    source_name = staged_source(token).name
    log = _register_eventlog(
        ctx,
        frame=frame,
        bad=bad,
        report=full,
        name=name,
        source_name=source_name,
        mapping=mapping,
        preset=preset,
        team=team,
        record_kpis=record_kpis,
    )
    discard_staging(token)
    return log


# ---------------------------------------------------------------- event logs: ITSM KPIs


@dataclasses.dataclass
class ItsmKpiPlan:
    """What an incident log feeds: values per catalogue KPI, and the KPIs skipped with the reason."""

    kpis: dict[str, Any] = dataclasses.field(default_factory=dict)
    values: dict[str, list[tuple[str, float]]] = dataclasses.field(default_factory=dict)
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """For ``EventLog.analysis["kpis"]`` (the overview page lists the KPIs fed)."""
        fed = [
            {
                "code": code,
                "pk": self.kpis[code].pk,
                "periods": len(values),
                "first": values[0][0],
                "last": values[-1][0],
            }
            for code, values in self.values.items()
        ]
        return {"fed": fed, "skipped": dict(self.skipped)}


def itsm_measurements(frame: pl.DataFrame, preset: str = "", every: str = "month") -> itsm_kpis.ItsmKpis:
    """ITSM KPI values per period of an event log, read with its preset's findings settings."""
    config = itsm_kpis.ItsmConfig.from_findings(findings.CONFIG_PRESETS.get(preset))
    return itsm_kpis.compute(frame, config, every)


def itsm_kpi_plan(ctx: ChangeContext, frame: pl.DataFrame, preset: str = "") -> ItsmKpiPlan:
    """The values an event log gives the catalogue's ITSM KPIs (only those that exist and ``ctx`` may change).

    Each KPI gets the periods of its own frequency. KPIs the log cannot support (no priority, no
    SLA, MTBF ...), absent from the catalogue or not the user's are skipped, with the reason.
    """
    from portolan.kpis.models import Kpi

    codes = (*itsm_kpis.CODES, *itsm_kpis.NOT_FROM_EVENT_LOGS)
    kpis = {k.code: k for k in Kpi.objects.filter(code__in=codes)}
    plan = ItsmKpiPlan()
    computed: dict[str, itsm_kpis.ItsmKpis] = {}
    for code in codes:
        kpi = kpis.get(code)
        if kpi is None:
            plan.skipped[code] = "not in the KPI catalogue"
            continue
        if kpi.frequency not in itsm_kpis.EVERY:
            plan.skipped[code] = f"measured per {kpi.frequency}; an event log gives weeks, months or quarters"
            continue
        if ctx.user is not None and not kpi.user_can(ctx.user, CHANGE):
            plan.skipped[code] = "you may not record values of this KPI"  # contributors feed their own
            continue
        if kpi.frequency not in computed:
            computed[kpi.frequency] = itsm_measurements(frame, preset, kpi.frequency)
        result = computed[kpi.frequency]
        if code in result.unsupported:
            plan.skipped[code] = result.unsupported[code]
        elif result.values.get(code):
            plan.kpis[code] = kpi
            plan.values[code] = result.values[code]
    return plan


def record_itsm_kpis(ctx: ChangeContext, log: EventLog, plan: ItsmKpiPlan) -> dict[str, int]:
    """Record the plan's values (created or replaced per period, audited under ``ctx``)."""
    from portolan.kpis import services as kpi_services
    from portolan.kpis.models import Measurement

    recorded: dict[str, int] = {}
    for code, values in plan.values.items():
        for period, value in values:
            kpi_services.set_measurement(
                ctx,
                plan.kpis[code],
                period,
                value,
                Measurement.Source.COMPUTED,
                note=f"Event log: {log.name}"[:300],
            )
        recorded[code] = len(values)
    return recorded


@transaction.atomic
def delete_eventlog(ctx: ChangeContext, log: EventLog) -> None:
    """Delete the log, its findings (audited) and, after commit, its files."""
    for finding in log.findings.all():
        services.delete(ctx, finding)
    folder = log.folder if log.data_path else None
    services.delete(ctx, log)
    if folder is not None:
        transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))


# ---------------------------------------------------------------- findings


def set_finding_status(ctx: ChangeContext, finding: Finding, status: str, reason: str = "") -> Finding:
    if status not in Finding.Status.values:
        raise ValidationError({"status": f"'{status}' is not a finding status."})
    if finding.initiative_id and status != Finding.Status.ACCEPTED:
        raise ValidationError({"status": "This finding already has an improvement initiative."})
    return services.update(ctx.with_reason(reason) if reason else ctx, finding, {"status": status})


def _improvement_key() -> str:
    taken = set(Initiative.objects.filter(key__startswith="IMP-").values_list("key", flat=True))
    n = len(taken) + 1
    while f"IMP-{n:04d}" in taken:
        n += 1
    return f"IMP-{n:04d}"


@transaction.atomic
def create_improvement(
    ctx: ChangeContext, finding: Finding, data: Mapping[str, Any] | None = None
) -> Initiative:
    """Turn a finding into an improvement initiative linked to the finding and to its KPI."""
    data = dict(data or {})
    services.check_permission(ctx, finding, CHANGE)
    finding = (
        Finding.objects.select_for_update(of=("self",)).select_related("eventlog", "kpi").get(pk=finding.pk)
    )
    if finding.initiative_id:
        raise ValidationError(f"This finding already has an improvement initiative: {finding.initiative}.")
    kpi = finding.kpi or _kpi_for(finding.kpi_code)
    kpi_text = f"{kpi.code} {kpi.name}" if kpi else finding.kpi_code or "—"
    log = finding.eventlog
    description = (
        f"From finding #{finding.pk} in event log “{log.name}” ({log.source_name}).\n\n"
        f"{finding.title}\n\n"
        f"Impact: about {finding.impact_hours_per_month:,.0f} hours a month; "
        f"{finding.share_of_cases:.1%} of cases ({finding.evidence_total:,} cases).\n"
        f"KPI to watch: {kpi_text}."
    )
    payload = {
        "key": data.get("key") or _improvement_key(),
        "title": data.get("title") or finding.title[:300],
        "description": description,
        "kind": Initiative.Kind.IMPROVEMENT,
        "stage": Initiative.Stage.IDEA,
        "team": data.get("team", log.team),
        "owner": data.get("owner", _owner(ctx)),
    }
    initiative = portfolio_services.create_initiative(ctx, payload)
    services.update(ctx, finding, {"initiative": initiative, "status": Finding.Status.ACCEPTED, "kpi": kpi})
    return initiative


# ---------------------------------------------------------------- delivery (DORA)


def delivery_mapping_from(data: Mapping[str, Any]) -> tuple[dora.DeliveryMapping, str]:
    preset = (data.get("preset") or "").strip()
    if preset:
        if preset not in dora.PRESETS:
            raise ImportRefused(
                {"preset": f"Unknown preset {preset!r}; use one of {', '.join(dora.PRESETS)}."}
            )
        return dora.PRESETS[preset], preset
    missing = [k for k in ("deployment_id", "deployed_at") if not data.get(k)]
    if missing:
        raise ImportRefused({k: "Name the column that holds this, or pick a preset." for k in missing})
    fields = {f.name for f in dataclasses.fields(dora.DeliveryMapping)}
    values = {k: (v or None) for k, v in data.items() if k in fields and k != "restore_proxy"}
    values["restore_proxy"] = bool(data.get("restore_proxy"))
    return dora.DeliveryMapping(**values), ""


@transaction.atomic
def import_delivery(
    ctx: ChangeContext,
    deployments: str | Path,
    *,
    name: str,
    mapping: dora.DeliveryMapping,
    preset: str = "",
    changes: str | Path | None = None,
    incidents: str | Path | None = None,
    on_bad_rows: str = "reject",
    team=None,
    separator: str | None = None,
    encoding: str | None = None,
    source_name: str = "",
    record_kpis: bool = True,
) -> DeliveryDataset:
    """Read delivery records, compute the DORA metrics once, store tables and metrics."""
    _check_can_add(ctx, DeliveryDataset, team)
    try:
        data = dora.read_delivery(
            deployments,
            mapping,
            changes=changes,
            incidents=incidents,
            separator=separator,
            encoding=encoding,
            on_bad_rows=on_bad_rows,
        )
        metrics = {
            every: jsonable(dora.compute(data, every=every, restore_proxy=mapping.restore_proxy))
            for every in ("month", "quarter")
        }
    except dora.DeliveryError as exc:
        raise ImportRefused(_sentence(str(exc))) from exc
    folder, rel = _new_folder(DELIVERY_DIR)
    try:
        data.deployments.write_parquet(folder / "deployments.parquet")
        if data.changes is not None:
            data.changes.write_parquet(folder / "changes.parquet")
        if data.incidents is not None:
            data.incidents.write_parquet(folder / "incidents.parquet")
        report = data.report
        names = [Path(p).name for p in (deployments, changes, incidents) if p]
        dataset = services.create(
            ctx,
            DeliveryDataset,
            {
                "name": name,
                "source_name": (source_name or ", ".join(names))[:300],
                "preset": preset,
                "mapping": mapping.to_dict(),
                "imported_by": _owner(ctx),
                "team": team,
                "deployments": report["deployments"],
                "changes": report["changes"],
                "incidents": report["incidents"],
                "first_timestamp": report["first_deployment"],
                "last_timestamp": report["last_deployment"],
                "bad_rows": report["bad_rows"],
                "bad_row_summary": "; ".join(
                    f"{e['table']} row {e['row']}: {e['column']}={e['value']!r}"
                    for e in report["bad_row_examples"]
                ),
                "data_path": rel,
                "metrics": {**metrics, "reading": jsonable(report)},
            },
        )
        if record_kpis:
            record_dora_kpis(ctx, dataset)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return dataset


def dora_measurements(
    dataset: DeliveryDataset, every: str = "month", last: int | None = 12
) -> dict[str, list]:
    """DORA values per period, by metric name: ``{metric: [(period, value), ...]}`` (latest ``last``).

    The KPI catalogue's DORA_* KPIs are fed from these (see :func:`record_dora_kpis`).
    """
    periods = analysis.dora_metrics(dataset, every, Window())["periods"]
    if last:
        periods = periods[-last:]
    return {
        metric: [(p["period"], p[metric]) for p in periods if p.get(metric) is not None]
        for metric in DORA_KPI_CODES
    }


def record_dora_kpis(ctx: ChangeContext, dataset: DeliveryDataset, last: int = 12) -> dict[str, int]:
    """Record the latest periods' DORA values on the matching catalogue KPIs that exist."""
    from portolan.kpis import services as kpi_services
    from portolan.kpis.models import Kpi, Measurement

    kpis = {k.code: k for k in Kpi.objects.filter(code__in=DORA_KPI_CODES.values())}
    every_of = {"week": "week", "month": "month", "quarter": "quarter"}
    recorded: dict[str, int] = {}
    for metric, code in DORA_KPI_CODES.items():
        kpi = kpis.get(code)
        if kpi is None or kpi.frequency not in every_of:
            continue
        if ctx.user is not None and not kpi.user_can(ctx.user, CHANGE):
            continue  # a contributor feeds only the KPIs they own
        values = dora_measurements(dataset, kpi.frequency, last)[metric]
        for period, value in values:
            kpi_services.set_measurement(
                ctx,
                kpi,
                period,
                round(value, 4),
                Measurement.Source.COMPUTED,
                note=f"DORA: {dataset.name}"[:300],
            )
        recorded[code] = len(values)
    return recorded


@transaction.atomic
def delete_delivery(ctx: ChangeContext, dataset: DeliveryDataset) -> None:
    folder = dataset.folder if dataset.data_path else None
    services.delete(ctx, dataset)
    if folder is not None:
        transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))
