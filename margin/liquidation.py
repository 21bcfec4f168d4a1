"""Liquidation prices: where equity meets the mode's maintenance requirement as one price moves.

The requirement is re-evaluated at every trial price (marks, tiers, the whole scenario grid),
so the answer is exact for the model, not a linearisation. Search: scan outward from today's
price over (0, 100 x today's price] on a log grid, then Brent's method inside the first bracket.

Conventions (docs/model.md): the root nearest today's price (in log distance) among the crossings
below and above; today's price when the book is already below maintenance; None when no price
in the range liquidates. ``co_move=True`` moves the other assets with the chosen one by their
correlation-implied beta (S_b' = S_b (P / S_a)^beta_b, beta_b = rho_ab vol_b / vol_a).
``spot_vol_elasticity`` k >= 0 lets volatility rise as the price falls: vol' = vol (P / S_a)^-k
for every asset (the "leverage effect"); 0 keeps vols fixed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from margin.book import BookArrays, book_arrays, equity_parts, market_vectors
from margin.cross import cross_arrays, isolated_arrays
from margin.errors import PortfolioError
from margin.instruments import Portfolio
from margin.market import Market
from margin.portfolio import maintenance_at_states
from margin.presets import cross_params, portfolio_params

MODES = ("cross", "isolated", "portfolio")
_UPPER_MULTIPLE = 100.0
_LOWER_MULTIPLE = 1e-6
_SCAN_POINTS = 240


def _check(asset: object, mode: object, market: Market, elasticity: float, co_move: object = False) -> None:
    if not isinstance(co_move, (bool, np.bool_)):
        raise PortfolioError(f"co_move: must be True or False (got {_show(co_move)}).")
    if not isinstance(mode, str) or mode not in MODES:
        raise PortfolioError(f"mode: must be one of {', '.join(MODES)} (got {_show(mode)}).")
    if not isinstance(asset, str):
        raise PortfolioError(f"asset: must be a ticker such as 'BTC' (got {_show(asset)}).")
    if not isinstance(market, Market):
        raise PortfolioError(f"market: expected a Market, got {type(market).__name__}.")
    market.require(asset, "asset")
    if (isinstance(elasticity, (bool, np.bool_)) or not isinstance(elasticity, (int, float, np.integer, np.floating))
            or not 0 <= elasticity <= 10):
        raise PortfolioError(f"spot_vol_elasticity: must be a number between 0 and 10, e.g. 0.5 (got {_show(elasticity)}).")


def _show(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _trial_prices(prices: object) -> np.ndarray:
    """margin_curves' trial prices as a 1-D float array, or PortfolioError saying what is wrong."""
    fix = "give a non-empty list of positive trial prices in USD, e.g. [80000, 88000, 96000]"
    if isinstance(prices, (str, bytes, Mapping)) or not isinstance(prices, (list, tuple, np.ndarray, pd.Series, range)):
        raise PortfolioError(f"prices: {fix} (got {_show(prices)}).")
    if isinstance(prices, np.ndarray) and prices.ndim == 1 and prices.dtype.kind in "iuf" and prices.size:
        out = prices.astype(float)
        bad = np.flatnonzero(~np.isfinite(out) | (out <= 0))
        if bad.size:
            raise PortfolioError(f"prices[{bad[0]}]: must be a finite price above 0; {fix} (got {float(out[bad[0]])!r}).")
        return out
    if isinstance(prices, np.ndarray) and prices.ndim != 1:
        raise PortfolioError(f"prices: {fix} (got an array of shape {prices.shape}).")
    values = list(prices.tolist() if isinstance(prices, (np.ndarray, pd.Series)) else prices)
    if not values:
        raise PortfolioError(f"prices: {fix} (got an empty list).")
    out = np.empty(len(values))
    for index, value in enumerate(values):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise PortfolioError(f"prices[{index}]: must be a number; {fix} (got {_show(value)}).")
        try:
            out[index] = float(value)
        except OverflowError:
            out[index] = math.inf
        if not math.isfinite(out[index]) or out[index] <= 0:
            raise PortfolioError(f"prices[{index}]: must be a finite price above 0; {fix} (got {_show(value)}).")
    return out


