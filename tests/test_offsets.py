"""Cross-unit offsets hold docs/model.md's invariants on books of 2, 3 and 5+ units, and every fast path
(one book, a shock sweep, a liquidation curve) equals the slow reference model (margin/reference.py).

The invariants, each a property over random books and random valid correlation matrices:
- a position of size zero, or a unit with no exposure, changes no requirement and no liquidation price;
- a linear book's joint loss is the range-scaled joint-normal figure sqrt(e' rho e), to 1e-9;
- correlated never exceeds segregated, and equals it when every rho = +1 and every unit points one way;
- the result is continuous in rho (also where eigenvalues meet, as at the identity).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from margin import (
    PORTFOLIO_PRESETS,
    Future,
    Market,
    Option,
    Perp,
    Portfolio,
    Spot,
    default_market,
    liquidation_price,
    load_portfolio,
    margin_curves,
    portfolio_margin,
    shock_sweep,
)
from margin.instruments import InverseFuture, InversePerp
from margin.presets import DERIBIT_PM_EXACT
from margin.reference import reference_portfolio_margin
from margin.units import scan_range

COINS = ["BTC", "ETH", "SOL", "XRP", "DOGE", "LINK"]  # books are drawn on these
ALL_COINS = [*COINS, "LEO"]  # a zero-size position may also sit on a coin no book uses
PRICES = {"BTC": 88_000.0, "ETH": 2_900.0, "SOL": 138.0, "XRP": 2.1, "DOGE": 0.15, "LINK": 13.0, "LEO": 9.5,
          "USDT": 1.0}
VOLS = {"BTC": 0.55, "ETH": 0.7, "SOL": 0.85, "XRP": 0.9, "DOGE": 1.0, "LINK": 0.95, "LEO": 0.6, "USDT": 0.01}
PRESETS = sorted(PORTFOLIO_PRESETS)


def correlated(preset: str):
    """The preset with correlated offsets: the invariants are the correlated model's (Deribit and OKX margin
    each coin apart as published; the sidebar's offsets choice turns the offsets on)."""
    return PORTFOLIO_PRESETS[preset].with_changes(offsets="correlated")


@st.composite
def correlations(draw, coins=ALL_COINS):
    """A valid correlation matrix (a random factor model, so positive semi-definite), as pairs."""
    seed = draw(st.integers(0, 2**32 - 1))
    factors = draw(st.integers(1, 3))
    loadings = np.random.default_rng(seed).normal(size=(len(coins), factors))
    loadings *= draw(st.floats(0.0, 3.0))
    covariance = loadings @ loadings.T + np.eye(len(coins))
    scale = np.sqrt(np.diag(covariance))
    rho = covariance / np.outer(scale, scale)
    return {(a, b): float(rho[i, j]) for i, a in enumerate(coins) for j, b in enumerate(coins) if i < j}


def market_with(rho: dict) -> Market:
    return Market(PRICES, VOLS, rho, {"BTC": 0.05})


def linear_position(coin: str, size: float, kind: int):
    qty = size / PRICES[coin]  # about ``size`` USD of exposure
    if kind == 0:
        return Perp(coin, qty, PRICES[coin])
    if kind == 1:
        return Future(coin, qty, PRICES[coin], 45.0)
    if kind == 3:
        return InversePerp(coin, size, PRICES[coin] * 0.95)
    if kind == 4:
        return InverseFuture(coin, size, PRICES[coin] * 1.02, 60.0)
    return Spot(coin, qty)


@st.composite
def linear_books(draw, min_units=2, max_units=6):
    coins = draw(st.lists(st.sampled_from(COINS), min_size=min_units, max_size=max_units, unique=True))
    positions = [linear_position(c, draw(st.floats(-2e5, 2e5).filter(lambda x: abs(x) > 100)), draw(st.integers(0, 2)))
                 for c in coins]
    return Portfolio(positions, {"USDT": 10_000.0})


