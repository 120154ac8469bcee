"""Earned value management (EVM) from budget, planned/earned progress and actual cost.

Formulas (PMBOK): SV = EV - PV, CV = EV - AC, SPI = EV / PV, CPI = EV / AC,
EAC = BAC / CPI (current cost performance continues; the headline EAC),
EAC_atypical = AC + (BAC - EV) (remaining work at budget rate),
EAC_composite = AC + (BAC - EV) / (CPI x SPI) (cost and schedule both weigh),
ETC = EAC - AC, VAC = BAC - EAC, TCPI = (BAC - EV) / (BAC - AC) (to finish on budget)
and TCPI_eac = (BAC - EV) / (EAC - AC). A ratio whose denominator is zero is None and
``undefined`` says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


class EvmError(ValueError):
    """Inputs are negative, non-finite or inconsistent."""


@dataclass(frozen=True)
class EarnedValue:
    """EVM indicators; None where undefined, with the reason in ``undefined``."""

    bac: float
    pv: float
    ev: float
    ac: float
    sv: float
    cv: float
    spi: float | None
    cpi: float | None
    eac: float | None
    eac_atypical: float
    eac_composite: float | None
    etc: float | None
    vac: float | None
    tcpi: float | None
    tcpi_eac: float | None
    undefined: dict[str, str] = field(default_factory=dict)


def _ratio(
    name: str, numerator: float, denominator: float, why: str, undefined: dict[str, str]
) -> float | None:
    if denominator == 0:
        undefined[name] = why
        return None
    return numerator / denominator


def earned_value(bac: float, pv: float, ev: float, ac: float) -> EarnedValue:
    """Compute the EVM indicators from BAC, PV, EV and AC (same currency)."""
    for name, value in (("BAC", bac), ("PV", pv), ("EV", ev), ("AC", ac)):
        if not math.isfinite(value) or value < 0:
            raise EvmError(f"{name} must be a finite number >= 0, got {value!r}")
    undefined: dict[str, str] = {}
    spi = _ratio("spi", ev, pv, "PV is 0: nothing was planned yet", undefined)
    cpi = _ratio("cpi", ev, ac, "AC is 0: nothing was spent yet", undefined)
    eac = None
    if cpi is not None:
        eac = _ratio("eac", bac, cpi, "CPI is 0: no value earned for the money spent", undefined)
    else:
        undefined["eac"] = "CPI is undefined"
    eac_composite = None
    if cpi is None or spi is None:
        undefined["eac_composite"] = "CPI or SPI is undefined"
    else:
        eac_composite = _ratio(
            "eac_composite", bac - ev, cpi * spi, "CPI x SPI is 0: no value earned", undefined
        )
        eac_composite = None if eac_composite is None else ac + eac_composite
    etc = None if eac is None else eac - ac
    vac = None if eac is None else bac - eac
    for name in ("etc", "vac"):
        if eac is None:
            undefined[name] = "EAC is undefined"
    tcpi = _ratio("tcpi", bac - ev, bac - ac, "BAC equals AC: the budget is spent", undefined)
    tcpi_eac = None
    if eac is None:
        undefined["tcpi_eac"] = "EAC is undefined"
    else:
        tcpi_eac = _ratio("tcpi_eac", bac - ev, eac - ac, "EAC equals AC: nothing left to spend", undefined)
    return EarnedValue(
        bac=bac,
        pv=pv,
        ev=ev,
        ac=ac,
        sv=ev - pv,
        cv=ev - ac,
        spi=spi,
        cpi=cpi,
        eac=eac,
        eac_atypical=ac + (bac - ev),
        eac_composite=eac_composite,
        etc=etc,
        vac=vac,
        tcpi=tcpi,
        tcpi_eac=tcpi_eac,
        undefined=undefined,
    )


def _fraction(name: str, value: float) -> float:
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise EvmError(f"{name} must be a fraction within [0, 1], got {value!r}")
    return value


def from_progress(
    bac: float, planned_complete: float, percent_complete: float, actual_cost: float
) -> EarnedValue:
    """EVM from BAC, planned and actual completion (fractions 0..1) and actual cost."""
    pv = bac * _fraction("planned_complete", planned_complete)
    ev = bac * _fraction("percent_complete", percent_complete)
    return earned_value(bac, pv, ev, actual_cost)
