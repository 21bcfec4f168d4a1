"""Odd markets and books: the engine returns finite numbers or a clear PortfolioError, never NaN."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from margin import (
    Future,
    Market,
    Option,
    Perp,
    Portfolio,
    PortfolioError,
    Spot,
    cross_margin,
    liquidation_price,
    portfolio_margin,
    shock_sweep,
    value_at_risk,
)
from margin.cross import isolated_margin


def _all_finite(book: Portfolio, market: Market) -> None:
    for result in (cross_margin(book, market), portfolio_margin(book, market)):
        values = (result.initial, result.maintenance, result.equity)
        assert all(math.isfinite(v) for v in values), values
        assert result.breakdown[["initial", "maintenance"]].notna().all().all()
    for method in ("delta-normal", "monte-carlo"):
        assert math.isfinite(value_at_risk(book, market, method=method, n_paths=2_000))
    sweep = shock_sweep(book, market, vol_mults=[1, 3], corr_shocks=[-1, 0, 1])
    assert np.isfinite(sweep.drop(columns=["binding_scenario", "binding_key"]).to_numpy(dtype=float)).all()


def test_tiny_volatility_and_expiry_today():
    book = Portfolio([Option("BTC", "call", 88_000.0, 0, -1.0), Option("BTC", "put", 90_000.0, 0, 2.0),
                      Option("BTC", "call", 80_000.0, 1, -1.0)], {"USDC": 0.0})
    _all_finite(book, Market({"BTC": 88_000.0, "USDC": 1.0}, {"BTC": 1e-6, "USDC": 0.01}))


@pytest.mark.parametrize("strike", [1e-3, 1.0, 88_000.0, 8.8e7])
def test_deep_in_and_out_of_the_money_options(strike):
    market = Market({"BTC": 88_000.0, "USDC": 1.0}, {"BTC": 0.55, "USDC": 0.01})
    book = Portfolio([Option("BTC", "call", strike, 30, -1.0), Option("BTC", "put", strike, 30, 1.0)],
                     {"USDC": 1e6})
    _all_finite(book, market)


@pytest.mark.parametrize("rho", [1.0, -1.0])
def test_correlation_exactly_plus_or_minus_one(rho):
    market = Market({"BTC": 88_000.0, "ETH": 2_900.0, "USDC": 1.0}, {"BTC": 0.55, "ETH": 0.7, "USDC": 0.01},
                    {("BTC", "ETH"): rho})
    book = Portfolio([Perp("BTC", 1.0, 88_000.0), Perp("ETH", -20.0, 2_900.0),
                      Option("ETH", "put", 2_500.0, 10, -5.0)], {"USDC": 50_000.0})
    _all_finite(book, market)


def test_prices_near_zero():
    market = Market({"PEPE": 1e-8, "USDC": 1.0}, {"PEPE": 1.5, "USDC": 0.01})
    book = Portfolio([Perp("PEPE", 1e9, 1.1e-8), Option("PEPE", "call", 2e-8, 7, -1e8)], {"USDC": 100.0})
    _all_finite(book, market)
    price = liquidation_price(book, market, "PEPE")
    assert price is None or price > 0


@pytest.mark.parametrize(("prices", "vols", "corr", "field"), [
    ({"BTC": 0.0}, {"BTC": 0.5}, None, "market.prices['BTC']"),
    ({"BTC": -1.0}, {"BTC": 0.5}, None, "market.prices['BTC']"),
    ({"BTC": float("nan")}, {"BTC": 0.5}, None, "market.prices['BTC']"),
    ({"BTC": 1.0}, {"BTC": 0.0}, None, "market.vols['BTC']"),
    ({"BTC": 1.0}, {"BTC": float("inf")}, None, "market.vols['BTC']"),
    ({"BTC": 1.0}, {}, None, "market.vols['BTC']"),
    ({"A": 1.0, "B": 1.0}, {"A": 0.5, "B": 0.5}, {("A", "B"): 1.5}, "market.correlation[A, B]"),
    ({"A": 1.0, "B": 1.0, "C": 1.0}, {"A": 0.5, "B": 0.5, "C": 0.5},
     {("A", "B"): 0.9, ("A", "C"): 0.9, ("B", "C"): -0.9}, "positive semi-definite"),
])
def test_bad_markets_name_the_field(prices, vols, corr, field):
    with pytest.raises(PortfolioError) as caught:
        Market(prices, vols, corr)
    assert field in str(caught.value)


def test_an_asset_missing_from_the_market_is_named():
    market = Market({"BTC": 88_000.0}, {"BTC": 0.55})
    with pytest.raises(PortfolioError, match="positions\\[1\\].asset.*DOGE"):
        cross_margin(Portfolio([Perp("BTC", 1.0, 88_000.0), Perp("DOGE", 1.0, 0.15)]), market)


def test_isolated_mode_without_a_perp_says_so():
    market = Market({"BTC": 88_000.0}, {"BTC": 0.55})
    with pytest.raises(PortfolioError, match="isolated"):
        isolated_margin(Portfolio([Spot("BTC", 1.0)]), market, "BTC")


books = st.lists(st.one_of(
    st.builds(Perp, st.just("BTC"), st.floats(-50, 50), st.floats(1, 1e6), st.none() | st.floats(1, 100)),
    st.builds(Future, st.just("ETH"), st.floats(-500, 500), st.floats(1, 1e5), st.floats(0, 400)),
    st.builds(Option, st.sampled_from(["BTC", "ETH"]), st.sampled_from(["call", "put"]), st.floats(1, 1e6),
              st.floats(0, 800), st.floats(-20, 20)),
    st.builds(Spot, st.sampled_from(["BTC", "ETH", "USDC"]), st.floats(-100, 1e5)),
), max_size=6)


@settings(max_examples=60, deadline=None)
@given(positions=books, btc=st.floats(1e-4, 1e7), eth=st.floats(1e-4, 1e6), vol=st.floats(1e-4, 5),
       rho=st.floats(-1, 1))
def test_random_books_on_random_markets_stay_finite(positions, btc, eth, vol, rho):
    market = Market({"BTC": btc, "ETH": eth, "USDC": 1.0}, {"BTC": vol, "ETH": vol * 1.2, "USDC": 0.01},
                    {("BTC", "ETH"): rho})
    _all_finite(Portfolio(positions, {"USDC": 10_000.0}), market)
