"""The workbench's sentences say what the numbers beside them say (both found wrong by a user walk).

The greeks sentence (views.workbench.read_greeks): the dollar delta
rises with long gamma and falls with short gamma, from its value to that value plus the 1 % gamma, and is
"larger" or "smaller in size" only when it keeps its sign and its size moves that way. (It once said a
dollar delta of -$8,544 "shrinks" when a 1 % rise takes it to -$14,366.) The ticket's liquidation sentence
(views.workbench.read_liquidation_change): an account already below maintenance is said so, not given a
liquidation price that "stays at" today's price."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings

from margin import Portfolio
from margin.greeks import book_greeks
from tests.books import MARKET, positions
from views.samples import load_sample, sample_names
from views.text import is_zero, money
from views.workbench import read_greeks


def _check(book, market) -> None:
    greeks = book_greeks(book, market)
    sentence = read_greeks(greeks)
    before, gamma = greeks.book["delta_usd"], greeks.book["gamma_usd_1pct"]
    if greeks.units.empty or is_zero(gamma):
        assert "dollar delta" not in sentence
        return
    after = before + gamma
    verb = "rises" if gamma > 0 else "falls"
    assert (f"its dollar delta {verb} by about {money(abs(gamma))} ({'long' if gamma > 0 else 'short'} gamma), "
            f"from {money(before)} to about {money(after)}") in sentence
    size = re.search(r"(larger|smaller) in size", sentence)
    if before * after <= 0 or is_zero(abs(after) - abs(before)):
        assert size is None
    else:
        assert size is not None and size.group(1) == ("larger" if abs(after) > abs(before) else "smaller")


@pytest.mark.parametrize("name", sample_names())
def test_the_greeks_sentence_on_every_sample(name):
    book, market = load_sample(name)
    _check(book, market)


def test_the_short_strangle_reads_falls_and_larger_in_size():
    book, market = load_sample("05_short_strangle.json")
    sentence = read_greeks(book_greeks(book, market))
    assert "falls by about" in sentence and "larger in size" in sentence and "shrinks" not in sentence


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(positions(6))
def test_the_greeks_sentence_on_random_books(items):
    _check(Portfolio(items, {"USDT": 10_000}), MARKET)


# -- the ticket's liquidation sentence when the account is already below maintenance ----------------------
def _ticket(book, market):
    from margin.whatif import incremental_margin, make_trade
    from views.rules import portfolio_rules

    trade = make_trade("put", "BTC", "buy", 1.0, market, 79_000.0, 30.0)
    return incremental_margin(book, trade, market, "hyperliquid", portfolio_rules("classroom"))


def test_an_account_already_below_maintenance_is_said_so_not_a_liquidation_price_that_stays_at_today():
    """The user walk: a short strangle sized up to 5.94 BTC a leg is liquidatable at today's price under both
    modes; the ticket said "the cross margin liquidation price stays at $87,960" (today's price)."""
    import dataclasses

    from views.workbench import read_liquidation_change

    book, market = load_sample("05_short_strangle.json")
    big = dataclasses.replace(book, positions=tuple(dataclasses.replace(p, qty=5.94 * p.qty / abs(p.qty))
                                                    for p in book.positions))
    result = _ticket(big, market)
    assert all(result.liquidation_before[m]["already"] and result.liquidation_after[m]["already"]
               for m in ("cross", "portfolio"))
    sentence = read_liquidation_change(result, market.prices["BTC"])
    assert "stays at" not in sentence and "As BTC moves alone" not in sentence
    assert sentence.count("already below maintenance at today's price, before and after the trade") == 2


@pytest.mark.parametrize(("before", "after", "words"), [
    (True, False, "lifts the account above maintenance at today's price"),
    (False, True, "would put the account below maintenance at today's price"),
])
def test_a_trade_that_crosses_maintenance_says_which_way(before, after, words):
    import dataclasses

    from views.workbench import read_liquidation_change

    book, market = load_sample("05_short_strangle.json")
    result = _ticket(book, market)
    today = market.prices["BTC"]
    flagged = {m: {"below": today, "above": today, "already": True} for m in ("cross", "portfolio")}
    result = dataclasses.replace(result, liquidation_before=flagged if before else result.liquidation_before,
                                 liquidation_after=flagged if after else result.liquidation_after)
    sentence = read_liquidation_change(result, today)
    assert sentence.count(words) == 2 and "stays at" not in sentence


# -- the payoff sentence: its best and worst at expiry, and where, are the payoff's own -----------------
def _payoff_reading(book, market):
    import numpy as np

    from margin.payoff import payoff_frame
    from ui.workbench import payoff
    from views.workbench import read_payoff

    today = float(market.prices["BTC"])
    frame = payoff(book, market, "BTC", 0.0, 0.6, 1.4)
    # The reference: a fine grid with the strikes on it (the expiry payoff is linear between strikes).
    strikes = [p.strike for p in book.positions if getattr(p, "strike", None)]
    grid = np.unique(np.concatenate([today * np.linspace(0.6, 1.4, 40_001), strikes]))
    grid = grid[(grid >= 0.6 * today) & (grid <= 1.4 * today)]
    fine = payoff_frame(book, market, "BTC", grid, 0.0)["pnl_expiry"]
    return read_payoff(frame, "BTC", today, 0), float(fine.max()), float(fine.min())


def test_the_payoff_reading_names_the_strikes_a_flat_top_runs_between():
    book, market = load_sample("05_short_strangle.json")
    sentence, best, _ = _payoff_reading(book, market)
    assert f"to {money(best)} (from $76,000 to $100,000)" in sentence, sentence


def test_the_payoff_reading_finds_a_peak_at_a_strike():
    """The user walk: the short strangle at 2.05 BTC a leg with a bought 79,000 put (60 days) peaks at the
    76,000 strike; the sentence said "$1,015 (at $75,894)", a grid point beside it."""
    import dataclasses

    from margin.whatif import make_trade, with_trade

    book, market = load_sample("05_short_strangle.json")
    book = dataclasses.replace(book, positions=tuple(dataclasses.replace(p, qty=2.05 * p.qty / abs(p.qty))
                                                     for p in book.positions))
    book = with_trade(book, make_trade("put", "BTC", "buy", 1.0, market, 79_000.0, 60.0), market)
    sentence, best, worst = _payoff_reading(book, market)
    assert f"to {money(best)} (at $76,000)" in sentence, (sentence, best)
    assert money(worst) in sentence