@st.composite
def option_books(draw, min_units=1, max_units=6, coin_margined=False):
    """Books of 1-6 units mixing linear positions and options (calls and puts, short and long);
    with ``coin_margined``, inverse perps and futures too."""
    coins = draw(st.lists(st.sampled_from(COINS), min_size=min_units, max_size=max_units, unique=True))
    kinds = [0, 1, 2, 3, 4] if coin_margined else [0, 1, 2]
    positions = []
    for coin in coins:
        if draw(st.booleans()):
            positions.append(linear_position(coin, draw(st.floats(-1e5, 1e5)), draw(st.sampled_from(kinds))))
        for _ in range(draw(st.integers(0 if positions else 1, 2))):
            strike = PRICES[coin] * draw(st.sampled_from([0.7, 0.9, 1.0, 1.15, 1.4]))
            qty = draw(st.floats(-5e4, 5e4)) / PRICES[coin]
            settlement = draw(st.sampled_from(["usd", "coin"])) if coin_margined else "usd"
            positions.append(Option(coin, draw(st.sampled_from(["call", "put"])), strike,
                                    draw(st.sampled_from([3.0, 14.0, 45.0, 120.0])), qty, settlement=settlement))
    collateral = {"USDT": 20_000.0}
    if coin_margined and draw(st.booleans()):  # a coin balance: at risk in USD, the coin account's own currency in coin
        collateral[coins[0]] = draw(st.floats(0.0, 3e4)) / PRICES[coins[0]]
    return Portfolio(positions, collateral)


def _close(a: float, b: float, rel: float = 1e-9) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


# -- a position of size zero, or a unit with no exposure, changes nothing ---------------------------


def test_a_zero_leo_perp_leaves_the_btc_eth_pair_as_it_was():
    """The issue's case: sample 03 under the default market is 7,668.92 USD; a zero-size LEO perp
    made it 17,183.23 and moved the BTC liquidation price from 74,511 to 84,760."""
    market = default_market()
    pair = load_portfolio("sample_portfolios/03_btc_eth_pair.json")
    with_leo = Portfolio([*pair.positions, Perp("LEO", 0.0, 9.5)], pair.collateral)
    assert portfolio_margin(with_leo, market).maintenance == pytest.approx(portfolio_margin(pair, market).maintenance,
                                                                           rel=1e-12)
    assert liquidation_price(with_leo, market, "BTC", "portfolio") == pytest.approx(
        liquidation_price(pair, market, "BTC", "portfolio"), rel=1e-9)


@pytest.mark.parametrize("n_units", [2, 3, 5])
@settings(max_examples=20, deadline=None)
@given(data=st.data(), rho=correlations(), preset=st.sampled_from(PRESETS),
       dead=st.sampled_from(["zero perp", "zero option", "cancelling perps", "cancelling options"]))
def test_positions_that_cannot_gain_or_lose_change_no_requirement(n_units, data, rho, preset, dead):
    book = data.draw(st.one_of(option_books(n_units, n_units), linear_books(n_units, n_units)))
    coin = data.draw(st.sampled_from([c for c in ALL_COINS if all(p.asset != c for p in book.positions)]))
    market = market_with(rho)
    extra = {"zero perp": [Perp(coin, 0.0, PRICES[coin])],
             "zero option": [Option(coin, "put", PRICES[coin] * 0.9, 30.0, 0.0)],
             "cancelling perps": [Perp(coin, 3.0, PRICES[coin]), Perp(coin, -3.0, PRICES[coin] * 1.1)],
             "cancelling options": [Option(coin, "call", PRICES[coin], 30.0, 2.0),
                                    Option(coin, "call", PRICES[coin], 30.0, -2.0)]}[dead]
    params = correlated(preset)
    before = portfolio_margin(book, market, params)
    after = portfolio_margin(Portfolio([*book.positions, *extra], book.collateral), market, params)
    addon = after.details["addon_total"] - before.details["addon_total"]  # cancelling perps pay basis (roll), nothing else
    assert _close(after.details["scenario_loss"], before.details["scenario_loss"])
    assert _close(after.maintenance - params.mm_factor * addon, before.maintenance)


@settings(max_examples=15, deadline=None)
@given(book=linear_books(min_units=2, max_units=4), rho=correlations(), data=st.data())
def test_a_zero_position_moves_no_liquidation_price(book, rho, data):
    market = market_with(rho)
    coin = data.draw(st.sampled_from([c for c in ALL_COINS if all(p.asset != c for p in book.positions)]))
    driver = book.positions[0].asset
    padded = Portfolio([*book.positions, Perp(coin, 0.0, PRICES[coin])], book.collateral)
    before = liquidation_price(book, market, driver, "portfolio")
    after = liquidation_price(padded, market, driver, "portfolio")
    assert (before is None) == (after is None)
    if before is not None:
        assert after == pytest.approx(before, rel=1e-9)


# -- linear books: the joint loss is sqrt(e' rho e) ---------------------------------------------------


