"""The standard KPI library: size, named KPIs present, consistent thresholds, unique codes."""

import pytest

from portolan.engine.kpi import FREQUENCY_DAYS, Thresholds, evaluate
from portolan.engine.kpi_library import STANDARD_KPIS, by_code

REQUIRED = [
    "AVAIL", "MTTR", "MTBF", "INC_P1", "INC_P2", "SLA_COMPL", "FCR", "REASSIGN", "REOPEN",
    "BACKLOG_AGE", "CHG_SUCCESS", "CHG_EMERG", "DORA_DF", "DORA_LT", "DORA_CFR", "DORA_TTR",
    "PATCH_COMPL", "VULN_CRIT_SLA", "BACKUP_OK", "CAP_UTIL", "COST_WORKLOAD", "BUDGET_VAR",
    "SPI", "CPI", "MS_ONTIME", "INIT_ONTRACK",
]  # fmt: skip


def test_library_has_at_least_25_kpis_with_unique_codes():
    codes = [k.code for k in STANDARD_KPIS]
    assert len(codes) >= 25
    assert len(set(codes)) == len(codes)


def test_every_named_kpi_is_present():
    assert set(REQUIRED) <= set(by_code())


@pytest.mark.parametrize("kpi", STANDARD_KPIS, ids=lambda k: k.code)
def test_thresholds_are_consistent_with_direction(kpi):
    thresholds = Thresholds(kpi.direction, kpi.target, kpi.amber, kpi.red)  # raises if not
    assert evaluate(thresholds, kpi.target) == "green"
    assert evaluate(thresholds, kpi.red) == "red"


@pytest.mark.parametrize("kpi", STANDARD_KPIS, ids=lambda k: k.code)
def test_every_kpi_is_fully_documented(kpi):
    assert kpi.name and kpi.description and kpi.formula and kpi.unit and kpi.category and kpi.reference
    assert kpi.frequency in FREQUENCY_DAYS
    assert kpi.source in ("manual", "import", "computed")
