"""Greeks of a book: per position, per risk unit (one underlying) and for the whole book.

The sensitivities of the book's market value in USD to each underlying's spot price, its implied
volatility and the passing of time, from the engine's own Black-76 (``margin/pricing.py``, r = 0,
forward = spot: the convention of docs/model.md) at the volatility the scenario grid prices each
option with (:func:`option_vols`). So delta and gamma are the first and second derivatives, at a
move of zero, of the P&L the portfolio engine's scenario grid revalues (``UnitSet.revalue``, vol
flat); tests/test_greeks.py holds them to finite differences of that revaluation.

Units, per row:

* ``delta_coins``: d value / d spot, in coins of the underlying (a long 1 BTC perp: 1.0);
* ``delta_usd``: delta_coins x spot, USD per 100 % move (what 1 % moves: a hundredth of it);
* ``gamma``: d delta_coins / d spot, coins per USD of the underlying's price;
* ``gamma_usd_1pct``: gamma x spot^2 / 100, the change of ``delta_usd`` when the price rises 1 %;
* ``vega_usd``: d value / d vol per one volatility point (0.01 of annualised vol), USD;
* ``theta_usd``: value change per calendar day passing, prices held, USD (negative for long options;
  a dated future rolls down its basis, spot x (e^{b T} - e^{b (T - 1/365)}) per coin).

Linear contracts: a perp or spot holding has delta = its coins and no other greek; a future
delta = coins x e^{b T} (its mark is spot x e^{b T}, basis b annualised). A coin-margined (inverse)
contract's USD value is face x (mark / entry - 1) (``margin/instruments.py``): delta
face / entry x e^{b T} coins, linear in USD. (Under a rule set that measures risk in the settlement
coin, ``inverse_risk_in_coin`` (the deribit preset), the grid's P&L of coin-settled contracts and
coin balances is in the coin at today's index, not in USD: these greeks are of the USD value, the
slopes of every other rule set's grid.)

Stablecoins are the account's numeraire: their holdings carry no greek here, as they are no risk
unit of portfolio margin (their risk is the depeg add-on). Collateral counts like a spot holding
(its market value, before any haircut).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from margin.book import DAYS_PER_YEAR, BookArrays, book_arrays, market_vectors
from margin.book import option_vols as book_option_vols
from margin.instruments import Portfolio, Spot, describe
from margin.market import Market, is_stablecoin
from margin.pricing import black76_delta, black76_gamma, black76_theta, black76_vega

#: The columns of every greeks table, in order (units: see the module docstring).
GREEK_COLUMNS = ("delta_coins", "delta_usd", "gamma", "gamma_usd_1pct", "vega_usd", "theta_usd")
#: One volatility point: vega is quoted per 0.01 of annualised volatility.
VOL_POINT = 0.01


def option_vols(arrays: BookArrays, market: Market, spots: np.ndarray, vols: np.ndarray) -> np.ndarray:
    """The annualised implied vol (fraction) of each option of ``arrays``, shape (..., n_options), with
    the underlyings at ``spots`` (..., A) and at-the-money vols ``vols`` (..., A) of ``market``, both
    aligned with ``arrays.assets``: the engine's one per-option vol (:func:`margin.book.option_vols`,
    the market's smile at each option's strike and expiry), which the scenario grid holds through its
    moves (sticky strike). The greeks, the payoff and the trade ticket's premium all read it.
    """
    return book_option_vols(arrays, np.asarray(spots, dtype=float), np.asarray(vols, dtype=float),
                            market.smile_array(arrays.assets))


@dataclass(frozen=True)
class Greeks:
    """A book's greeks (see the module docstring for units).

    Attributes:
        positions: a row per position with a market sensitivity (option, perp, future, inverse
            contract, non-stablecoin spot holding) and per non-stablecoin collateral balance:
            ``position`` (its label), ``index`` (its row in the book; -1 for collateral), ``asset``,
            ``spot`` (USD), then :data:`GREEK_COLUMNS`.
        units: a row per underlying (risk unit), the positions' sums, in the book's asset order.
        book: the book's totals of what adds up across underlyings (``delta_usd``,
            ``gamma_usd_1pct``, ``vega_usd``, ``theta_usd``); coins of different assets do not add.
    """

    positions: pd.DataFrame
    units: pd.DataFrame
    book: dict[str, float]


def _empty_positions() -> pd.DataFrame:
    return pd.DataFrame({"position": pd.Series(dtype=object), "index": pd.Series(dtype=int),
                         "asset": pd.Series(dtype=object), "spot": pd.Series(dtype=float),
                         **{name: pd.Series(dtype=float) for name in GREEK_COLUMNS}})


def book_greeks(book: Portfolio, market: Market) -> Greeks:
    """Delta (coins and USD), gamma, vega per vol point and theta per day of every position, of
    every underlying and of the whole book, at today's market (USD; see the module docstring).

    Raises PortfolioError when the book or market is invalid or an asset has no price.
    """
    arrays = book_arrays(book, market)
    spots, vols, basis = market_vectors(arrays, market)
    n_assets = arrays.n_assets
    columns: dict[str, list] = {"position": [], "index": [], "asset": []}
    values: list[np.ndarray] = []

    # Perps, futures and inverse contracts: linear in the spot, their mark spot x e^{b T}.
    if arrays.lin_qty.size:
        growth = np.exp(basis[arrays.lin_asset] * arrays.lin_years)
        spot = spots[arrays.lin_asset]
        delta = arrays.lin_qty * growth
        roll = np.exp(basis[arrays.lin_asset] * np.maximum(arrays.lin_years - 1.0 / DAYS_PER_YEAR, 0.0))
        theta = arrays.lin_qty * spot * (roll - growth) + 0.0  # one day less of basis (+ 0.0: no -0.0 for perps)
        zero = np.zeros_like(delta)
        values.append(np.column_stack([delta, delta * spot, zero, zero, zero, theta]))
        _label_rows(columns, arrays, arrays.lin_index, arrays.lin_asset)

    # Options: Black-76 on the spot (r = 0) at the vol the scenario grid uses.
    if arrays.opt_qty.size:
        spot = spots[arrays.opt_asset]
        iv = option_vols(arrays, market, spots, vols)
        qty = arrays.opt_qty
        delta = qty * black76_delta(spot, arrays.opt_strike, iv, arrays.opt_years, arrays.opt_is_call)
        gamma = qty * black76_gamma(spot, arrays.opt_strike, iv, arrays.opt_years)
        vega = qty * black76_vega(spot, arrays.opt_strike, iv, arrays.opt_years) * VOL_POINT
        theta = qty * black76_theta(spot, arrays.opt_strike, iv, arrays.opt_years, arrays.opt_is_call) / DAYS_PER_YEAR
        values.append(np.column_stack([delta, delta * spot, gamma, gamma * spot**2 / 100.0, vega, theta]))
        _label_rows(columns, arrays, arrays.opt_index, arrays.opt_asset)

    # Spot holdings (positions) and collateral balances: one coin of delta per coin held.
    where = {asset: a for a, asset in enumerate(arrays.assets)}
    held = [(i, p.asset, p.qty, describe(p)) for i, p in enumerate(book.positions)
            if isinstance(p, Spot) and not is_stablecoin(p.asset) and p.qty != 0]
    held += [(-1, asset, qty, f"Collateral {qty:,.6g} {asset}") for asset, qty in book.collateral.items()
             if not is_stablecoin(asset) and qty != 0]
    if held:
        assets = np.array([where[asset] for _, asset, _, _ in held], dtype=int)
        qty = np.array([q for _, _, q, _ in held], dtype=float)
        zero = np.zeros_like(qty)
        values.append(np.column_stack([qty, qty * spots[assets], zero, zero, zero, zero]))
        columns["position"] += [label for *_, label in held]
        columns["index"] += [i for i, *_ in held]
        columns["asset"] += [arrays.assets[a] for a in assets]

    if not values:
        return Greeks(_empty_positions(), _units_frame(_empty_positions(), arrays, spots), _totals(_empty_positions()))
    table = pd.DataFrame(columns)
    table["spot"] = [float(spots[where[asset]]) for asset in table["asset"]]
    table[list(GREEK_COLUMNS)] = np.vstack(values)
    # Book order: positions by row, collateral after them.
    table = table.assign(_order=np.where(table["index"] < 0, n_assets + len(book.positions), table["index"]))
    table = table.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    return Greeks(table, _units_frame(table, arrays, spots), _totals(table))


def _label_rows(columns: dict[str, list], arrays: BookArrays, index: np.ndarray, asset: np.ndarray) -> None:
    columns["position"] += [arrays.labels[i] for i in index.tolist()]
    columns["index"] += index.tolist()
    columns["asset"] += [arrays.assets[a] for a in asset.tolist()]


def _units_frame(positions: pd.DataFrame, arrays: BookArrays, spots: np.ndarray) -> pd.DataFrame:
    """A row per underlying that has a greek row, in the book's asset order: the positions' sums."""
    order = [a for a in arrays.assets if (positions["asset"] == a).any()]
    sums = positions.groupby("asset", sort=False)[list(GREEK_COLUMNS)].sum().reindex(order)
    frame = sums.reset_index().rename(columns={"index": "asset"})
    frame.insert(1, "spot", [float(spots[arrays.assets.index(a)]) for a in order])
    return frame


def _totals(positions: pd.DataFrame) -> dict[str, float]:
    return {name: float(positions[name].sum()) for name in ("delta_usd", "gamma_usd_1pct", "vega_usd", "theta_usd")}


def unit_delta_coins(book: Portfolio, market: Market, asset: str) -> float:
    """The book's delta on ``asset`` in coins (0.0 when the book holds nothing on it): its row of
    :func:`book_greeks`'s ``units``, summed from the arrays alone.

    The trade ticket asks for it twice on every move of the book (before and after the trade); the
    greeks table around it (labels, pandas frames) cost ~3 ms a call, this a tenth of that.
    tests/test_greeks.py holds the two equal on random books.
    """
    arrays = book_arrays(book, market)
    if asset not in arrays.assets:
        return 0.0
    a = arrays.assets.index(asset)
    spots, vols, basis = market_vectors(arrays, market)
    delta = 0.0
    linear = arrays.lin_asset == a
    if linear.any():  # a future's mark is spot x e^{b T}: coins x e^{b T}
        delta += float(np.sum(arrays.lin_qty[linear] * np.exp(basis[a] * arrays.lin_years[linear])))
    options = arrays.opt_asset == a
    if options.any():
        iv = option_vols(arrays, market, spots, vols)[options]
        delta += float(np.sum(arrays.opt_qty[options] * black76_delta(
            spots[a], arrays.opt_strike[options], iv, arrays.opt_years[options], arrays.opt_is_call[options])))
    if not is_stablecoin(asset):  # coins held, as positions or collateral: one coin of delta each
        delta += sum(p.qty for p in book.positions if isinstance(p, Spot) and p.asset == asset)
        delta += float(book.collateral.get(asset, 0.0))
    return delta
