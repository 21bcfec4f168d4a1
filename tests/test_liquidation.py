"""Liquidation prices: published formulas, the edge cases of docs/model.md, and equity = maintenance at the root."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from margin import (
    CrossParams,
    Market,
    Option,
    Perp,
    Portfolio,
    Spot,
    cross_margin,
    liquidation_price,
    portfolio_margin,
)
from margin.cross import isolated_margin
from margin.liquidation import liquidation_prices

MARKET = Market({"BTC": 88_000.0, "ETH": 2_900.0, "USDC": 1.0}, {"BTC": 0.55, "ETH": 0.70, "USDC": 0.01},
                {("BTC", "ETH"): 0.85})


def hyperliquid_formula(price, side, margin_available, size, maintenance_leverage):
    """Hyperliquid Docs, Trading > Liquidations (hyperliquid.gitbook.io/hyperliquid-docs/trading/liquidations):
    liq_price = price - side * margin_available / position_size / (1 - l * side), l = 1 / MAINTENANCE_LEVERAGE."""
    rate = 1.0 / maintenance_leverage
    return price - side * margin_available / size / (1.0 - rate * side)


@pytest.mark.parametrize("qty", [1.0, -1.0, 0.37, -2.5])
@pytest.mark.parametrize("leverage", [2.0, 10.0, 40.0])
def test_isolated_search_matches_hyperliquid_published_formula(qty, leverage):
    book = Portfolio([Perp("BTC", qty, 86_000.0, leverage=leverage)])
    result = isolated_margin(book, MARKET, "BTC")  # hyperliquid preset: BTC 40x, MM rate 1.25 %
    available = result.equity - result.maintenance
    expected = hyperliquid_formula(88_000.0, math.copysign(1, qty), available, abs(qty), 80.0)
    if available < 0:  # already below maintenance: docs/model.md says return today's price
        expected = 88_000.0
    assert liquidation_price(book, MARKET, "BTC", mode="isolated") == pytest.approx(expected, rel=1e-9)


def test_cross_search_matches_hyperliquid_formula_with_account_value():
    """Cross: margin_available = account_value - maintenance_margin_required (same page)."""
    book = Portfolio([Perp("BTC", 1.0, 86_000.0, leverage=10)], {"USDC": 12_000.0})
    result = cross_margin(book, MARKET)
    expected = hyperliquid_formula(88_000.0, 1, result.equity - result.maintenance, 1.0, 80.0)
    assert liquidation_price(book, MARKET, "BTC", mode="cross") == pytest.approx(expected, rel=1e-9)


def test_freqtrade_hyperliquid_row_reproduced():
    """freqtrade tests/exchange/test_hyperliquid.py, exchange-returned liquidationPrice (max leverage 50 then):
    ETH long, entry 2459.5, size 0.0199, isolated collateral 24.454895 -> 1243.0411908."""
    params = CrossParams(name="hl-50x", max_leverage={"ETH": 50.0})
    market = Market({"ETH": 2459.5}, {"ETH": 0.7})
    book = Portfolio([Perp("ETH", 0.0199, 2459.5, leverage=2, isolated_margin=24.454895)])
    found = liquidation_price(book, market, "ETH", mode="isolated", params=params)
    assert found == pytest.approx(1243.0411908, rel=1e-4)


def test_binance_two_position_cross_example():
    """Binance FAQ 'How to Calculate Liquidation Price of USDS-M Futures Contracts', worked example:
    WB 1,535,443.01; BTCUSDT 109.488 @ 32,481.98 (MMR 2.5 %, cum 16,300), ETHUSDT 3,683.979 @ 1,456.84
    (MMR 10 %, cum 135,365); marks 31,967.27 and 1,335.18 -> LP ETH 1,153.26, LP BTC 26,316.89."""
    params = CrossParams(name="binance-example", max_leverage={"BTC": 20.0, "ETH": 5.0},
                         maintenance_tiers={"BTC": [(0, 0.025, 16_300)], "ETH": [(0, 0.10, 135_365)]})
    market = Market({"BTC": 31_967.27, "ETH": 1_335.18, "USDT": 1.0}, {"BTC": 0.5, "ETH": 0.6, "USDT": 0.01})
    book = Portfolio([Perp("BTC", 109.488, 32_481.98), Perp("ETH", 3_683.979, 1_456.84)], {"USDT": 1_535_443.01})
    assert liquidation_price(book, market, "ETH", params=params) == pytest.approx(1_153.26, abs=0.01)
    assert liquidation_price(book, market, "BTC", params=params) == pytest.approx(26_316.89, abs=0.01)


def test_already_below_maintenance_returns_todays_price():
    book = Portfolio([Perp("BTC", 1.0, 120_000.0)], {"USDC": 1_000.0})
    assert cross_margin(book, MARKET).is_liquidatable
    assert liquidation_price(book, MARKET, "BTC") == 88_000.0


def test_no_price_liquidates_a_fully_funded_spot_holding():
    book = Portfolio([Spot("BTC", 1.0)], {"USDC": 1_000.0})
    assert liquidation_price(book, MARKET, "BTC") is None
    assert liquidation_price(book, MARKET, "BTC", mode="portfolio") is None


def test_an_asset_the_book_does_not_hold_never_liquidates_it():
    book = Portfolio([Perp("BTC", 1.0, 88_000.0)], {"USDC": 20_000.0})
    assert liquidation_price(book, MARKET, "ETH") is None


def test_short_straddle_has_two_roots_and_returns_the_nearest():
    book = Portfolio([Option("BTC", "call", 88_000.0, 30, -1.0), Option("BTC", "put", 88_000.0, 30, -1.0)],
                     {"USDC": 60_000.0})
    both = liquidation_prices(book, MARKET, "BTC")
    assert both["below"] < 88_000.0 < both["above"]
    nearest = min((both["below"], both["above"]), key=lambda p: abs(math.log(p / 88_000.0)))
    assert liquidation_price(book, MARKET, "BTC") == nearest


def test_co_move_brings_a_hedged_pair_liquidation_further_away():
    """With co_move the short ETH leg gains as BTC falls, so a long BTC / short ETH book survives longer."""
    book = Portfolio([Perp("BTC", 1.0, 88_000.0), Perp("ETH", -20.0, 2_900.0)], {"USDC": 15_000.0})
    alone = liquidation_price(book, MARKET, "BTC")
    together = liquidation_price(book, MARKET, "BTC", co_move=True)
    assert together < alone < 88_000.0


def test_bad_mode_and_asset_are_named():
    book = Portfolio([Perp("BTC", 1.0, 88_000.0)])
    with pytest.raises(Exception, match="mode"):
        liquidation_price(book, MARKET, "BTC", mode="portfolio-ish")
    with pytest.raises(Exception, match="DOGE"):
        liquidation_price(book, MARKET, "DOGE")


books = st.builds(
    lambda btc, eth, call, put, cash: Portfolio(
        [Perp("BTC", btc, 87_000.0), Perp("ETH", eth, 3_000.0),
         Option("BTC", "call", 95_000.0, 21, call), Option("BTC", "put", 80_000.0, 45, put)],
        {"USDC": cash}),
    st.floats(-2, 2).filter(lambda q: abs(q) > 0.05), st.floats(-30, 30), st.floats(-2, 2), st.floats(-2, 2),
    st.floats(5_000, 80_000),
)


@settings(max_examples=25, deadline=None)
@given(book=books, mode=st.sampled_from(["cross", "portfolio"]))
def test_equity_equals_maintenance_at_the_returned_price(book, mode):
    price = liquidation_price(book, MARKET, "BTC", mode=mode)
    if price is None or price == 88_000.0:
        return
    moved = MARKET.with_prices({"BTC": price})
    result = (cross_margin if mode == "cross" else portfolio_margin)(book, moved)
    scale = max(1.0, abs(result.maintenance), abs(result.equity))
    assert abs(result.equity - result.maintenance) <= 1e-6 * scale
    # and nothing nearer to today's price liquidates (checked on a fine grid between them)
    between = np.exp(np.linspace(math.log(88_000.0), math.log(price), 60))[1:-1]
    for p in between[::6]:
        r = (cross_margin if mode == "cross" else portfolio_margin)(book, MARKET.with_prices({"BTC": float(p)}))
        assert r.equity >= r.maintenance - 1e-6 * scale


@pytest.mark.parametrize("positions", [2, 40, 200])
def test_a_large_books_liquidation_search_runs_under_a_spinner_that_says_so(monkeypatch, positions):
    """Issue 21: a large book's search can take over a second, so the page runs every liquidation
    search and curve inside a spinner that names the work (Streamlit shows it after 0.5 s). A small
    book's takes milliseconds and starts no spinner (each costs a thread)."""
    import contextlib
    from pathlib import Path

    import streamlit
    from streamlit.testing.v1 import AppTest

    import margin
    from margin.io import encode_share_token
    from views.metrics import PROGRESS_FROM_POSITIONS

    inside, calls = [], []
    real_spinner = streamlit.spinner

    @contextlib.contextmanager
    def recording_spinner(text, *args, **kwargs):
        with real_spinner(text, *args, **kwargs):
            inside.append(text)
            try:
                yield
            finally:
                inside.pop()

    def recorded(name, function):
        def call(*args, **kwargs):
            calls.append((name, list(inside)))
            return function(*args, **kwargs)
        return call

    monkeypatch.setattr(streamlit, "spinner", recording_spinner)
    monkeypatch.setattr(margin, "liquidation_prices", recorded("liquidation_prices", margin.liquidation_prices))
    monkeypatch.setattr(margin, "margin_curves", recorded("margin_curves", margin.margin_curves))
    # A book no other test has priced, so the page's caches miss and the engine runs.
    strikes = 60_000.0 + 500.0 * np.arange(positions - 1)
    book = Portfolio([Perp("BTC", 0.8, 86_000.0, leverage=10)]
                     + [Option("BTC", "put", float(k), 30, 1.3 / positions) for k in strikes],
                     {"USDC": 23_456.78 + positions})
    app = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    app.query_params["book"] = encode_share_token(book)
    app.switch_page("pages/liquidation.py").run()
    assert not app.exception
    assert {name for name, _ in calls} == {"liquidation_prices", "margin_curves"}
    expected = ["Finding where each mode liquidates as BTC moves…"] if positions >= PROGRESS_FROM_POSITIONS else []
    for name, spinners in calls:
        assert spinners == expected, name
    assert not inside
