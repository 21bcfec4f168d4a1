"""Odd markets and books: the engine returns finite numbers or a clear PortfolioError, never NaN."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from margin import (
    CrossParams,
    Future,
    Market,
    Option,
    Perp,
    Portfolio,
    PortfolioError,
    PortfolioParams,
    Spot,
    cross_margin,
    liquidation_price,
    load_portfolio,
    margin_curves,
    portfolio_margin,
    save_portfolio,
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


# -- bad input is refused with a PortfolioError naming the field, never a bare exception (issue 15) ----
@pytest.mark.parametrize(("tiers", "named"), [
    ({"BTC": [("a", 0.01)]}, "maintenance_tiers['BTC'][0]: the notional floor (USD) must be a finite number"),
    ({"BTC": [(None, 0.01)]}, "maintenance_tiers['BTC'][0]: the notional floor"),
    ({"BTC": [(0, "0.01")]}, "maintenance_tiers['BTC'][0].rate: must be a number between 0 and 1"),
    ({"BTC": [(0, float("nan"))]}, "maintenance_tiers['BTC'][0].rate"),
    ({"BTC": [(0, 0.01, float("nan"))]}, "maintenance_tiers['BTC'][0]: the deduction (USD) must be a finite number"),
    ({"BTC": [(0, 0.01), (1e6, 0.02, "x")]}, "maintenance_tiers['BTC'][1]: the deduction"),
    ({"BTC": [(0, 0.01), (1e6, 0.02), (1e6, 0.03)]}, "maintenance_tiers['BTC'][2]: notional floors must increase"),
    ({"BTC": [(5, 0.01)]}, "maintenance_tiers['BTC'][0]: the first tier must start at notional 0"),
    ({"BTC": []}, "maintenance_tiers['BTC']: give at least one tier"),
    ({"BTC": "abc"}, "maintenance_tiers['BTC']: must be a list of tiers"),
    ({"BTC": 5}, "maintenance_tiers['BTC']: must be a list of tiers"),
    ({"BTC": [5]}, "maintenance_tiers['BTC'][0]: must be (notional_floor, rate)"),
    ("abc", "maintenance_tiers: give a mapping"),
])
def test_bad_maintenance_tiers_name_the_asset_and_the_tier(tiers, named):
    # ("a", .01) used to escape as a bare ValueError; a NaN deduction was accepted.
    with pytest.raises(PortfolioError) as info:
        CrossParams(maintenance_tiers=tiers)
    assert named in str(info.value)


@pytest.mark.parametrize(("field", "value"), [
    ("max_leverage", "abc"), ("max_leverage", {5: 20}), ("haircuts", "abc"), ("default_max_leverage", "10"),
    ("default_max_leverage", True), ("default_haircut", 10**400), ("name", 5), ("source", None),
])
def test_cross_params_given_strings_and_other_garbage_name_the_field(field, value):
    with pytest.raises(PortfolioError) as info:
        CrossParams(**{field: value})
    assert str(info.value).startswith(field)


@pytest.mark.parametrize(("field", "value", "named"), [
    ("price_range", "abc", "give a mapping asset -> value such as {'BTC': 0.16}"),  # was a bare ValueError
    ("haircuts", "abc", "give a mapping asset -> value such as {'ETH': 0.05}"),
    ("vol_states", "up", "give a list such as ['up', 'flat', 'down'] (got 'up')"),  # was read as ('u', 'p')
    ("vol_states", None, "give a list such as"),
    ("vol_states", ["up", "up"], "each state once"),
    ("offsets", np.array(["correlated"]), "must be 'correlated' or 'segregated'"),
    ("range_horizon_days", 10**400, "must be a number above 0"),
    ("default_price_range", "0.2", "must be a number between 0 and 0.99"),
    ("name", 1, "must be text"),
])
def test_portfolio_params_given_strings_and_other_garbage_name_the_field(field, value, named):
    with pytest.raises(PortfolioError) as info:
        PortfolioParams(**{field: value})
    assert str(info.value).startswith(f"{field}: ") and named in str(info.value)


def test_with_changes_names_an_unknown_field():
    with pytest.raises(PortfolioError, match="max_lev: not a parameter of CrossParams"):
        CrossParams().with_changes(max_lev={"BTC": 20})
    with pytest.raises(PortfolioError, match="steps: not a parameter of PortfolioParams"):
        PortfolioParams().with_changes(steps=9)


def test_numpy_numbers_are_numbers_in_rule_sets():
    params = PortfolioParams(price_steps=np.int64(11), im_multiplier=np.float32(1.5),
                             price_range={"BTC": np.float64(0.2)})
    assert params.price_steps == 11
    CrossParams(max_leverage={"BTC": np.int64(20)}, maintenance_tiers={"BTC": [(np.int64(0), np.float32(0.02))]})


CURVE_MARKET = Market({"BTC": 88_000.0, "USDC": 1.0}, {"BTC": 0.55, "USDC": 0.01})
CURVE_BOOK = Portfolio([Perp("BTC", 1.0, 88_000.0)], {"USDC": 10_000.0})


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"prices": ["abc"]}, "prices[0]: must be a number"),  # used to raise a bare ValueError
    ({"prices": "abc"}, "prices: give a non-empty list"),
    ({"prices": np.array([80_000.0, -1.0])}, "prices[1]: must be a finite price above 0"),
    ({"modes": "cross"}, "modes: must be a list of modes"),
    ({"modes": (["cross"],)}, "modes: each must be one of"),
    ({"params": "binance"}, "params: must map a mode to its rule set"),
    ({"params": {"crosss": "binance"}}, "params: 'crosss' is not a mode"),
    ({"spot_vol_elasticity": True}, "spot_vol_elasticity: must be a number between 0 and 10"),
    ({"co_move": np.array([True, False])}, "co_move: must be True or False"),
    ({"co_move": "no"}, "co_move: must be True or False"),
])
def test_margin_curves_refuses_bad_arguments_with_a_portfolio_error(kwargs, named):
    args = {"prices": [80_000.0, 90_000.0], **kwargs}
    with pytest.raises(PortfolioError) as info:
        margin_curves(CURVE_BOOK, CURVE_MARKET, "BTC", **args)
    assert named in str(info.value)


@pytest.mark.parametrize(("call", "named"), [
    (lambda: liquidation_price(CURVE_BOOK, CURVE_MARKET, "BTC", np.array(["cross", "portfolio"])), "mode: must be"),
    (lambda: liquidation_price(CURVE_BOOK, "market", "BTC"), "market: expected a Market"),
    (lambda: liquidation_price(CURVE_BOOK, CURVE_MARKET, "BTC", spot_vol_elasticity=10**400), "spot_vol_elasticity"),
    (lambda: value_at_risk(CURVE_BOOK, CURVE_MARKET, method="monte-carlo", seed="x"), "seed: must be a whole number"),
    (lambda: value_at_risk(CURVE_BOOK, CURVE_MARKET, method="monte-carlo", seed=-1), "seed: must be a whole number"),
    (lambda: value_at_risk(CURVE_BOOK, CURVE_MARKET, horizon_days=True), "horizon_days"),
    (lambda: value_at_risk(CURVE_BOOK, CURVE_MARKET, horizon_days=10**400), "horizon_days"),
    (lambda: save_portfolio(None), "portfolio: expected a Portfolio"),
    (lambda: save_portfolio(CURVE_BOOK, 5), "path: must be a file name"),
    (lambda: save_portfolio(CURVE_BOOK, None, {"prices": "x"}), "market_overrides.prices: must be a mapping"),
    (lambda: load_portfolio({"positions": [], 1: 2, "x": 3}), "unknown top-level field"),
    (lambda: load_portfolio({"positions": [{"type": "spot", "asset": "BTC", "qty": 1, 2: 3, "b": 4}]}),
     "positions[0].2: unknown field"),
    (lambda: load_portfolio({"market": {"prices": {"BTC": 10**400}}}), "market.prices['BTC']: must be a finite number"),
    (lambda: load_portfolio({"market": {"prices": {5: 1.0}}}), "market.prices: keys are asset tickers"),
    (lambda: CURVE_BOOK.replace_position(3, Spot("BTC", 1.0)), "positions[3]: no such position; the book has 1"),
    (lambda: CURVE_BOOK.replace_position("0", Spot("BTC", 1.0)), "positions['0']: no such position"),
    (lambda: CURVE_BOOK.with_positions(5), "positions: must be a list of positions"),
    (lambda: CURVE_MARKET.correlation_array(["BTC", "DOGE"]), "assets: asset 'DOGE' has no price"),
])
def test_other_entry_points_refuse_garbage_with_a_portfolio_error(call, named):
    with pytest.raises(PortfolioError) as info:
        call()
    assert named in str(info.value)
