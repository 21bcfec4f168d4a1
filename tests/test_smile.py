"""The volatility smile (margin/smile.py): every pricing path reads each option's vol from one place,
flat is exactly the old model, and the fast paths equal the slow reference with a smile on."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from margin import Market, Option, Portfolio, PortfolioError, cross_margin, portfolio_margin, shock_sweep
from margin.liquidation import margin_curves
from margin.pricing import black76_price
from margin.reference import reference_portfolio_margin
from margin.risk import value_at_risk
from margin.smile import smile_multiplier
from tests.test_offsets import PRESETS, PRICES, correlations, market_with, option_books

SPOT = 88_000.0


def _by_hand(strike: float, years: float, skew: float, curvature: float) -> float:
    x = math.log(strike / SPOT) / math.sqrt(max(years, 1 / 365))
    return min(max(1 + skew * x + curvature * x * x, 0.2), 5.0)


@pytest.mark.parametrize("strike, days", [(88_000.0, 30.0), (70_000.0, 7.0), (120_000.0, 90.0), (30_000.0, 2.0),
                                          (88_000.0, 0.0)])
@pytest.mark.parametrize("skew, curvature", [(0.0, 0.0), (-0.1, 0.05), (-0.3, 0.0), (0.2, 1.0), (-2.0, 5.0)])
def test_the_multiplier_is_the_documented_curve(strike, days, skew, curvature):
    expected = _by_hand(strike, days / 365, skew, curvature)
    assert float(smile_multiplier(SPOT, strike, days / 365, skew, curvature)) == pytest.approx(expected, rel=1e-12)


def test_at_the_money_is_the_at_the_money_vol_and_negative_skew_lifts_the_puts():
    assert float(smile_multiplier(SPOT, SPOT, 30 / 365, -0.2, 0.1)) == 1.0
    low, high = smile_multiplier(SPOT, np.array([70_000.0, 110_000.0]), 30 / 365, -0.1, 0.0)
    assert low > 1.0 > high


def test_flat_is_the_old_model_to_the_cent():
    book = Portfolio([Option("BTC", "put", 70_000.0, 14.0, -3.0), Option("BTC", "call", 100_000.0, 45.0, 2.0)],
                     {"USDC": 50_000.0})
    plain = Market({"BTC": SPOT, "USDC": 1.0}, {"BTC": 0.55, "USDC": 0.01})
    flat = Market({"BTC": SPOT, "USDC": 1.0}, {"BTC": 0.55, "USDC": 0.01}, smile={"BTC": (0.0, 0.0)})
    assert flat == plain and flat.smile_array(("BTC",)) is None
    for preset in PRESETS:
        assert portfolio_margin(book, flat, preset).maintenance == portfolio_margin(book, plain, preset).maintenance
    assert cross_margin(book, flat).maintenance == cross_margin(book, plain).maintenance


def test_a_short_otm_put_on_a_skewed_smile_is_priced_and_margined_at_its_own_vol():
    """The issue's case: a short out-of-the-money put is not priced at the at-the-money vol."""
    put = Portfolio([Option("BTC", "put", 70_000.0, 14.0, -1.0)], {"USDC": 20_000.0})
    flat = Market({"BTC": SPOT, "USDC": 1.0}, {"BTC": 0.55, "USDC": 0.01})
    skewed = flat.with_smile({"BTC": {"skew": -0.15, "curvature": 0.02}})
    vol = 0.55 * _by_hand(70_000.0, 14 / 365, -0.15, 0.02)
    assert vol > 0.55
    mark = float(black76_price(SPOT, 70_000.0, vol, 14 / 365, False))
    assert cross_margin(put, skewed).equity == pytest.approx(20_000.0 - mark, rel=1e-12)
    assert cross_margin(put, skewed).maintenance == pytest.approx(0.075 * SPOT + mark, rel=1e-12)
    for preset in PRESETS:  # the dearer premium and the margin together leave less room to spare
        skewed_pm, flat_pm = portfolio_margin(put, skewed, preset), portfolio_margin(put, flat, preset)
        assert skewed_pm.equity - skewed_pm.maintenance < flat_pm.equity - flat_pm.maintenance
    # where the grid binds (no extreme move deep in the money), the requirement itself rises
    assert portfolio_margin(put, skewed, "classroom").maintenance > portfolio_margin(put, flat, "classroom").maintenance


def _skewed(rho: dict, data) -> Market:
    smile = {coin: (data.draw(st.floats(-0.5, 0.5)), data.draw(st.floats(0.0, 0.5)))
             for coin in ("BTC", "ETH", "SOL")}
    return market_with(rho).with_smile(smile)


@settings(max_examples=25, deadline=None)
@given(book=option_books(min_units=1, max_units=4, coin_margined=True), rho=correlations(),
       preset=st.sampled_from(PRESETS), data=st.data())
