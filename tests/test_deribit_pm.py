"""Deribit's Segregated Portfolio Margin reproduces Deribit's own worked example, and coin-margined
(inverse) contracts value as their venues publish.

Source: Deribit API reference, method ``private/pme/simulate`` (docs.deribit.com, "Account
management"; the same example in the copies of 2024-09-15 and 2026-01-10). Its example response
prices a BTC portfolio of +0.314538364 BTC of BTC-PERPETUAL and -0.001187534 BTC of BTC-28JUN24 with
the model parameters of 2024-06-17 (index 65,666.19 USD, BTC-28JUN24 marked at 67,371.75):

    worst_case 0.05968587238095239 BTC (the -16 % bucket), roll_shock 0.00315725898 BTC,
    risk_matrix_margin 0.06284313098 BTC, maintenance_margin 0.050274504784 BTC (mm_factor 0.8),
    initial_margin 0.122861343 BTC, of which 0.06 is MMP margin and 0.000018212 open-order margin,
    which this model does not have (so its initial is the risk-matrix margin).

Sizes are in BTC ("Size in base currency"): a coin-margined contract of face value F USD marked at
M holds F / M BTC, and loses q x (1 - 1/(1 + m)) BTC when the price moves by m.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from margin import Market, Perp, Portfolio, PortfolioError, cross_margin, portfolio_margin
from margin.instruments import InverseFuture, InversePerp
from margin.presets import DERIBIT_PM_EXACT
from margin.reference import reference_portfolio_margin

INDEX = 65_666.19
FUTURE_MARK = 67_371.75
DAYS_TO_EXPIRY = 10.9  # 2024-06-17 10:22 UTC to 2024-06-28 08:00 UTC; the futures' risk does not depend on it
PERP_BTC, FUTURE_BTC = 0.314538364, -0.001187534


def _example():
    basis = math.log(FUTURE_MARK / INDEX) / (DAYS_TO_EXPIRY / 365.0)  # so the future marks at 67,371.75
    market = Market({"BTC": INDEX}, {"BTC": 0.5}, basis={"BTC": basis})
    book = Portfolio([InversePerp("BTC", PERP_BTC * INDEX, INDEX),  # the engine marks the perp at the index
                      InverseFuture("BTC", FUTURE_BTC * FUTURE_MARK, FUTURE_MARK, DAYS_TO_EXPIRY)])
    return book, market


def test_deribit_pme_simulate_example_maintenance_and_initial_in_btc():
    book, market = _example()
    result = portfolio_margin(book, market, DERIBIT_PM_EXACT)
    assert result.details["scenario_loss"] / INDEX == pytest.approx(0.05968587238095239, abs=1e-9)
    assert result.details["addon_total"] / INDEX == pytest.approx(0.00315725898, abs=1e-9)  # roll shock
    assert result.maintenance / INDEX == pytest.approx(0.050274504784, abs=1e-9)
    assert result.initial / INDEX == pytest.approx(0.06284313098, abs=1e-9)  # risk-matrix margin
    assert "-16.0%" in result.binding_scenario


def test_the_example_matches_the_slow_reference():
    book, market = _example()
    slow = reference_portfolio_margin(book, market, DERIBIT_PM_EXACT)
    assert portfolio_margin(book, market, DERIBIT_PM_EXACT).maintenance == pytest.approx(slow["maintenance"], rel=1e-12)


def test_deribit_risk_vector_cells_of_the_perpetual():
    """initial_risk_vectors of BTC-PERPETUAL: -0.05991206933333334 BTC at -16 %, +0.043384601931034494 at +16 %."""
    book, market = _example()
    grid = portfolio_margin(Portfolio([book.positions[0]]), market, DERIBIT_PM_EXACT).scenario_grids["BTC"]
    assert grid.loc["vol flat", -0.16] / INDEX == pytest.approx(-0.05991206933333334, abs=1e-12)
    assert grid.loc["vol flat", 0.16] / INDEX == pytest.approx(0.043384601931034494, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(face=st.floats(-1e6, 1e6).filter(lambda f: abs(f) > 1), entry=st.floats(1e3, 2e5), mark=st.floats(1e3, 2e5))
def test_inverse_perp_pnl_is_face_times_one_over_entry_minus_one_over_mark(face, entry, mark):
    """Deribit/Binance COIN-M: P&L in coin = face x (1/entry - 1/mark); equity counts it at the mark."""
    market = Market({"BTC": mark}, {"BTC": 0.5})
    equity = cross_margin(Portfolio([InversePerp("BTC", face, entry)]), market).equity
    assert equity == pytest.approx(face * (1 / entry - 1 / mark) * mark, rel=1e-9, abs=1e-9)


def test_an_inverse_long_loses_more_coin_on_a_fall_than_it_gains_on_the_same_rise():
    book = Portfolio([InversePerp("BTC", 100_000.0, 80_000.0)])
    grid = portfolio_margin(book, Market({"BTC": 80_000.0}, {"BTC": 0.5}), DERIBIT_PM_EXACT).scenario_grids["BTC"]
    assert -grid.loc["vol flat", -0.16] > grid.loc["vol flat", 0.16] > 0  # 19,048 lost vs 13,793 gained (USD at today's index)


def test_coin_collateral_doubles_an_inverse_longs_usd_exposure():
    """In USD (the classroom rule set measures risk in USD), a long inverse perp of face F backed by F / price
    coins moves like 2 F of the coin."""
    market = Market({"BTC": 80_000.0}, {"BTC": 0.5})
    naked = portfolio_margin(Portfolio([InversePerp("BTC", 100_000.0, 80_000.0)]), market, "classroom")
    backed = portfolio_margin(Portfolio([InversePerp("BTC", 100_000.0, 80_000.0)], {"BTC": 1.25}), market, "classroom")
    linear = portfolio_margin(Portfolio([Perp("BTC", 2.5, 80_000.0)]), market, "classroom")
    assert backed.details["scenario_loss"] == pytest.approx(2 * naked.details["scenario_loss"], rel=1e-12)
    assert backed.details["scenario_loss"] == pytest.approx(linear.details["scenario_loss"], rel=1e-12)


def test_cross_tiers_of_an_inverse_contract_use_its_usd_face_value():
    market = Market({"BTC": 80_000.0}, {"BTC": 0.5})
    one = cross_margin(Portfolio([InversePerp("BTC", 2_000_000.0, 70_000.0)]), market, "binance")
    split = cross_margin(Portfolio([InversePerp("BTC", 1_000_000.0, 70_000.0),
                                    InversePerp("BTC", 1_000_000.0, 90_000.0)]), market, "binance")
    assert one.breakdown["notional"].iloc[0] == pytest.approx(2_000_000.0)
    assert split.maintenance == pytest.approx(one.maintenance, rel=1e-12)


@pytest.mark.parametrize("bad", [{"usd_size": "x"}, {"usd_size": float("nan")}, {"entry_price": 0.0},
                                 {"entry_price": -5.0}, {"leverage": 0.5}, {"asset": ""}])
def test_bad_inverse_contracts_are_refused_with_the_field_named(bad):
    fields = {"asset": "BTC", "usd_size": 1_000.0, "entry_price": 50_000.0, **bad}
    with pytest.raises(PortfolioError, match=next(iter(bad))):
        InversePerp(**fields)
    with pytest.raises(PortfolioError):
        InverseFuture(**fields, expiry_days=30.0)


# -- coin-settled options and the vol shocks per currency -------------------------------------------
def _short_call_grid_loss(iv: float, days: float, vol_up: float, in_coin: bool, strike_ratio: float = 1.5) -> float:
    """The worst of Deribit's 9 x 3 grid for one short coin-settled call, written from the rules alone:
    vol up = max(iv (1 + up (30/DTE)^p), 0.5), vol down = iv (1 - 0.25 (30/DTE)^p), p = 0.3 under 30
    days, 0.13 beyond; in the coin the call is worth price(S (1 + m)) / (1 + m) at today's index."""
    from margin.pricing import black76_price
    spot, years = 88_000.0, days / 365.0
    factor = (30.0 / days) ** (0.3 if days < 30 else 0.13)
    vols = (max(iv * (1 + vol_up * factor), 0.5), iv, iv * (1 - 0.25 * factor))
    base = float(black76_price(spot, spot * strike_ratio, iv, years, True))
    worst = 0.0
    for move in [-0.16 + 0.04 * i for i in range(9)]:
        for vol in vols:
            price = float(black76_price(spot * (1 + move), spot * strike_ratio, vol, years, True))
            value = price / (1 + move) if in_coin else price
            worst = max(worst, value - base)  # the short call loses what the call gains
    return worst


