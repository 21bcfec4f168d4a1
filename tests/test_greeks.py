"""Greeks (margin/greeks.py) against independent numbers:

- the closed-form Black-76 greeks it uses against Hull's worked example: Hull, *Options, Futures and
  Other Derivatives*, 9th ed. (Pearson, 2015), Chapter 19 "The Greek Letters", the chapter's running
  example, a call with S0 = 49, K = 50, r = 5 %, sigma = 20 %, T = 20 weeks = 0.3846 years: delta
  N(d1) = 0.522, theta -4.31 a year (-0.0118 a calendar day), gamma 0.066, vega 12.1 (per unit of
  vol, 0.121 per point). Black-Scholes is Black-76 on F = S e^{rT} (margin/pricing.py), so the spot
  greeks follow from the forward ones: delta_S = e^{rT} delta_F, gamma_S = e^{2rT} gamma_F, and
  theta at fixed spot = theta at fixed forward - r F delta_F;
- delta and gamma of every risk unit against central finite differences of the P&L the portfolio
  engine's scenario grid revalues (UnitSet.revalue, vol flat), on every sample book and random books;
- vega and theta against central finite differences of Black-76 itself, and theta against the
  payoff's own T+1 day (margin/payoff.py, a different code path).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from margin import Future, Option, Perp, Portfolio, Spot
from margin.book import book_arrays, market_vectors
from margin.greeks import GREEK_COLUMNS, book_greeks, unit_delta_coins
from margin.instruments import InverseFuture, InversePerp
from margin.payoff import book_pnl
from margin.presets import PORTFOLIO_PRESETS
from margin.pricing import black76_delta, black76_gamma, black76_price, black76_theta, black76_vega
from margin.units import unit_set
from tests.books import MARKET, positions
from views.samples import load_sample, sample_names

HULL = {"spot": 49.0, "strike": 50.0, "rate": 0.05, "vol": 0.20, "years": 0.3846}


def test_black76_greeks_reproduce_hulls_chapter_19_example():
    spot, strike, rate, vol, years = (HULL[k] for k in ("spot", "strike", "rate", "vol", "years"))
    forward = spot * math.exp(rate * years)
    delta_f = float(black76_delta(forward, strike, vol, years, True, rate))
    assert delta_f * math.exp(rate * years) == pytest.approx(0.522, abs=5e-4)
    assert float(black76_gamma(forward, strike, vol, years, rate)) * math.exp(2 * rate * years) == pytest.approx(
        0.066, abs=5e-4)
    assert float(black76_vega(forward, strike, vol, years, rate)) == pytest.approx(12.1, abs=0.05)
    theta_spot = float(black76_theta(forward, strike, vol, years, True, rate)) - rate * forward * delta_f
    assert theta_spot == pytest.approx(-4.31, abs=0.005)
    assert theta_spot / 365 == pytest.approx(-0.0118, abs=5e-5)


def _grid_differences(book: Portfolio, market, params, step: float) -> dict[str, tuple[float, float]]:
    """asset -> (delta USD per 100 % move, d2P/dm2 USD) of each risk unit, by central differences of
    the scenario grid's own revaluation at moves -step, 0, +step (vol flat)."""
    arrays = book_arrays(book, market)
    spots, vols, basis = market_vectors(arrays, market)
    units = unit_set(arrays, spots, vols, basis, params, market.smile_array(arrays.assets))
    moves = np.tile([-step, 0.0, step], (len(units), 1))
    pnl = units.revalue(moves)[:, :, 1]
    return {asset: ((pnl[u, 2] - pnl[u, 0]) / (2 * step), (pnl[u, 2] - 2 * pnl[u, 1] + pnl[u, 0]) / step**2)
            for u, asset in enumerate(units.assets)}


