"""Shock sweeps agree with separate calls, reuse work, and jumps are found where the model says."""

import numpy as np
import pandas as pd
import pytest

from margin import (
    Market,
    Option,
    Perp,
    Portfolio,
    PortfolioError,
    cross_margin,
    detect_jumps,
    portfolio_margin,
    shock_sweep,
)
from margin.portfolio import scan_range
from margin.presets import CLASSROOM_PM

MARKET = Market({"BTC": 88_000.0, "ETH": 2_900.0, "SOL": 138.0, "USDC": 1.0},
                {"BTC": 0.55, "ETH": 0.70, "SOL": 0.85, "USDC": 0.01},
                {("BTC", "ETH"): 0.85, ("BTC", "SOL"): 0.75, ("ETH", "SOL"): 0.8})
BOOK = Portfolio([Perp("BTC", 1.0, 87_000.0), Perp("ETH", -20.0, 3_000.0),
                  Option("BTC", "call", 100_000.0, 14, -1.0), Option("SOL", "put", 120.0, 40, 50.0)],
                 {"USDC": 40_000.0})


def test_sweep_rows_equal_separate_calls_on_shocked_markets():
    vol_mults, corr_shocks = [1.0, 2.0, 3.5], [-1.0, -0.3, 0.0, 0.6]
    sweep = shock_sweep(BOOK, MARKET, vol_mults=vol_mults, corr_shocks=corr_shocks)
    assert list(sweep.columns[:8]) == ["vol_mult", "corr_shock", "equity", "cross_initial", "cross_maintenance",
                                       "portfolio_initial", "portfolio_maintenance", "binding_scenario"]
    assert len(sweep) == len(vol_mults) * len(corr_shocks)
    for row in sweep.itertuples():
        shocked = MARKET.shocked(vol_mult=row.vol_mult, corr_shock=row.corr_shock)
        cm, pm = cross_margin(BOOK, shocked), portfolio_margin(BOOK, shocked)
        assert row.cross_initial == pytest.approx(cm.initial, rel=1e-12)
        assert row.cross_maintenance == pytest.approx(cm.maintenance, rel=1e-12)
        assert row.equity == pytest.approx(cm.equity, rel=1e-12)
        assert row.portfolio_maintenance == pytest.approx(pm.maintenance, rel=1e-9)
        assert row.portfolio_initial == pytest.approx(pm.initial, rel=1e-9)
        assert row.portfolio_equity == pytest.approx(pm.equity, rel=1e-12)
        assert row.binding_scenario == pm.binding_scenario


def test_cross_columns_do_not_move_with_correlation():
    sweep = shock_sweep(BOOK, MARKET, vol_mults=[1, 2], corr_shocks=[-1, 0, 1])
    spread = sweep.groupby("vol_mult")[["cross_initial", "cross_maintenance", "equity"]].nunique()
    assert (spread == 1).all().all()


def test_strangle_requirement_starts_rising_faster_where_the_range_starts_responding():
    """range = max(16 %, 4 x vol x sqrt(1/365)): for BTC at 55 % vol the floor binds until
    vol_mult = 0.16 / (4 x 0.55 / sqrt(365)) = 1.39; past it the grid widens with vol."""
    strangle = Portfolio([Option("BTC", "call", 100_000.0, 14, -2.0), Option("BTC", "put", 76_000.0, 14, -2.0)],
                         {"USDC": 40_000.0})
    knee = 0.16 / (CLASSROOM_PM.range_vol_multiple * 0.55 / np.sqrt(365.0))
    assert scan_range(CLASSROOM_PM, "BTC", 0.55 * (knee - 0.01)) == pytest.approx(0.16)
    assert scan_range(CLASSROOM_PM, "BTC", 0.55 * (knee + 0.2)) > 0.16
    mults = [1.0, 1.2, 1.4, 1.6, 1.8, 2.0]
    sweep = shock_sweep(strangle, MARKET, vol_mults=mults, corr_shocks=[0.0])
    jumps = detect_jumps(sweep, along="vol_mult")
    assert not jumps.empty
    assert jumps["vol_mult"].min() == pytest.approx(1.4)
    assert sweep["portfolio_maintenance"].is_monotonic_increasing