@pytest.mark.parametrize("asset, vol_up", [("BTC", 0.5), ("ETH", 0.4)])
@pytest.mark.parametrize("settlement", ["usd", "coin"])
@pytest.mark.parametrize("iv", [0.3, 0.6])
def test_a_short_call_is_charged_its_worst_grid_cell_with_each_currencys_vol_shock(asset, vol_up, settlement, iv):
    """iv 0.3 puts the vol-up state on Deribit's 0.5 floor (0.3 x 1.5 = 0.45 < 0.5 at 30 days); ETH's
    vol up is 0.4 (the live response of 2026-02-15), BTC's 0.5 (the documented example). Extreme moves
    are switched off so the grid alone is compared."""
    from margin.instruments import Option
    params = DERIBIT_PM_EXACT.with_changes(extreme_fraction=0.0, price_range={asset: 0.16},
                                           roll_shock_floor={}, roll_shock_annual={})
    market = Market({asset: 88_000.0}, {asset: iv})
    book = Portfolio([Option(asset, "call", 132_000.0, 30.0, -1.0, settlement=settlement)])
    result = portfolio_margin(book, market, params)
    expected = _short_call_grid_loss(iv, 30.0, vol_up, settlement == "coin")
    assert result.details["scenario_loss"] == pytest.approx(expected, rel=1e-9)
    assert result.maintenance == pytest.approx(0.8 * expected, rel=1e-9)


def test_a_coin_settled_option_is_a_usd_option_when_risk_is_measured_in_usd():
    """In USD a call paying max(S - K, 0) / S coins is worth max(S - K, 0) dollars: the rule sets that
    measure in USD price both alike, to the cent."""
    from margin.instruments import Option
    market = Market({"BTC": 88_000.0}, {"BTC": 0.55})
    for preset in ("classroom", "okx", "span"):
        usd = portfolio_margin(Portfolio([Option("BTC", "put", 80_000.0, 14.0, -3.0)]), market, preset)
        coin = portfolio_margin(Portfolio([Option("BTC", "put", 80_000.0, 14.0, -3.0, settlement="coin")]), market,
                                preset)
        assert coin.maintenance == pytest.approx(usd.maintenance, abs=0.005)
        assert cross_margin(Portfolio([Option("BTC", "put", 80_000.0, 14.0, -3.0, settlement="coin")]),
                            market).maintenance == pytest.approx(cross_margin(
                                Portfolio([Option("BTC", "put", 80_000.0, 14.0, -3.0)]), market).maintenance)


@pytest.mark.parametrize("bad", ["btc", "", 1, None])
def test_a_bad_settlement_is_refused_by_name(bad):
    from margin.instruments import Option
    with pytest.raises(PortfolioError, match="settlement"):
        Option("BTC", "call", 100_000.0, 30.0, 1.0, settlement=bad)