def _check_against_grid(book: Portfolio, market, params, step: float = 1e-4) -> None:
    greeks = book_greeks(book, market)
    units = greeks.units.set_index("asset")
    for asset, (slope, curvature) in _grid_differences(book, market, params, step).items():
        spot = market.prices[asset]
        row = units.loc[asset] if asset in units.index else dict.fromkeys(GREEK_COLUMNS, 0.0)
        # Round-off scales with the unit's gross value (a hedged unit nets two large P&Ls; a deep in-the-money
        # option is worth about its strike while its delta is a coin's price): each revalued P&L is good to
        # ~1e-13 of it, and a second difference divides that by step^2.
        options = sum(abs(p.qty) * p.strike for p in book.positions if isinstance(p, Option) and p.asset == asset)
        gross = float(greeks.positions.loc[greeks.positions["asset"] == asset, "delta_usd"].abs().sum()) + options + 1.0
        assert row["delta_usd"] == pytest.approx(slope, rel=1e-4, abs=1e-9 * gross), asset
        assert row["gamma"] * spot**2 == pytest.approx(curvature, rel=2e-3, abs=1e-13 * gross / step**2), asset


def _usd_grid(params) -> bool:
    """Whether the rule set's grid measures every P&L in USD: under ``inverse_risk_in_coin`` (the deribit
    preset) coin balances and coin-settled contracts are measured in the coin, so its slopes are not the
    USD value's (margin/greeks.py says so)."""
    return not params.inverse_risk_in_coin


@pytest.mark.parametrize("name", sample_names())
def test_delta_and_gamma_are_the_scenario_grids_slopes_on_every_sample(name):
    book, market = load_sample(name)
    checked = [params for params in PORTFOLIO_PRESETS.values() if _usd_grid(params)]
    assert len(checked) >= 3
    for params in checked:
        _check_against_grid(book, market, params)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(positions(6))
def test_delta_and_gamma_match_the_grid_on_random_books(items):
    # Expiries of a day or more: at a few hours a near-the-money option's gamma changes within the
    # difference step itself, which is a property of the option, not an error of either side.
    items = [p for p in items if not isinstance(p, Option) or p.expiry_days >= 1]
    _check_against_grid(Portfolio(items, {"USDT": 10_000}), MARKET, PORTFOLIO_PRESETS["classroom"])


@settings(max_examples=60, deadline=None)
@given(positions(6))
def test_vega_and_theta_are_black76s_slopes(items):
    book = Portfolio(items)
    greeks = book_greeks(book, MARKET).positions
    for _, row in greeks.iterrows():
        position = book.positions[row["index"]] if row["index"] >= 0 else None
        if not isinstance(position, Option):
            assert row["vega_usd"] == 0.0 and row["gamma"] == 0.0
            continue
        spot, vol, years = MARKET.prices[position.asset], MARKET.vols[position.asset], position.expiry_days / 365
        if years < 2e-4:
            continue  # the central difference straddles expiry

        def price(v, t, spot=spot, option=position):
            return float(black76_price(spot, option.strike, v, t, option.is_call))

        dv, dt = 1e-5, 1e-5
        vega = position.qty * (price(vol + dv, years) - price(vol - dv, years)) / (2 * dv) * 0.01
        theta = position.qty * (price(vol, years - dt) - price(vol, years + dt)) / (2 * dt) / 365
        assert row["vega_usd"] == pytest.approx(vega, rel=1e-5, abs=1e-7)
        assert row["theta_usd"] == pytest.approx(theta, rel=1e-4, abs=1e-6)


def test_a_futures_theta_is_its_one_day_roll_down_in_the_payoff():
    book = Portfolio([Future("BTC", 2.0, 90_000.0, 120), Perp("ETH", -3.0, 2_900.0)])
    theta = book_greeks(book, MARKET).book["theta_usd"]
    today = MARKET.prices["BTC"]
    one_day = book_pnl(book, MARKET, "BTC", [today], [0, 1])
    assert theta == pytest.approx(one_day[1, 0] - one_day[0, 0], rel=1e-12)
    assert theta < 0  # contango (basis 5 %): a long future's mark falls towards spot


def test_an_options_theta_is_close_to_the_payoffs_one_day_change():
    book = Portfolio([Option("BTC", "call", 95_000.0, 30, 1.0), Option("BTC", "put", 80_000.0, 45, -2.0)])
    theta = book_greeks(book, MARKET).book["theta_usd"]
    today = MARKET.prices["BTC"]
    one_day = book_pnl(book, MARKET, "BTC", [today], [0, 1])
    assert theta == pytest.approx(one_day[1, 0] - one_day[0, 0], rel=0.03)