def _linear_exposure(book: Portfolio, market: Market, params) -> dict[str, float]:
    """e_u: each unit's signed gain (USD) on a rise of its full scan range, written independently.
    Under each settlement currency apart (``inverse_risk_in_coin``, Deribit), coin balances carry none."""
    exposure: dict[str, float] = {}
    for p in [*book.positions, *(Spot(a, q) for a, q in book.collateral.items())]:
        if p.asset == "USDT" or (isinstance(p, Spot) and params.inverse_risk_in_coin):
            continue
        years = p.expiry_days / 365.0 if isinstance(p, Future) else 0.0
        basis = market.basis.get(p.asset, 0.0)
        usd = p.qty * market.prices[p.asset] * math.exp(basis * years)
        exposure[p.asset] = exposure.get(p.asset, 0.0) + usd
    return {a: e * scan_range(params, a, market.vols[a]) for a, e in exposure.items()}


@pytest.mark.parametrize("n_units", [2, 3, 5, 6])
@settings(max_examples=25, deadline=None)
@given(data=st.data(), rho=correlations(), preset=st.sampled_from(PRESETS))
def test_a_linear_books_joint_loss_is_the_joint_normal_figure(n_units, data, rho, preset):
    book = data.draw(linear_books(n_units, n_units))
    market = market_with(rho)
    params = correlated(preset)
    e = _linear_exposure(book, market, params)
    assets = list(e)
    corr = market.correlation.loc[assets, assets].to_numpy()
    vector = np.array([e[a] for a in assets])
    expected = math.sqrt(max(float(vector @ corr @ vector), 0.0))  # f x extreme multiple < 1 in every preset
    result = portfolio_margin(book, market, params)
    assert result.details["scenario_loss"] == pytest.approx(expected, rel=1e-9, abs=1e-9 * np.abs(vector).sum())


def test_three_units_keep_the_pair_hedge_when_a_third_unit_drives():
    """The case the independent-residual construction got wrong: long BTC, short ETH, long SOL, with
    SOL largest, so SOL drives the old model's worst scenario and the BTC/ETH hedge vanished."""
    rho = {("BTC", "ETH"): 0.9, ("BTC", "SOL"): 0.3, ("ETH", "SOL"): 0.3}
    market = market_with(rho)
    book = Portfolio([Perp("BTC", 1.0, 88_000.0), Perp("ETH", -30.0, 2_900.0), Perp("SOL", 1_000.0, 138.0)])
    params = PORTFOLIO_PRESETS["classroom"]
    e = _linear_exposure(book, market, params)
    vector = np.array([e["BTC"], e["ETH"], e["SOL"]])
    corr = market.correlation.loc[["BTC", "ETH", "SOL"], ["BTC", "ETH", "SOL"]].to_numpy()
    expected = math.sqrt(vector @ corr @ vector)
    assert portfolio_margin(book, market, params).details["scenario_loss"] == pytest.approx(expected, rel=1e-9)


# -- correlated never exceeds segregated ---------------------------------------------------------------


@pytest.mark.parametrize("n_units", [2, 3, 5])
@settings(max_examples=15, deadline=None)
@given(data=st.data(), rho=correlations(), preset=st.sampled_from(PRESETS))
def test_correlated_never_exceeds_segregated(n_units, data, rho, preset):
    book = data.draw(st.one_of(option_books(n_units, n_units), linear_books(n_units, n_units)))
    market = market_with(rho)
    params = correlated(preset)
    joint = portfolio_margin(book, market, params)
    alone = portfolio_margin(book, market, params.with_changes(offsets="segregated"))
    assert joint.maintenance <= alone.maintenance * (1 + 1e-12) + 1e-9


@pytest.mark.parametrize("n_units", [2, 3, 5])
@settings(max_examples=15, deadline=None)
@given(data=st.data(), sign=st.sampled_from([1.0, -1.0]), preset=st.sampled_from(PRESETS))
def test_correlated_equals_segregated_when_all_move_together_and_point_one_way(n_units, data, sign, preset):
    sizes = data.draw(st.lists(st.floats(1e3, 2e5), min_size=n_units, max_size=n_units))
    rho = {(a, b): 1.0 for i, a in enumerate(COINS) for b in COINS[i + 1:]}
    market = market_with(rho)
    book = Portfolio([Perp(c, sign * s / PRICES[c], PRICES[c]) for c, s in zip(COINS, sizes, strict=False)])
    params = correlated(preset)
    joint = portfolio_margin(book, market, params).details["scenario_loss"]
    alone = portfolio_margin(book, market, params.with_changes(offsets="segregated")).details["scenario_loss"]
    assert joint == pytest.approx(alone, rel=1e-9)


# -- continuity in rho ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n_units", [2, 3, 5])
@settings(max_examples=15, deadline=None)
@given(data=st.data(), rho=correlations(), preset=st.sampled_from(PRESETS),
       start=st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0]))
