"""What-if (margin/whatif.py): the trade ticket's changes are the difference of two full computations
(the Compare page's entry points, cross_margin and portfolio_margin, on the book and on the book with
the trade, built here independently) to the cent, under every rule-set combination the app offers,
on every sample book; the cash leg keeps equity; reduces_risk follows its stated rule; bad trades are
refused naming the field."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from margin import (
    Option,
    Perp,
    Portfolio,
    PortfolioError,
    Spot,
    cross_margin,
    liquidation_prices,
    portfolio_margin,
)
from margin.instruments import InversePerp
from margin.pricing import black76_price
from margin.whatif import incremental_margin, make_trade, nearest_liquidation, settlement_asset, with_trade
from tests.books import MARKET
from views.rules import every_rule_set
from views.samples import load_sample, sample_names

CENT = 0.005


def _trades(book, market):
    """A hedge and an addition on the book's first coin: a 30-day put 10 % out of the money bought,
    and a perp sold (or bought when the book is short that coin)."""
    asset = next(a for a in book.assets() if a in market.prices and a not in ("USDC", "USDT"))
    spot = market.prices[asset]
    return [make_trade("put", asset, "buy", 1.0, market, strike=round(spot * 0.9, 2), expiry_days=30),
            make_trade("perp", asset, "sell", 0.5, market),
            make_trade("call", asset, "sell", 2.0, market, strike=round(spot * 1.1, 2), expiry_days=14)]


def _independent_after(book, trade, market):
    """Book + trade, its premium paid from the largest stablecoin balance (written out here)."""
    collateral = dict(book.collateral)
    stables = {a: q for a, q in collateral.items() if a in ("USDC", "USDT") and q > 0}
    settle = max(stables, key=lambda a: (stables[a], a)) if stables else "USDC"
    if isinstance(trade, Option):
        premium = trade.qty * float(black76_price(market.prices[trade.asset], trade.strike, market.vols[trade.asset],
                                                  trade.expiry_days / 365, trade.is_call))
        collateral[settle] = collateral.get(settle, 0.0) - premium / market.prices[settle]
    return Portfolio(tuple(book.positions) + (trade,), collateral)


@pytest.mark.parametrize("name", sample_names())
def test_the_tickets_changes_are_two_full_computations_apart_under_every_rule_set(name):
    book, market = load_sample(name)
    trades = _trades(book, market)
    afters = [_independent_after(book, trade, market) for trade in trades]
    for rules in every_rule_set():
        portfolio_params = rules.portfolio_params
        cross_before = cross_margin(book, market, rules.cross)
        portfolio_before = portfolio_margin(book, market, portfolio_params)
        for trade, after in zip(trades, afters, strict=True):
            result = incremental_margin(book, trade, market, rules.cross, portfolio_params, with_liquidation=False)
            cross_after = cross_margin(after, market, rules.cross)
            portfolio_after = portfolio_margin(after, market, portfolio_params)
            for field in ("initial", "maintenance"):
                assert abs(result.change("cross", field) - (getattr(cross_after, field) - getattr(cross_before, field))
                           ) < CENT, (rules.label, trade, field)
                assert abs(result.change("portfolio", field)
                           - (getattr(portfolio_after, field) - getattr(portfolio_before, field))) < CENT, \
                    (rules.label, trade, field)


@pytest.mark.parametrize("name", ["03_btc_eth_pair.json", "05_short_strangle.json", "10_coin_margined_btc.json"])
def test_liquidation_prices_before_and_after_are_the_engines(name):
    book, market = load_sample(name)
    trade = _trades(book, market)[0]
    result = incremental_margin(book, trade, market)
    after = _independent_after(book, trade, market)
    for mode in ("cross", "portfolio"):
        assert result.liquidation_before[mode] == liquidation_prices(book, market, trade.asset, mode)
        found = liquidation_prices(after, market, trade.asset, mode)
        for side in ("below", "above"):
            if found[side] is None:
                assert result.liquidation_after[mode][side] is None
            else:
                assert result.liquidation_after[mode][side] == pytest.approx(found[side], rel=1e-9)


def test_paying_the_premium_keeps_equity_where_there_are_no_haircuts():
    book = Portfolio([Perp("BTC", 1.0, 88_000.0)], {"USDT": 20_000.0})
    trade = make_trade("put", "BTC", "buy", 2.0, MARKET, strike=80_000.0, expiry_days=30)
    result = incremental_margin(book, trade, MARKET, "hyperliquid")
    premium = 2.0 * float(black76_price(88_000.0, 80_000.0, 0.55, 30 / 365, False))
    assert result.cost == pytest.approx(premium, rel=1e-12) and result.settled_in == "USDT"
    assert result.book_after.collateral["USDT"] == pytest.approx(20_000.0 - premium)
    assert result.change("cross", "equity") == pytest.approx(0.0, abs=1e-6)
    assert trade.entry_price == pytest.approx(premium / 2.0)


def test_a_book_without_stablecoins_pays_in_usdc_borrowed():
    book = Portfolio([InversePerp("BTC", 100_000.0, 88_000.0)], {"BTC": 1.0})
    assert settlement_asset(book) == "USDC"
    market = load_sample("10_coin_margined_btc.json")[1]
    after = with_trade(book, make_trade("spot", "BTC", "buy", 0.1, market), market)
    assert after.collateral["USDC"] == pytest.approx(-0.1 * market.prices["BTC"] / market.prices["USDC"])


def test_a_perp_hedge_of_a_naked_long_reduces_risk_and_adding_to_it_does_not():
    book = Portfolio([Perp("BTC", 1.0, 88_000.0)], {"USDT": 20_000.0})
    hedge = incremental_margin(book, make_trade("perp", "BTC", "sell", 0.5, MARKET), MARKET)
    assert hedge.change("portfolio", "maintenance") < 0 and abs(hedge.delta_after) < abs(hedge.delta_before)
    assert hedge.reduces_risk
    more = incremental_margin(book, make_trade("perp", "BTC", "buy", 0.5, MARKET), MARKET)
    assert more.change("portfolio", "maintenance") > 0 and not more.reduces_risk
    # Over-hedging flips the delta to a larger short: not risk-reducing, whatever the margin does.
    flip = incremental_margin(book, make_trade("perp", "BTC", "sell", 2.5, MARKET), MARKET)
    assert abs(flip.delta_after) > abs(flip.delta_before) and not flip.reduces_risk


def test_a_hedge_moves_the_liquidation_price_away():
    book = Portfolio([Perp("BTC", 2.0, 88_000.0)], {"USDT": 20_000.0})
    result = incremental_margin(book, make_trade("perp", "BTC", "sell", 1.0, MARKET), MARKET)
    today = MARKET.prices["BTC"]
    for mode in ("cross", "portfolio"):
        before = nearest_liquidation(result.liquidation_before[mode], today)
        after = nearest_liquidation(result.liquidation_after[mode], today)
        assert before is not None and (after is None or after < before)


@pytest.mark.parametrize(("call", "field"), [
    (lambda: make_trade("perp", "NOPE", "buy", 1.0, MARKET), "trade.asset"),
    (lambda: make_trade("perp", "BTC", "buy", 0.0, MARKET), "trade.size"),
    (lambda: make_trade("perp", "BTC", "buy", float("nan"), MARKET), "trade.size"),
    (lambda: make_trade("perp", "BTC", "buy", -1.0, MARKET), "trade.size"),
    (lambda: make_trade("call", "BTC", "buy", 1.0, MARKET, expiry_days=30), "trade.strike"),
    (lambda: make_trade("put", "BTC", "buy", 1.0, MARKET, strike=80_000.0), "trade.expiry_days"),
    (lambda: make_trade("call", "BTC", "buy", 1.0, MARKET, strike=float("nan"), expiry_days=30), "trade.strike"),
    (lambda: make_trade("future", "BTC", "buy", 1.0, MARKET), "trade.expiry_days"),
    (lambda: make_trade("swap", "BTC", "buy", 1.0, MARKET), "trade.kind"),
    (lambda: make_trade("perp", "BTC", "long", 1.0, MARKET), "trade.side"),
    (lambda: incremental_margin(Portfolio(), Perp("BTC", 0.0, 88_000.0), MARKET), "trade.qty"),
    (lambda: incremental_margin(Portfolio(), Spot("DOGE", 1.0), MARKET), "trade.asset"),
    (lambda: incremental_margin(Portfolio(), "1 BTC", MARKET), "trade"),
])
def test_bad_trades_are_refused_naming_the_field(call, field):
    with pytest.raises(PortfolioError, match=f"^{field.replace('.', '[.]')}"):
        call()


def test_make_trade_enters_at_todays_marks():
    future = make_trade("future", "BTC", "sell", 1.0, MARKET, expiry_days=73)
    assert future.qty == -1.0 and future.entry_price == pytest.approx(88_000.0 * math.exp(0.05 * 0.2))
    inverse = make_trade("inverse perp", "BTC", "buy", 50_000.0, MARKET)
    assert inverse.usd_size == 50_000.0 and inverse.entry_price == 88_000.0


GARBAGE = hst.one_of(hst.none(), hst.booleans(), hst.text(max_size=5), hst.floats(allow_nan=True, allow_infinity=True),
                     hst.integers(-10**30, 10**30), hst.lists(hst.floats(), max_size=2),
                     hst.sampled_from(["BTC", "put", "buy", "perp", "inverse future", 1.0, 30.0, 80_000.0]))


@settings(max_examples=300, deadline=None)
@given(GARBAGE, GARBAGE, GARBAGE, GARBAGE, GARBAGE, GARBAGE)
def test_make_trade_refuses_anything_bad_with_a_portfolio_error(kind, asset, side, size, strike, expiry):
    try:
        trade = make_trade(kind, asset, side, size, MARKET, strike, expiry)
    except PortfolioError:
        return
    result = incremental_margin(Portfolio([Perp("BTC", 1.0, 88_000.0)], {"USDT": 5_000.0}), trade, MARKET,
                                with_liquidation=False)
    assert all(math.isfinite(result.change(mode, "maintenance")) for mode in ("cross", "portfolio"))


def test_buying_back_a_short_option_closes_it_and_reduces_risk():
    """A reduce-only order: buying back the covered call's short calls removes their cross margin (one
    position per instrument) and is risk-reducing, though the book's delta grows (the coins stay)."""
    book, market = load_sample("04_covered_call.json")
    short = book.positions[1]
    back = make_trade("call", short.asset, "buy", abs(short.qty), market, strike=short.strike,
                      expiry_days=short.expiry_days)
    for preset in ("classroom", "deribit"):
        result = incremental_margin(book, back, market, "deribit", preset, with_liquidation=False)
        assert result.closes and result.reduces_risk
        assert result.after["cross"]["initial"] == pytest.approx(0.0, abs=1e-9)
        if preset == "classroom":  # in dollars the coins' delta stays: the book's delta grows as the calls go
            assert abs(result.delta_after) > abs(result.delta_before)
    bigger = make_trade("call", short.asset, "buy", abs(short.qty) * 2, market, strike=short.strike,
                        expiry_days=short.expiry_days)
    assert not incremental_margin(book, bigger, market, with_liquidation=False).closes  # flips to long
    other_strike = make_trade("call", short.asset, "buy", 1.0, market, strike=short.strike + 100,
                              expiry_days=short.expiry_days)
    assert not incremental_margin(book, other_strike, market, with_liquidation=False).closes


def test_under_deribit_coin_balances_are_no_delta_and_a_coin_call_can_be_traded():
    """deribit counts a coin balance as riskless, so the risk test's delta leaves it out: buying back
    sample 11's coin-settled call (a coin call in the ticket) closes it and lowers maintenance."""
    book, market = load_sample("11_deribit_covered_call_btc.json")
    back = make_trade("coin call", "BTC", "buy", 1.0, market, strike=100_000.0, expiry_days=30.0)
    assert back.coin_settled and back.qty == 1.0
    result = incremental_margin(book, back, market, "deribit", "deribit", with_liquidation=False)
    assert result.closes and result.reduces_risk and result.delta_before < 0 and result.delta_after == 0.0
    assert result.change("portfolio", "maintenance") < 0
