"""Liquidation prices: where equity meets the mode's maintenance requirement as one price moves.

The requirement is re-evaluated at every trial price (marks, tiers, the whole scenario grid),
so the answer is exact for the model, not a linearisation. Search: the first crossing along a
log grid of trial prices outward from today's over (0, 100 x today's price], then a bracketed root
inside it. Every step prices its trial prices in one vectorised call, both sides at once:

1. today's price and the grid, both sides: every point for cross and isolated (a state costs
   microseconds), every ``_COARSE_STRIDE``-th point for portfolio margin (a state re-prices the
   whole scenario grid, ~0.5 ms on a 200-position book);
2. portfolio margin only: every skipped grid point in the cell that ends at the first negative
   coarse point, and in the two cells around each local minimum of the coarse excess before it
   (a dip that crosses zero between two coarse points shows there as a minimum);
3. Chandrupatla's bracketed root search (Brent's inverse quadratic interpolation with a bisection
   safeguard) inside the first bracket of each side, the sides advancing together, one call per step.

``tests/test_liquidation_search.py`` holds the previous search (every grid point, then scipy's
``brentq`` per side) and checks that this one returns the same prices on every sample under every
rule set and mode and on random books.

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
#: Portfolio margin prices every this-many-th scan point first (tests/test_liquidation_search.py: the
#: same first crossing as pricing every point, on the samples and on random books; 32,000 random
#: cases once, docs/performance.md); other modes price them all.
_COARSE_STRIDE = 6
#: The root search stops when its bracket is this narrow, relative to today's price and to the root.
_ROOT_TOLERANCE = 1e-12
_ROOT_MAX_STEPS = 200


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


def _scan_grids(today: float, points: int) -> tuple[np.ndarray, np.ndarray]:
    """Trial prices (USD) below and above ``today``, nearest first, log-spaced in their log distance."""
    below = today * np.exp(-np.geomspace(1e-3, -math.log(_LOWER_MULTIPLE), points))
    above = today * np.exp(np.geomspace(1e-3, math.log(_UPPER_MULTIPLE), points // 2))
    return below, above


def _coarse_points(size: int, stride: int) -> np.ndarray:
    """Indices of every ``stride``-th of ``size`` grid points, the last one always included."""
    return np.unique(np.append(np.arange(stride - 1, size, stride), size - 1))


def _cells_to_refine(coarse: np.ndarray, values: np.ndarray, today_value: float) -> list[range]:
    """Grid indices to price between coarse points (``coarse``, excess ``values``): the cell that
    ends at the first negative coarse point, and the two cells around every local minimum before it."""
    negative = np.flatnonzero(values < 0)
    stop = int(negative[0]) if negative.size else coarse.size
    before = np.concatenate([[today_value], values])  # before[j] precedes values[j]
    cells = []
    for j in range(min(stop, coarse.size - 1)):
        if values[j] < before[j] and values[j] <= values[j + 1]:
            cells.append(range(coarse[j - 1] + 1 if j > 0 else 0, coarse[j + 1]))
    if negative.size:
        cells.append(range(coarse[stop - 1] + 1 if stop > 0 else 0, coarse[stop]))
    return cells


def _first_brackets(evaluator: _Evaluator, grids: tuple[np.ndarray, ...], stride: int
                    ) -> tuple[float, list[tuple[float, float, float, float] | None]]:
    """Today's excess (USD) and, per grid, its first crossing as (inside, excess there, outside,
    excess there), None when no grid point is negative; priced in at most two calls."""
    known = [np.full(grid.size, np.nan) for grid in grids]
    priced = [np.zeros(grid.size, dtype=bool) for grid in grids]
    chosen = [_coarse_points(grid.size, stride) for grid in grids]

    def price(picks: list[np.ndarray], extra: list[float]) -> np.ndarray:
        values = evaluator.excess(np.concatenate([extra, *(grid[p] for grid, p in zip(grids, picks, strict=True))]))
        offset = len(extra)
        for side, pick in enumerate(picks):
            known[side][pick] = values[offset : offset + pick.size]
            priced[side][pick] = True
            offset += pick.size
        return values[: len(extra)]

    today_value = float(price(chosen, [evaluator.today])[0])
    if today_value < 0:
        return today_value, [None for _ in grids]
    if stride > 1:
        more = []
        for side, coarse in enumerate(chosen):
            cells = _cells_to_refine(coarse, known[side][coarse], today_value)
            wanted = np.zeros(grids[side].size, dtype=bool)
            for cell in cells:
                wanted[cell.start : cell.stop] = True
            more.append(np.flatnonzero(wanted & ~priced[side]))
        if any(pick.size for pick in more):
            price(more, [])
    brackets: list[tuple[float, float, float, float] | None] = []
    for side, grid in enumerate(grids):
        seen = np.flatnonzero(priced[side])
        negative = seen[known[side][seen] < 0]
        if negative.size == 0:
            brackets.append(None)
            continue
        first = int(negative[0])
        inside, inside_value = (evaluator.today, today_value) if first == 0 else (grid[first - 1], known[side][first - 1])
        brackets.append((float(inside), float(inside_value), float(grid[first]), float(known[side][first])))
    return today_value, brackets


def _roots(excess: Callable[[np.ndarray], np.ndarray], brackets: list[tuple[float, float, float, float]],
           scale: float) -> np.ndarray:
    """Roots (USD) of ``excess`` inside each bracket (inside, excess >= 0, outside, excess < 0), all
    brackets advancing together: Chandrupatla's method (T. R. Chandrupatla, "A new hybrid quadratic/
    bisection algorithm for finding the zero of a nonlinear function without using derivatives",
    Advances in Engineering Software 28 (1997) 145-149), one ``excess`` call per step over the
    brackets still open, until a bracket is narrower than ``_ROOT_TOLERANCE`` x (``scale`` + |root|)."""
    a = np.array([b[0] for b in brackets], dtype=float)  # x1: the newest point
    fa = np.array([b[1] for b in brackets], dtype=float)
    b = np.array([b[2] for b in brackets], dtype=float)  # x2: the other end of the bracket
    fb = np.array([b[3] for b in brackets], dtype=float)
    c, fc = b.copy(), fb.copy()  # x3: the point dropped last
    fa = np.where(np.isnan(fa), np.inf, fa)  # a NaN excess is not negative, as in the scan
    root = np.where(fa == 0, a, np.nan)
    open_ = fa != 0
    t = np.full(a.size, 0.5)
    for _ in range(_ROOT_MAX_STEPS):
        if not open_.any():
            break
        idx = np.flatnonzero(open_)
        trial = a[idx] + t[idx] * (b[idx] - a[idx])
        value = excess(trial)
        value = np.where(np.isnan(value), np.inf, value)
        same = np.sign(value) == np.sign(fa[idx])
        # Keep the bracket: the new point replaces the end on its own side.
        c[idx] = np.where(same, a[idx], b[idx])
        fc[idx] = np.where(same, fa[idx], fb[idx])
        b[idx] = np.where(same, b[idx], a[idx])
        fb[idx] = np.where(same, fb[idx], fa[idx])
        a[idx], fa[idx] = trial, value
        best = np.where(np.abs(fa[idx]) < np.abs(fb[idx]), a[idx], b[idx])
        best_value = np.where(np.abs(fa[idx]) < np.abs(fb[idx]), fa[idx], fb[idx])
        width = np.abs(b[idx] - a[idx])
        limit = _ROOT_TOLERANCE * (scale + np.abs(best))
        with np.errstate(divide="ignore", invalid="ignore"):
            floor = np.where(width > 0, limit / width, 1.0)
            done = (floor > 0.5) | (best_value == 0)
            xi = (a[idx] - b[idx]) / (c[idx] - b[idx])
            phi = (fa[idx] - fb[idx]) / (fc[idx] - fb[idx])
            quadratic = (phi**2 < xi) & ((1 - phi) ** 2 < 1 - xi)
            step = (fa[idx] / (fb[idx] - fa[idx]) * fc[idx] / (fb[idx] - fc[idx])
                    + (c[idx] - a[idx]) / (b[idx] - a[idx]) * fa[idx] / (fc[idx] - fa[idx])
                    * fb[idx] / (fc[idx] - fb[idx]))
        step = np.where(quadratic & np.isfinite(step), step, 0.5)
        t[idx] = np.clip(step, floor, 1 - floor)
        root[idx[done]] = best[done]
        open_[idx[done]] = False
    unfinished = np.isnan(root)
    root[unfinished] = np.where(np.abs(fa) < np.abs(fb), a, b)[unfinished]
    return root


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
    grids = _scan_grids(today, _SCAN_POINTS)
    stride = _COARSE_STRIDE if mode == "portfolio" else 1
    today_value, brackets = _first_brackets(evaluator, grids, stride)
    if today_value < 0:
        return {"below": today, "above": today, "already": True}
    result: dict[str, float | None] = {"below": None, "above": None, "already": False}
    found = [(side, bracket) for side, bracket in zip(("below", "above"), brackets, strict=True) if bracket]
    if found:
        roots = _roots(evaluator.excess, [bracket for _, bracket in found], today)
        for (side, _), root in zip(found, roots, strict=True):
            result[side] = float(root)
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
