"""Payoff: the book's P&L (USD) against the price of one asset, at T+n days and at expiry.

P&L is measured from each position's entry, as a trader's position builder shows it:

* perps, futures and coin-margined contracts: coins x (mark - entry), their mark spot x e^{b T'}
  with T' the years left to expiry (basis b annualised; an inverse contract's coins are face / entry,
  so in USD its P&L is face x (mark / entry - 1));
* options: contracts x (Black-76 value at the price with T' left, vol held - premium paid), the
  premium being the position's ``entry_price`` or, when it has none, today's mark (P&L from now);
* spot holdings and collateral: coins x (price - today's price) (no entry is known).

T' = max(T - n / 365, 0): after its expiry an option is worth its intrinsic value and a future its
spot. ``days_ahead`` = ``math.inf`` is the book at expiry: every option at intrinsic value and every
future at spot. Only ``asset``'s price moves; the other assets stay at today's prices, vols at
today's (:func:`margin.greeks.option_vols`, the scenario grid's). At n = 0 and today's price the P&L
is the book's mark-to-market P&L: the unrealised P&L of its contracts and options.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from margin.book import DAYS_PER_YEAR, book_arrays, market_vectors
from margin.errors import PortfolioError
from margin.greeks import option_vols
from margin.instruments import Option, Portfolio
from margin.liquidation import _trial_prices
from margin.market import Market
from margin.pricing import black76_price

#: The longest look ahead (days) a T+n curve accepts, as the longest expiry a position may have.
MAX_DAYS_AHEAD = 3650.0


def _days(days_ahead: object) -> np.ndarray:
    """``days_ahead`` as a 1-D float array of days (math.inf allowed: at expiry), or PortfolioError."""
    values = np.atleast_1d(np.asarray(days_ahead, dtype=object))
    if values.ndim != 1 or values.size == 0:
        raise PortfolioError("days_ahead: give one or more numbers of days from now, e.g. [0, 7] (inf for expiry).")
    out = np.empty(values.size)
    for index, value in enumerate(values.tolist()):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise PortfolioError(f"days_ahead[{index}]: must be a number of days >= 0 (got {value!r}).")
        number = float(value)
        if math.isnan(number) or number < 0 or (math.isfinite(number) and number > MAX_DAYS_AHEAD):
            raise PortfolioError(f"days_ahead[{index}]: must be from 0 to {MAX_DAYS_AHEAD:g} days, or inf for expiry "
                                 f"(got {value!r}).")
        out[index] = number
    return out


def book_pnl(book: Portfolio, market: Market, asset: str, prices, days_ahead=0.0) -> np.ndarray:
    """P&L (USD) of ``book`` when ``asset`` trades at each of ``prices`` (USD) after each of
    ``days_ahead`` (calendar days; ``math.inf`` = every position at its expiry), shape
    (len(days_ahead), len(prices)). See the module docstring for what is held and what moves.
    Vectorised over prices and days: one Black-76 call for every option at every point.
    """
    if not isinstance(market, Market):
        raise PortfolioError(f"market: expected a Market, got {type(market).__name__}.")
    if not isinstance(asset, str):
        raise PortfolioError(f"asset: must be a ticker such as 'BTC' (got {asset!r}).")
    market.require(asset, "asset")
    prices = _trial_prices(prices)
    days = _days(days_ahead)
    arrays = book_arrays(book, market)
    pnl = np.zeros((days.size, prices.size))
    if arrays.n_assets == 0:
        return pnl
    spots, vols, basis = market_vectors(arrays, market)
    moved = arrays.assets.index(asset) if asset in arrays.assets else -1
    # spot[asset index] at every (day, price): only the chosen asset follows the price axis.
    state = np.broadcast_to(spots, (days.size, prices.size, arrays.n_assets)).copy()
    if moved >= 0:
        state[:, :, moved] = prices[None, :]
    elapsed = days[:, None, None] / DAYS_PER_YEAR  # (D, 1, 1)

    if arrays.lin_qty.size:
        years_left = np.maximum(arrays.lin_years - elapsed, 0.0)  # inf days: 0 (at expiry, mark = spot)
        marks = state[:, :, arrays.lin_asset] * np.exp(basis[arrays.lin_asset] * years_left)
        pnl += (arrays.lin_qty * (marks - arrays.lin_entry)).sum(axis=-1)

    if arrays.opt_qty.size:
        today = black76_price(spots[arrays.opt_asset], arrays.opt_strike, option_vols(arrays, market, spots, vols),
                              arrays.opt_years, arrays.opt_is_call)
        paid = np.array([p.entry_price for p in arrays.positions if isinstance(p, Option)], dtype=float)
        paid = np.where(np.isnan(paid), today, paid)  # None -> NaN: no premium known, P&L from today's mark
        iv = option_vols(arrays, market, state, np.broadcast_to(vols, state.shape))  # at each moved price
        value = black76_price(state[:, :, arrays.opt_asset], arrays.opt_strike, iv,
                              np.maximum(arrays.opt_years - elapsed, 0.0), arrays.opt_is_call)
        pnl += (arrays.opt_qty * (value - paid)).sum(axis=-1)

    if arrays.hold_qty.size:
        pnl += (arrays.hold_qty * (state[:, :, arrays.hold_asset] - spots[arrays.hold_asset])).sum(axis=-1)
    return pnl


def payoff_frame(book: Portfolio, market: Market, asset: str, prices, days_ahead: float = 0.0) -> pd.DataFrame:
    """The payoff chart's data: columns ``price`` (USD), ``pnl_expiry`` (every position at its
    expiry) and ``pnl_now`` (T + ``days_ahead`` days), USD; see :func:`book_pnl`."""
    pnl = book_pnl(book, market, asset, prices, [math.inf, days_ahead])
    return pd.DataFrame({"price": _trial_prices(prices), "pnl_expiry": pnl[0], "pnl_now": pnl[1]})


def mark_to_market_pnl(book: Portfolio, market: Market) -> float:
    """The book's P&L (USD) at today's prices: unrealised P&L of its perps, futures and inverse
    contracts, plus its options' marks minus the premiums paid (0 for options without one)."""
    assets = book_arrays(book, market).assets
    if not assets:
        return 0.0
    asset = assets[0]
    return float(book_pnl(book, market, asset, [market.prices[asset]], 0.0)[0, 0])


def longest_expiry_days(book: Portfolio, asset: str | None = None) -> float:
    """The longest expiry (calendar days) among the options and dated futures of ``book`` (on ``asset``
    only, when given); 0 when there is none."""
    found = [float(p.expiry_days) for p in book.positions
             if hasattr(p, "expiry_days") and (asset is None or p.asset == asset)]
    return max(found, default=0.0)