class _Evaluator:
    """Equity and maintenance of one book under one mode at arrays of trial prices of one asset."""

    def __init__(self, book: Portfolio, market: Market, asset: str, mode: str, params, co_move: bool,
                 spot_vol_elasticity: float) -> None:
        _check(asset, mode, market, spot_vol_elasticity, co_move)
        self.mode = mode
        self.arrays: BookArrays = book_arrays(book, market)
        self.spots, self.vols, self.basis = market_vectors(self.arrays, market)
        self.smile = market.smile_array(self.arrays.assets)
        self.present = asset in self.arrays.assets
        self.today = float(market.prices[asset])
        self.elasticity = float(spot_vol_elasticity)
        self.rules = portfolio_params(params) if mode == "portfolio" else cross_params(params)
        assets = list(self.arrays.assets)
        self.correlation = market.correlation_array(assets) if assets else np.eye(0)
        self.asset_index = assets.index(asset) if self.present else -1
        self.betas = np.zeros(len(assets))
        if self.present:
            self.betas[self.asset_index] = 1.0
            if co_move:
                a = self.asset_index
                self.betas = self.correlation[a] * self.vols / self.vols[a]
        if mode == "isolated":
            isolated_arrays(self.arrays, self.rules, asset, self.spots[None, :], self.basis)  # validates
        self.asset = asset

    def states(self, prices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ratio = np.asarray(prices, dtype=float)[:, None] / self.today
        spots = self.spots[None, :] * ratio**self.betas[None, :]
        vols = self.vols[None, :] * ratio ** (-self.elasticity) * np.ones_like(spots)
        return spots, vols

    def __call__(self, prices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(equity, maintenance) in USD at each trial price."""
        prices = np.atleast_1d(np.asarray(prices, dtype=float))
        if not self.present or self.arrays.n_assets == 0:
            zeros = np.zeros(prices.size)
            return zeros, zeros
        spots, vols = self.states(prices)
        if self.mode == "cross":
            parts = cross_arrays(self.arrays, self.rules, spots, vols, self.basis, self.smile)
            return parts["equity"], parts["maintenance"]
        if self.mode == "isolated":
            parts = isolated_arrays(self.arrays, self.rules, self.asset, spots, self.basis)
            return parts["equity"], parts["maintenance"]
        haircut = np.array([self.rules.haircut(self.arrays.assets[a]) for a in self.arrays.hold_asset])
        equity = equity_parts(self.arrays, spots, vols, self.basis, haircut, self.smile)["equity"]
        maintenance = maintenance_at_states(self.arrays, spots, vols, self.basis, self.rules, self.correlation,
                                            self.smile)
        return equity, maintenance

    def excess(self, prices: np.ndarray) -> np.ndarray:
        equity, maintenance = self(prices)
        return equity - maintenance


def _first_crossing(excess: Callable[[np.ndarray], np.ndarray], grid: np.ndarray, chunk: int) -> tuple | None:
    """The first pair (inside, outside) along ``grid`` where excess turns negative."""
    previous_price, _previous_value = None, None
    for start in range(0, grid.size, chunk):
        block = grid[start : start + chunk]
        values = excess(block)
        for price, value in zip(block, values, strict=True):
            if value < 0:
                return previous_price, price
            previous_price, _previous_value = price, value
    return None


def _scan_grids(today: float, points: int) -> tuple[np.ndarray, np.ndarray]:
    below = today * np.exp(-np.geomspace(1e-3, -math.log(_LOWER_MULTIPLE), points))
    above = today * np.exp(np.geomspace(1e-3, math.log(_UPPER_MULTIPLE), points // 2))
    return below, above


def liquidation_prices(
    book: Portfolio, market: Market, asset: str, mode: str = "cross", params=None, co_move: bool = False,
    spot_vol_elasticity: float = 0.0,
) -> dict[str, float | None]:
    """Both liquidation prices (USD): the nearest crossing below and above today's price.

    Returns {"below": price or None, "above": price or None, "already": bool}. See
    :func:`liquidation_price` for the arguments.
    """
    evaluator = _Evaluator(book, market, asset, mode, params, co_move, spot_vol_elasticity)
    today = evaluator.today
    if float(evaluator.excess(np.array([today]))[0]) < 0:
        return {"below": today, "above": today, "already": True}
    # Every mode prices the whole scan in one vectorised call; Brent's method then finds the exact
    # root inside the first bracket.
    points = chunk = _SCAN_POINTS
    result: dict[str, float | None] = {"below": None, "above": None, "already": False}
    for side, grid in zip(("below", "above"), _scan_grids(today, points), strict=True):
        crossing = _first_crossing(evaluator.excess, grid, chunk)
        if crossing is None:
            continue
        inside, outside = crossing
        inside = today if inside is None else inside

        def scalar(price: float) -> float:
            return float(evaluator.excess(np.array([price]))[0])

        low, high = sorted((inside, outside))
        result[side] = float(brentq(scalar, low, high, xtol=1e-12 * today, rtol=1e-12, maxiter=200))
    return result


def liquidation_price(
    book: Portfolio, market: Market, asset: str, mode: str = "cross", params=None, co_move: bool = False,
    spot_vol_elasticity: float = 0.0,
) -> float | None:
    """The price of ``asset`` (USD) at which equity equals the mode's maintenance requirement.

    Args:
        book, market: the Portfolio and the Market.
        asset: the asset whose price moves (others held, or following by beta with ``co_move``).
        mode: "cross", "isolated" (the perps/futures on ``asset`` as a sub-account holding their
            isolated margin) or "portfolio".
        params: the mode's rule set (preset name or params object; None for the default).
        co_move: move the other assets by correlation-implied beta.
        spot_vol_elasticity: vol rises as price falls, vol' = vol (P/S)^-k (0 = fixed vols).

    Returns the crossing nearest today's price; today's price if already below maintenance;
    None if no price in (0, 100 x today] liquidates.

    Example: Hyperliquid's published isolated formula, liq = P - side x margin_available /
    size / (1 - l x side), is what this search returns for a single isolated perp.
    """
    found = liquidation_prices(book, market, asset, mode, params, co_move, spot_vol_elasticity)
    if found["already"]:
        return found["below"]
    today = float(market.prices[asset])
    candidates = [p for p in (found["below"], found["above"]) if p is not None]
    if not candidates:
        return None
    return min(candidates, key=lambda p: abs(math.log(p / today)))


def margin_curves(
    book: Portfolio, market: Market, asset: str, prices: np.ndarray, modes: tuple[str, ...] = ("cross", "portfolio"),
    params: dict | None = None, co_move: bool = False, spot_vol_elasticity: float = 0.0,
) -> pd.DataFrame:
    """Equity and maintenance (USD) of each mode at each trial price of ``asset``, for charts.

    ``params`` maps a mode to its rule set. Columns: price, equity_<mode>, maintenance_<mode>.
    """
    prices = _trial_prices(prices)
    if isinstance(modes, (str, bytes)) or not isinstance(modes, (list, tuple)):
        raise PortfolioError(f"modes: must be a list of modes such as ['cross', 'portfolio'] (got {_show(modes)}).")
    for mode in modes:
        if not isinstance(mode, str) or mode not in MODES:
            raise PortfolioError(f"modes: each must be one of {', '.join(MODES)} (got {_show(mode)}).")
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise PortfolioError(
            f"params: must map a mode to its rule set, e.g. {{'cross': 'binance'}} (got {_show(params)})."
        )
    unknown = [key for key in params if not isinstance(key, str) or key not in MODES]
    if unknown:
        raise PortfolioError(f"params: {_show(unknown[0])} is not a mode; use keys among {', '.join(MODES)}.")
    if not isinstance(co_move, (bool, np.bool_)):
        raise PortfolioError(f"co_move: must be True or False (got {_show(co_move)}).")
    frame = pd.DataFrame({"price": prices})
    for mode in modes:
        evaluator = _Evaluator(book, market, asset, mode, params.get(mode), co_move, spot_vol_elasticity)
        equity, maintenance = evaluator(prices)
        frame[f"equity_{mode}"] = equity
        frame[f"maintenance_{mode}"] = maintenance
    return frame