def test_one_book_on_a_smile_equals_the_reference(book, rho, preset, data):
    market = _skewed(rho, data)
    fast, slow = portfolio_margin(book, market, preset), reference_portfolio_margin(book, market, preset)
    assert fast.maintenance == pytest.approx(slow["maintenance"], rel=1e-9, abs=1e-9)
    assert fast.details["segregated_loss"] == pytest.approx(slow["segregated"], rel=1e-9, abs=1e-9)


@settings(max_examples=8, deadline=None)
@given(book=option_books(min_units=1, max_units=3), rho=correlations(), preset=st.sampled_from(PRESETS),
       data=st.data())
def test_the_sweep_and_the_liquidation_curve_keep_the_smile(book, rho, preset, data):
    market = _skewed(rho, data)
    sweep = shock_sweep(book, market, [1.0, 2.0], [0.0, 0.5], portfolio_params=preset)
    for row in sweep.itertuples():
        slow = reference_portfolio_margin(book, market.shocked(row.vol_mult, row.corr_shock), preset)
        assert row.portfolio_maintenance == pytest.approx(slow["maintenance"], rel=1e-9, abs=1e-9)
    asset = book.positions[0].asset
    prices = PRICES[asset] * np.array([0.6, 1.0, 1.4])
    curve = margin_curves(book, market, asset, prices, modes=("portfolio", "cross"), params={"portfolio": preset})
    for price, maintenance, equity in zip(prices, curve["maintenance_portfolio"], curve["equity_cross"], strict=True):
        moved = market.with_prices({asset: float(price)})
        assert maintenance == pytest.approx(reference_portfolio_margin(book, moved, preset)["maintenance"],
                                            rel=1e-9, abs=1e-9)
        assert equity == pytest.approx(cross_margin(book, moved).equity, rel=1e-9, abs=1e-6)


def test_var_reads_the_smile_too():
    put = Portfolio([Option("BTC", "put", 70_000.0, 14.0, -10.0)])
    flat = Market({"BTC": SPOT}, {"BTC": 0.55})
    skewed = flat.with_smile({"BTC": (-0.3, 0.1)})
    for method in ("delta-normal", "monte-carlo"):
        assert value_at_risk(put, skewed, method=method) != value_at_risk(put, flat, method=method)


@pytest.mark.parametrize("smile, field", [
    ({"BTC": (3.0, 0.0)}, "market.smile['BTC'].skew"),
    ({"BTC": (0.0, -0.1)}, "market.smile['BTC'].curvature"),
    ({"BTC": (float("nan"), 0.0)}, "market.smile['BTC'].skew"),
    ({"BTC": {"skew": -0.1, "wings": 1}}, "market.smile['BTC'].wings"),
    ({"BTC": "steep"}, "market.smile['BTC']"),
    ({"DOGE": (0.0, 0.1)}, "market.smile['DOGE']"),
    ({"BTC": (True, 0.0)}, "market.smile['BTC'].skew"),
])
def test_a_bad_smile_is_refused_by_name(smile, field):
    with pytest.raises(PortfolioError) as caught:
        Market({"BTC": SPOT}, {"BTC": 0.55}, smile=smile)
    assert str(caught.value).startswith(field)


def test_every_new_market_keeps_the_smile():
    market = Market({"BTC": SPOT, "ETH": 2_900.0}, {"BTC": 0.55, "ETH": 0.7}, smile={"BTC": (-0.1, 0.05)})
    for moved in (market.with_prices({"BTC": 90_000.0}), market.with_vols({"ETH": 0.8}), market.shocked(2.0, 0.3),
                  market.with_correlation({("BTC", "ETH"): 0.5})):
        assert dict(moved.smile) == {"BTC": (-0.1, 0.05)}
    assert market != market.with_smile({"BTC": (0.0, 0.0)})
    assert market.with_smile({"BTC": (0.0, 0.0)}).smile == {}


def test_the_smile_travels_in_files_and_share_links():
    from margin import default_market
    from margin.io import apply_market_overrides, load_document, market_overrides, save_portfolio
    base = default_market()
    market = base.with_smile({"BTC": (-0.12, 0.04), "ETH": {"skew": -0.05, "curvature": 0.0}})
    overrides = market_overrides(base, market)
    assert overrides == {"smile": {"BTC": (-0.12, 0.04), "ETH": (-0.05, 0.0)}}
    book = Portfolio([Option("BTC", "put", 70_000.0, 14.0, -1.0)])
    document = load_document(save_portfolio(book, market_overrides=overrides))
    assert apply_market_overrides(base, document.market_overrides) == market
    flattened = market.with_smile({"BTC": (0.0, 0.0)})  # back to flat against a base that had a smile
    assert apply_market_overrides(market, market_overrides(market, flattened)) == flattened
    with pytest.raises(PortfolioError, match=r"^market.smile\['BTC'\].skew"):
        load_document('{"positions": [], "market": {"smile": {"BTC": {"skew": 9}}}}')