def test_the_requirement_is_continuous_in_correlation(n_units, data, rho, preset, start):
    book = data.draw(option_books(n_units, n_units))
    """A shock of 1e-7 moves the requirement by at most about 1e-7 of the book's size, also from
    the identity (shock -1) and all-ones (shock +1), where eigenvalues meet."""
    market = market_with(rho)
    step = 1e-7 if start < 1.0 else -1e-7
    here = portfolio_margin(book, market.shocked(corr_shock=start), correlated(preset))
    there = portfolio_margin(book, market.shocked(corr_shock=start + step), correlated(preset))
    size = portfolio_margin(book, market, PORTFOLIO_PRESETS[preset].with_changes(offsets="segregated")).maintenance
    assert abs(here.maintenance - there.maintenance) <= 1e-4 * max(size, 1.0)


@settings(max_examples=40, deadline=None)
@given(rho=correlations(), shock=st.floats(-1.0, 1.0))
def test_a_valid_correlation_matrix_stays_valid_under_every_shock(rho, shock):
    shocked = market_with(rho).shocked(corr_shock=shock).correlation.to_numpy()
    assert np.allclose(shocked, shocked.T)
    assert np.allclose(np.diag(shocked), 1.0)
    assert np.linalg.eigvalsh(shocked).min() >= -1e-9


# -- every fast path equals the reference ----------------------------------------------------------------


def _match(fast: float, slow: float) -> None:
    assert fast == pytest.approx(slow, rel=1e-9, abs=1e-9 * max(1.0, abs(slow)))


@settings(max_examples=30, deadline=None)
@given(book=option_books(min_units=1, max_units=6), rho=correlations(), preset=st.sampled_from(PRESETS),
       segregated=st.booleans())
def test_one_book_equals_the_reference(book, rho, preset, segregated):
    market = market_with(rho)
    params = PORTFOLIO_PRESETS[preset].with_changes(offsets="segregated" if segregated else "correlated")
    fast, slow = portfolio_margin(book, market, params), reference_portfolio_margin(book, market, params)
    _match(fast.maintenance, slow["maintenance"])
    _match(fast.initial, slow["initial"])
    _match(fast.details["segregated_loss"], slow["segregated"])
    _match(fast.details["addon_total"], slow["addons"])


@settings(max_examples=25, deadline=None)
@given(book=option_books(min_units=1, max_units=4, coin_margined=True), rho=correlations(),
       in_coin=st.booleans(), segregated=st.booleans())
def test_coin_margined_books_equal_the_reference(book, rho, in_coin, segregated):
    """Books with inverse perps and futures, coin-settled options and coin balances, their risk in USD
    or in the coin (Deribit's PME rules with roll shock, mm_factor, ETH's own vol-up shift and the
    minimum vol for the shock up), correlated or segregated."""
    market = market_with(rho)
    params = DERIBIT_PM_EXACT.with_changes(inverse_risk_in_coin=in_coin,
                                           offsets="segregated" if segregated else "correlated")
    fast, slow = portfolio_margin(book, market, params), reference_portfolio_margin(book, market, params)
    _match(fast.maintenance, slow["maintenance"])
    _match(fast.initial, slow["initial"])
    _match(fast.details["addon_total"], slow["addons"])


@settings(max_examples=10, deadline=None)
@given(book=option_books(min_units=2, max_units=4), rho=correlations(), preset=st.sampled_from(PRESETS))
def test_the_sweep_equals_the_reference_at_every_shock(book, rho, preset):
    market = market_with(rho)
    mults, shocks = [1.0, 2.5], [-1.0, 0.0, 0.6]
    sweep = shock_sweep(book, market, mults, shocks, portfolio_params=preset)
    for row in sweep.itertuples():
        slow = reference_portfolio_margin(book, market.shocked(row.vol_mult, row.corr_shock), preset)
        _match(row.portfolio_maintenance, slow["maintenance"])


@settings(max_examples=10, deadline=None)
@given(book=option_books(min_units=2, max_units=4), rho=correlations(), preset=st.sampled_from(PRESETS))
def test_the_liquidation_curve_equals_the_reference_at_every_price(book, rho, preset):
    market = market_with(rho)
    asset = book.positions[0].asset
    prices = PRICES[asset] * np.array([0.4, 0.85, 1.0, 1.3, 2.5])
    curve = margin_curves(book, market, asset, prices, modes=("portfolio",), params={"portfolio": preset})
    for price, maintenance in zip(prices, curve["maintenance_portfolio"], strict=True):
        slow = reference_portfolio_margin(book, market.with_prices({asset: float(price)}), preset)
        _match(maintenance, slow["maintenance"])
