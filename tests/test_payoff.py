"""Payoff (margin/payoff.py) against independent numbers: at expiry the closed-form intrinsic payoff,
written out here position by position; at T+0 the book's mark-to-market P&L, and its change with the
price the change of the account's equity under cross margin (the hyperliquid preset has no
haircuts, so equity moves exactly with market value)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings

from margin import Future, Option, Perp, Portfolio, PortfolioError, Spot, cross_margin
from margin.instruments import InverseFuture, InversePerp
from margin.payoff import book_pnl, longest_expiry_days, mark_to_market_pnl, payoff_frame
from margin.pricing import black76_price
from tests.books import MARKET, positions
from views.samples import load_sample, sample_names

PRICES = np.linspace(50_000.0, 130_000.0, 41)


def _intrinsic(position, price: float) -> float:
    """The position's value change from entry at expiry, written out from its definition."""
    if isinstance(position, Option):
        payoff = max(price - position.strike, 0.0) if position.kind == "call" else max(position.strike - price, 0.0)
        paid = position.entry_price if position.entry_price is not None else float(black76_price(
            MARKET.prices[position.asset], position.strike, MARKET.vols[position.asset], position.expiry_days / 365,
            position.is_call))
        return position.qty * (payoff - paid)
    if isinstance(position, (InversePerp, InverseFuture)):
        return position.usd_size * (price / position.entry_price - 1.0)
    if isinstance(position, (Perp, Future)):
        return position.qty * (price - position.entry_price)
    return position.qty * (price - MARKET.prices[position.asset])


def test_at_expiry_the_payoff_is_the_sum_of_intrinsic_values():
    book = Portfolio([Option("BTC", "call", 95_000.0, 30, -2.0, entry_price=2_000.0),
                      Option("BTC", "put", 80_000.0, 60, 1.0, entry_price=3_100.0),
                      Option("BTC", "put", 70_000.0, 14, 3.0),
                      Future("BTC", 1.5, 89_000.0, 90), Perp("BTC", -0.5, 87_000.0),
                      InversePerp("BTC", 50_000.0, 85_000.0), InverseFuture("BTC", -20_000.0, 91_000.0, 30),
                      Spot("BTC", 0.25)], {"USDT": 10_000.0})
    pnl = book_pnl(book, MARKET, "BTC", PRICES, math.inf)[0]
    expected = [sum(_intrinsic(p, price) for p in book.positions) for price in PRICES]
    np.testing.assert_allclose(pnl, expected, rtol=1e-12, atol=1e-6)


def test_a_long_straddle_at_expiry_is_a_v_with_its_low_at_the_strike_less_the_premium():
    book = Portfolio([Option("BTC", "call", 88_000.0, 30, 1.0, entry_price=5_000.0),
                      Option("BTC", "put", 88_000.0, 30, 1.0, entry_price=4_500.0)])
    frame = payoff_frame(book, MARKET, "BTC", PRICES, 0.0)
    low = frame.loc[frame["pnl_expiry"].idxmin()]
    assert low["price"] == 88_000.0 and low["pnl_expiry"] == pytest.approx(-9_500.0)
    # Before expiry the straddle is worth more than at it (time value), at every price.
    assert (frame["pnl_now"] > frame["pnl_expiry"]).all()