def test_detect_jumps_on_a_kinked_line_finds_the_kink():
    x = np.linspace(1, 5, 9)
    y = np.where(x < 3, 10 * x, 30 + 100 * (x - 3))
    sweep = pd.DataFrame({"vol_mult": x, "corr_shock": 0.0, "portfolio_maintenance": y, "binding_scenario": "same"})
    jumps = detect_jumps(sweep)
    assert list(jumps["vol_mult"]) == [3.0]


def test_bad_sweep_inputs_are_named():
    with pytest.raises(Exception, match="vol_mults"):
        shock_sweep(BOOK, MARKET, vol_mults=[0.0])
    with pytest.raises(Exception, match="corr_shocks"):
        shock_sweep(BOOK, MARKET, corr_shocks=[1.5])


@pytest.mark.parametrize(("vol_mults", "corr_shocks", "named"), [
    ("12", [0.0], "vol_mults: must be a list of numbers such as [1, 2, 3] (got '12')"),  # used to sweep [1, 2]
    ([1.0], "0", "corr_shocks: must be a list of numbers"),
    (b"1", [0.0], "vol_mults: must be a list of numbers"),
    ({1: 2}, [0.0], "vol_mults: must be a list of numbers"),
    ([True], [0.0], "vol_mults[0]: must be a number"),
    (["2"], [0.0], "vol_mults[0]: must be a number"),
    ([1.0], [0.0, None], "corr_shocks[1]: must be a number"),
    ([10**400], [0.0], "vol_mults[0]: every value must be between"),
])
def test_shock_sweep_refuses_text_and_other_non_lists(vol_mults, corr_shocks, named):
    with pytest.raises(PortfolioError) as info:
        shock_sweep(BOOK, MARKET, vol_mults, corr_shocks)
    assert named in str(info.value)


def test_shock_sweep_accepts_tuples_arrays_and_ranges():
    sweep = shock_sweep(BOOK, MARKET, np.array([1.0, 2.0]), range(0, 1))
    assert sweep["vol_mult"].tolist() == [1.0, 2.0] and sweep["corr_shock"].tolist() == [0.0, 0.0]


def _small_sweep() -> pd.DataFrame:
    return shock_sweep(BOOK, MARKET, [1.0, 2.0, 3.0], [0.0, -1.0])


@pytest.mark.parametrize(("make", "kwargs", "named"), [
    # A frame without the sweep's columns used to raise a bare KeyError.
    (lambda: pd.DataFrame({"a": [1.0]}), {},
     "sweep: missing columns vol_mult, corr_shock, portfolio_maintenance, binding_scenario"),
    (lambda: _small_sweep().drop(columns=["binding_scenario"]), {}, "sweep: missing column binding_scenario;"),
    (lambda: _small_sweep(), {"column": "nope"}, "sweep: missing column nope;"),
    (lambda: None, {}, "sweep: expected the DataFrame shock_sweep returns (got NoneType)"),
    (lambda: _small_sweep().to_dict(), {}, "sweep: expected the DataFrame"),
    (lambda: _small_sweep(), {"slope_ratio": "x"}, "slope_ratio: must be a number >= 0"),
    (lambda: _small_sweep(), {"slope_ratio": -1.0}, "slope_ratio: must be a number >= 0"),
    (lambda: _small_sweep(), {"slope_ratio": float("nan")}, "slope_ratio: must be a number >= 0"),
    (lambda: _small_sweep(), {"column": "binding_scenario"}, "sweep['binding_scenario']: must hold finite numbers"),
    (lambda: _small_sweep().assign(vol_mult="x"), {}, "sweep['vol_mult']: must hold finite numbers"),
    (lambda: pd.concat([_small_sweep(), _small_sweep()["equity"]], axis=1), {}, "equity appears twice"),
])
def test_detect_jumps_refuses_a_frame_that_is_not_a_sweep(make, kwargs, named):
    with pytest.raises(PortfolioError) as info:
        detect_jumps(make(), **kwargs)
    assert named in str(info.value)
