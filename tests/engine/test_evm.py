"""Earned value: a PMBOK-style worked example and the undefined cases."""

import pytest

from portolan.engine.evm import EvmError, earned_value, from_progress


def test_textbook_example():
    # BAC 100,000; PV 50,000; EV 40,000; AC 45,000.
    r = earned_value(bac=100_000, pv=50_000, ev=40_000, ac=45_000)
    assert r.sv == -10_000
    assert r.cv == -5_000
    assert r.spi == pytest.approx(0.8)
    assert r.cpi == pytest.approx(0.888_889, abs=1e-6)
    assert r.eac == pytest.approx(112_500)  # 100,000 / 0.8889
    assert r.eac_atypical == pytest.approx(105_000)  # 45,000 + 60,000
    assert r.eac_composite == pytest.approx(129_375)  # 45,000 + 60,000 / (0.8889 x 0.8)
    assert r.etc == pytest.approx(67_500)
    assert r.vac == pytest.approx(-12_500)
    assert r.tcpi == pytest.approx(60_000 / 55_000)  # 1.0909
    assert r.tcpi_eac == pytest.approx(60_000 / 67_500)
    assert r.undefined == {}


def test_from_progress_matches_direct_figures():
    r = from_progress(bac=100_000, planned_complete=0.5, percent_complete=0.4, actual_cost=45_000)
    assert (r.pv, r.ev) == (50_000, 40_000)
    assert r.eac == pytest.approx(112_500)


def test_nothing_planned_or_spent_gives_none_with_reasons():
    r = earned_value(bac=100_000, pv=0, ev=0, ac=0)
    assert r.spi is None and r.cpi is None and r.eac is None and r.eac_composite is None
    assert "PV is 0" in r.undefined["spi"]
    assert "AC is 0" in r.undefined["cpi"]
    assert r.etc is None and r.vac is None
    assert r.eac_atypical == 100_000
    assert r.tcpi == 1.0


def test_spent_without_earning_has_no_cpi_based_forecast():
    r = earned_value(bac=100, pv=10, ev=0, ac=20)
    assert r.cpi == 0
    assert r.eac is None and "CPI is 0" in r.undefined["eac"]


def test_budget_fully_spent_has_no_tcpi():
    r = earned_value(bac=100, pv=100, ev=80, ac=100)
    assert r.tcpi is None and "budget is spent" in r.undefined["tcpi"]


@pytest.mark.parametrize("field", ["bac", "pv", "ev", "ac"])
def test_negative_input_is_refused(field):
    values = {"bac": 100.0, "pv": 50.0, "ev": 40.0, "ac": 45.0, field: -1.0}
    with pytest.raises(EvmError, match=field.upper()):
        earned_value(**values)


def test_progress_outside_unit_interval_is_refused():
    with pytest.raises(EvmError, match="percent_complete"):
        from_progress(100, 0.5, 1.2, 10)
