"""Import initiatives, dependencies and milestones from XLSX or CSV through a column mapping.

The pipeline, shared by the import page and ``portolan import``:

1. :func:`read_table` turns a file into a header and rows (CSV: UTF-8 unless an encoding is
   given, separator sniffed; XLSX: openpyxl read-only, cached values, defusedxml).
2. A :class:`Mapping` says which column feeds which field, with optional transforms.
3. :func:`validate` checks every row (types, dates, choices, required values, key format,
   duplicates, references, stage transitions, dependency cycles) and returns a
   :class:`Preview`: rows to create, to update (with diffs), unchanged, and errors.
4. :func:`run_import` commits in one transaction through the services with audit source
   "import"; any error saves nothing.

Modules: ``base`` (errors, limits, formula neutralisation), ``files`` (reading), ``mapping``
(targets, fields, mapping files), ``cells`` (typing one cell), ``validation`` (the preview),
``commit`` (the transaction). Import the public names from this package.
"""

from portolan.portfolio.importing.base import (
    DEFAULT_MAPPING,
    MAPPINGS_DIR,
    MAX_ROWS,
    ImportFailed,
    MappingError,
    RowError,
    neutralise,
    unneutralise,
)
from portolan.portfolio.importing.commit import run_import
from portolan.portfolio.importing.files import FileProblem, Table, read_table
from portolan.portfolio.importing.mapping import (
    TARGET_FIELDS,
    TARGETS,
    Field,
    Mapping,
    Rule,
    bundled_mappings,
    default_mapping,
    field_label,
)
from portolan.portfolio.importing.validation import NewTeam, Preview, RowPlan, validate

__all__ = [
    "DEFAULT_MAPPING",
    "MAPPINGS_DIR",
    "MAX_ROWS",
    "TARGETS",
    "TARGET_FIELDS",
    "Field",
    "FileProblem",
    "ImportFailed",
    "Mapping",
    "MappingError",
    "NewTeam",
    "Preview",
    "RowError",
    "RowPlan",
    "Rule",
    "Table",
    "bundled_mappings",
    "default_mapping",
    "field_label",
    "neutralise",
    "read_table",
    "run_import",
    "unneutralise",
    "validate",
]
