"""Import (upload -> column mapping -> preview -> commit) and export of the filtered initiative list."""

from __future__ import annotations

import io
import re
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from portolan.core.audit import ChangeContext
from portolan.core.models import AuditEntry
from portolan.core.roles import is_manager
from portolan.portfolio import exporting, filters
from portolan.portfolio.importing import (
    DEFAULT_MAPPING,
    TARGET_FIELDS,
    TARGETS,
    FileProblem,
    Mapping,
    MappingError,
    Preview,
    bundled_mappings,
    field_label,
    read_table,
    run_import,
)
from portolan.portfolio.views.initiatives import initiative_list_queryset

SESSION_KEY = "portolan_import"
FROM_MAPPING = "__mapping__"
UPLOAD_TTL_SECONDS = 24 * 3600
TEMPLATES = {
    "upload": "portfolio/import_upload.html",
    "mapping": "portfolio/import_mapping.html",
    "preview": "portfolio/import_preview.html",
}


def upload_dir() -> Path:
    path = Path(settings.DATA_DIR) / "uploads" / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _purge_old_uploads() -> None:
    limit = time.time() - UPLOAD_TTL_SECONDS
    for old in upload_dir().glob("*"):
        if old.is_file() and old.stat().st_mtime < limit:
            old.unlink(missing_ok=True)


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.casefold())


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