@pytest.mark.parametrize("name", sample_names())
def test_at_t_plus_0_the_payoff_is_the_books_mark_to_market_pnl(name):
    book, market = load_sample(name)
    asset = next(a for a in book.assets() if a in market.prices)
    today = market.prices[asset]
    # Unrealised P&L, written out: contracts at their mark, options at theirs less the premium paid.
    expected = 0.0
    for p in book.positions:
        if isinstance(p, Option):
            mark = float(black76_price(market.prices[p.asset], p.strike, market.vols[p.asset], p.expiry_days / 365,
                                       p.is_call))
            expected += p.qty * (mark - (mark if p.entry_price is None else p.entry_price))
        elif isinstance(p, (InverseFuture, Future)):
            mark = market.prices[p.asset] * math.exp(market.basis.get(p.asset, 0.0) * p.expiry_days / 365)
            expected += p.qty * (mark - p.entry_price)
        elif isinstance(p, (InversePerp, Perp)):
            expected += p.qty * (market.prices[p.asset] - p.entry_price)
    assert book_pnl(book, market, asset, [today], 0)[0, 0] == pytest.approx(expected, abs=1e-6)
    assert mark_to_market_pnl(book, market) == pytest.approx(expected, abs=1e-6)
    # Away from today, the T+0 P&L moves as the account's equity does (no haircuts under hyperliquid).
    moved = [today * 0.8, today * 1.15]
    pnl = book_pnl(book, market, asset, moved, 0)[0]
    base = cross_margin(book, market, "hyperliquid").equity
    for price, value in zip(moved, pnl, strict=True):
        equity = cross_margin(book, market.with_prices({asset: price}), "hyperliquid").equity
        assert value - expected == pytest.approx(equity - base, rel=1e-9, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(positions(6))
def test_later_days_sit_between_today_and_expiry_for_options_of_one_kind(items):
    """Property: a long call's value falls with time (r = 0): P&L(T+0) >= P&L(T+n) >= P&L(expiry)."""
    book = Portfolio([p for p in items if not isinstance(p, Option)] + [Option("BTC", "call", 90_000.0, 40, 2.0)])
    only_call = Portfolio([Option("BTC", "call", 90_000.0, 40, 2.0)])
    pnl = book_pnl(only_call, MARKET, "BTC", PRICES, [0, 10, 39, math.inf])
    assert (np.diff(pnl, axis=0) <= 1e-9).all()
    both = book_pnl(book, MARKET, "BTC", PRICES, [0, math.inf])
    assert both.shape == (2, PRICES.size) and np.isfinite(both).all()


def test_other_assets_stay_at_todays_price():
    book = Portfolio([Perp("ETH", 10.0, 2_800.0), Perp("BTC", 1.0, 88_000.0)])
    pnl = book_pnl(book, MARKET, "BTC", [80_000.0, 96_000.0], 0)[0]
    eth = 10.0 * (MARKET.prices["ETH"] - 2_800.0)
    np.testing.assert_allclose(pnl, [eth - 8_000.0, eth + 8_000.0])


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"asset": "NOPE"}, "asset"),
    ({"prices": []}, "prices"),
    ({"prices": [80_000.0, float("nan")]}, "prices[1]"),
    ({"days_ahead": -1}, "days_ahead[0]"),
    ({"days_ahead": [0, float("nan")]}, "days_ahead[1]"),
    ({"days_ahead": "soon"}, "days_ahead[0]"),
])
def test_bad_input_is_refused_naming_the_field(kwargs, field):
    arguments = {"asset": "BTC", "prices": PRICES, "days_ahead": 0} | kwargs
    with pytest.raises(PortfolioError, match="^" + re.escape(field)):
        book_pnl(Portfolio([Perp("BTC", 1.0, 88_000.0)]), MARKET, **arguments)


def test_longest_expiry_reads_options_and_futures():
    book = Portfolio([Option("BTC", "call", 90_000.0, 40, 1.0), Future("ETH", 1.0, 2_900.0, 90), Perp("BTC", 1, 1e4)])
    assert longest_expiry_days(book) == 90.0
    assert longest_expiry_days(book, "BTC") == 40.0
    assert longest_expiry_days(Portfolio([Perp("BTC", 1, 1e4)])) == 0.0


@pytest.mark.parametrize(("days", "legend"), [(0, "Today (T+0)"), (1, "In 1 day (T+1)"), (7, "In 7 days (T+7)")])
def test_the_payoff_chart_names_its_t_plus_n_line_in_words_that_agree_with_the_number(days, legend):
    from charts.workbench import payoff_chart
    from margin import Option, Portfolio, default_market
    from margin.payoff import payoff_frame

    market = default_market()
    book = Portfolio([Option("BTC", "call", 90_000.0, 30, -1.0)], {"USDC": 10_000.0})
    frame = payoff_frame(book, market, "BTC", np.linspace(60_000.0, 120_000.0, 50), days)
    figure = payoff_chart(frame, "BTC", market.prices["BTC"], days)
    assert legend in [trace.name for trace in figure.data]
    # Prices on the hover read in full (d3's ",.6~g": six significant digits before an exponent).
    assert all(".6~g" in trace.hovertemplate for trace in figure.data if trace.hovertemplate)