def test_inverse_contracts_are_linear_in_usd_with_face_over_entry_coins():
    book = Portfolio([InversePerp("BTC", 100_000.0, 80_000.0), InverseFuture("BTC", -50_000.0, 90_000.0, 90)],
                     {"BTC": 1.0})
    row = book_greeks(book, MARKET).units.set_index("asset").loc["BTC"]
    growth = math.exp(0.05 * 90 / 365)
    assert row["delta_coins"] == pytest.approx(100_000 / 80_000 - 50_000 / 90_000 * growth + 1.0, rel=1e-12)
    assert row["gamma"] == 0.0 and row["vega_usd"] == 0.0


def test_book_totals_add_the_units_and_stablecoins_carry_no_greek():
    book = Portfolio([Perp("BTC", 1.0, 88_000.0), Spot("USDT", 5_000.0), Option("ETH", "call", 3_000.0, 30, 10.0)],
                     {"USDT": 20_000.0, "SOL": 100.0})
    greeks = book_greeks(book, MARKET)
    assert "USDT" not in set(greeks.positions["asset"])
    assert list(greeks.units["asset"]) == ["BTC", "ETH", "SOL"]
    for name, total in greeks.book.items():
        assert total == pytest.approx(greeks.units[name].sum(), rel=1e-12)
    assert greeks.positions.loc[greeks.positions["asset"] == "SOL", "delta_coins"].item() == 100.0


def test_an_empty_book_has_empty_tables():
    greeks = book_greeks(Portfolio((), {"USDT": 100.0}), MARKET)
    assert greeks.positions.empty and greeks.units.empty
    assert greeks.book == {"delta_usd": 0.0, "gamma_usd_1pct": 0.0, "vega_usd": 0.0, "theta_usd": 0.0}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(positions(6))
def test_on_a_skewed_smile_delta_and_gamma_are_still_the_grids_slopes(items):
    """The grid holds each option at its strike's vol on the smile (sticky strike): its slopes at a move
    of 0 are Black-76's delta and gamma at that vol, which the greeks use."""
    # Strikes within 0.2-5x the price: a put struck 580x above a coin's price is worth 580 coins, and the
    # round-off of that value, divided by step^2, swamps a second difference of its near-zero gamma.
    items = [p for p in items if not isinstance(p, Option)
             or (p.expiry_days >= 1 and 0.2 < p.strike / MARKET.prices[p.asset] < 5)]
    skewed = MARKET.with_smile({asset: (-0.2, 0.05) for asset in MARKET.assets if MARKET.vols[asset] > 0.05})
    _check_against_grid(Portfolio(items, {"USDT": 10_000}), skewed, PORTFOLIO_PRESETS["classroom"])


def _units_delta(book, market, asset):
    units = book_greeks(book, market).units
    row = units.loc[units["asset"] == asset, "delta_coins"]
    return float(row.iloc[0]) if len(row) else 0.0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(positions(6), st.floats(-3, 3), st.booleans())
def test_unit_delta_coins_is_the_greeks_tables_row(items, collateral_btc, skewed):
    """The trade ticket's array-only delta equals the greeks table's unit row (collateral, spot holdings,
    futures' basis, options at the smile's vol), and 0 for an asset the book does not hold."""
    market = MARKET.with_smile({asset: (-0.2, 0.05) for asset in MARKET.assets}) if skewed else MARKET
    book = Portfolio(items, {"USDT": 10_000, "BTC": collateral_btc})
    for asset in ("BTC", "ETH", "SOL", "USDT", "DOGE"):
        if asset not in market.prices:
            continue
        expected = _units_delta(book, market, asset)
        assert unit_delta_coins(book, market, asset) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", sample_names())
def test_unit_delta_coins_on_every_sample(name):
    book, market = load_sample(name)
    for asset in market.assets:
        assert unit_delta_coins(book, market, asset) == pytest.approx(_units_delta(book, market, asset),
                                                                      rel=1e-12, abs=1e-12)