class ImportView(View):
    """Portfolio managers and admins upload a file, map its columns, preview, then commit."""

    def dispatch(self, request, *args, **kwargs):
        if not is_manager(request.user):
            raise PermissionDenied("Only portfolio managers and admins may import.")
        return super().dispatch(request, *args, **kwargs)

    # -- steps ----------------------------------------------------------------------------

    def get(self, request):
        return self._upload_page(request)

    def post(self, request):
        step = request.POST.get("step", "upload")
        if step == "upload":
            return self._upload(request)
        state = self._state(request)
        if state is None:
            messages.error(
                request, "This import has expired or belongs to another session; upload the file again."
            )
            return HttpResponseRedirect(reverse("portfolio:import"))
        if step == "cancel":
            self._forget(request, state)
            messages.info(request, "Import cancelled; nothing was saved.")
            return HttpResponseRedirect(reverse("portfolio:import"))
        if step == "preview":
            return self._preview(request, state)
        if step == "commit":
            return self._commit(request, state)
        return self._upload_page(request, error=f"Unknown step '{step}'.")

    def _upload_page(self, request, error: str = ""):
        context = {
            "targets": TARGETS,
            "mappings": bundled_mappings(),
            "default_mapping": DEFAULT_MAPPING,
            "error": error,
            "max_size": _mb(settings.MAX_UPLOAD_BYTES),
            "chosen": request.POST if request.method == "POST" else {},
        }
        return render(request, TEMPLATES["upload"], context)

    def _upload(self, request):
        upload = request.FILES.get("file")
        target = request.POST.get("target", "initiatives")
        mapping_name = request.POST.get("mapping") or DEFAULT_MAPPING
        encoding = request.POST.get("encoding", "").strip() or None
        if target not in TARGETS or mapping_name not in bundled_mappings():
            return self._upload_page(request, error="Choose what to import and a mapping from the lists.")
        if upload is None:
            return self._upload_page(request, error="Choose a CSV or XLSX file to upload.")
        if upload.size > settings.MAX_UPLOAD_BYTES:
            return self._upload_page(
                request,
                error=f"The file is {_mb(upload.size)}; the import limit is "
                f"{_mb(settings.MAX_UPLOAD_BYTES)}. "
                "Split the file or use the command line.",
            )
        try:
            mapping = Mapping.load(mapping_name, target)
        except MappingError as exc:
            return self._upload_page(request, error=str(exc))
        _purge_old_uploads()
        token = secrets.token_urlsafe(18)
        suffix = ".xlsx" if Path(upload.name).suffix.lower() in (".xlsx", ".xlsm") else ".csv"
        path = upload_dir() / f"{token}{suffix}"
        with path.open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        state = {
            "token": token,
            "path": str(path),
            "filename": Path(upload.name).name,
            "target": target,
            "encoding": encoding,
            "mapping": mapping.to_dict(),
        }
        try:
            table = self._table(state, mapping)
        except FileProblem as exc:
            path.unlink(missing_ok=True)
            return self._upload_page(request, error=str(exc))
        state["columns"] = table.columns
        request.session[SESSION_KEY] = state
        return self._mapping_page(request, state, mapping, table.columns, table.rows[0][1])

    def _mapping_page(self, request, state: dict, mapping: Mapping, columns: list[str], sample: dict):
        rows = []
        for f in TARGET_FIELDS[state["target"]]:
            rule = mapping.fields.get(f.name)
            selected, rule_text = self._prefill(f.name, field_label(state["target"], f.name), rule, columns)
            rows.append(
                {
                    "name": f.name,
                    "label": field_label(state["target"], f.name),
                    "required": f.required,
                    "selected": selected,
                    "rule": rule_text,
                    "sample": sample.get(selected, "") if selected in columns else "",
                }
            )
        context = {
            "state": state,
            "mapping": mapping,
            "columns": columns,
            "fields": rows,
            "from_mapping": FROM_MAPPING,
            "show_teams": state["target"] == "initiatives",
        }
        return render(request, TEMPLATES["mapping"], context)

    @staticmethod
    def _prefill(name: str, label: str, rule, columns: list[str]) -> tuple[str, str]:
        """The column to preselect (or FROM_MAPPING for a computed rule) and the rule's text."""
        if rule is not None and not rule.is_simple and all(c in columns for c in rule.columns):
            return FROM_MAPPING, rule.describe()
        if rule is not None and rule.column in columns:
            return rule.column, ""
        wanted = {_normalise(name), _normalise(label)}
        match = next((c for c in columns if _normalise(c) in wanted), "")
        return match, ""

    def _preview(self, request, state: dict):
        base = Mapping.from_dict(state["mapping"], state["target"])
        columns = state["columns"]
        fields = {}
        for f in TARGET_FIELDS[state["target"]]:
            choice = request.POST.get(f"col_{f.name}", "")
            if choice == FROM_MAPPING and f.name in base.fields:
                fields[f.name] = base.fields[f.name].to_dict()
            elif choice in columns:
                fields[f.name] = choice
        document = base.to_dict()
        document[state["target"]] = {"fields": fields}
        document["teams"] = {
            "create_missing": request.POST.get("create_missing_teams") == "on",
            "code_column": base.team_code_column if base.team_code_column in columns else None,
        }
        try:
            mapping = Mapping.from_dict(document, state["target"], name=base.name)
        except MappingError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("portfolio:import"))
        state["mapping"] = mapping.to_dict()
        request.session[SESSION_KEY] = state
        preview = run_import(
            Path(state["path"]), mapping, self._ctx(request, state), commit=False, encoding=state["encoding"]
        )
        return self._preview_page(request, state, preview)

    def _commit(self, request, state: dict):
        mapping = Mapping.from_dict(state["mapping"], state["target"])
        preview = run_import(
            Path(state["path"]), mapping, self._ctx(request, state), commit=True, encoding=state["encoding"]
        )
        if not preview.committed:
            return self._preview_page(request, state, preview)
        self._forget(request, state)
        counts = preview.counts()
        messages.success(
            request,
            f"Imported {state['filename']}: {counts['create']} created, {counts['update']} updated, "
            f"{counts['unchanged']} unchanged"
            + (f", {counts['new_teams']} new teams" if counts["new_teams"] else "")
            + ".",
        )
        if state["target"] == "initiatives":
            return HttpResponseRedirect(reverse("portfolio:initiative_list"))
        return HttpResponseRedirect(reverse("portfolio:import"))

    def _preview_page(self, request, state: dict, preview: Preview):
        context = {
            "state": state,
            "preview": preview,
            "counts": preview.counts(),
            "changes": [p for p in preview.plans if p.action != "unchanged"][:500],
            "errors": preview.errors[:1000],
        }
        return render(request, TEMPLATES["preview"], context)

    # -- state ----------------------------------------------------------------------------

    @staticmethod
    def _table(state: dict, mapping: Mapping):
        return read_table(
            Path(state["path"]),
            encoding=state["encoding"] or mapping.encoding,
            delimiter=mapping.delimiter,
            sheet=mapping.sheet,
        )

    @staticmethod
    def _state(request) -> dict | None:
        state = request.session.get(SESSION_KEY)
        if not state or request.POST.get("token") != state.get("token"):
            return None
        if not Path(state["path"]).is_file():
            return None
        return state

    @staticmethod
    def _forget(request, state: dict) -> None:
        Path(state["path"]).unlink(missing_ok=True)
        request.session.pop(SESSION_KEY, None)

    @staticmethod
    def _ctx(request, state: dict) -> ChangeContext:
        return ChangeContext.from_request(
            request, source=AuditEntry.Source.IMPORT, reason=f"import of {state['filename']}"
        )


class ExportView(View):
    """The initiative list, filtered as on the list page, as XLSX or CSV (any role that reads)."""

    def get(self, request, fmt: str):
        if fmt not in exporting.FORMATS:
            raise Http404(f"No export format '{fmt}'.")
        filterset = filters.InitiativeFilterSet(
            request.GET, queryset=initiative_list_queryset(request.user), request=request
        )
        queryset = filterset.qs
        name = f"initiatives-{timezone.localdate():%Y-%m-%d}.{fmt}"
        response = HttpResponse(content_type=exporting.FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        if fmt == "csv":
            response.write("\ufeff")  # Excel opens UTF-8 CSV correctly with a byte-order mark
            exporting.export("initiatives", queryset, fmt, response)
        else:
            buffer = io.BytesIO()
            exporting.export("initiatives", queryset, fmt, buffer)
            response.write(buffer.getvalue())
        return response
