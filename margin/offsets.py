"""Cross-unit offsets: signed joint scenarios on the correlation ellipsoid, revalued in full.

Moves are measured in each unit's own scan range (z_u = move_u / R_u, so z = 1 is a "range-sized"
move for every unit). The joint scenarios are points z = t d along directions d on the ellipsoid
{rho^(1/2) y : |y| <= 1}, where every unit's marginal move stays within its range (|z_u| <= 1):

* each exposed unit a *driving*: d_u = rho_ua (a moves its full range, every other unit follows
  by its correlation with a, its conditional expectation under joint normality);
* the *linear-worst* direction d* = -rho e / sqrt(e' rho e), where e_u = delta_u x R_u is unit u's
  delta (USD per unit relative move: linear positions, and options' Black-76 delta at vol flat)
  times its range. For a linear book (P_u(z R_u) = e_u z) the worst point of the whole ellipsoid is
  exactly t = 1 along d*, losing sqrt(e' rho e): the
  range-scaled joint-normal figure, with signs (a long BTC / short ETH pair nets out when they
  move together). No driver can lose more on a linear book (Cauchy-Schwarz in the rho inner
  product), so the figure is exact for any number of units;

t runs over the grid's points of [-1, 1] (so every direction is also scanned the other way) in
every vol state, all units in the same state, and over +/- the extreme multiple (vol flat,
counted at the extreme fraction), exactly as a unit alone is scanned. Every unit is revalued in
full (Black-76), not by greeks. The joint loss is the worst scenario, capped at the segregated sum
of units alone (an offset can only lower a requirement).

Why these directions, and not the principal axes of rho: drivers and d* move continuously with
rho (eigenvectors jump where eigenvalues meet, as they do for the identity and any
equicorrelation matrix), every point lies on the ellipsoid, and a driver scenario reads plainly
("BTC -16 %, the others following by correlation"). Only *exposed* units (a net linear position
or a net option contract) drive or enter e, so a position of size zero or a unit whose positions
cancel changes no scenario, and hence no requirement and no liquidation price. The earlier
construction, a driver plus independent residual moves of the others, was exact for two units
only: with a third unit driving it treated the other two as independent and dropped their hedge.

Every scenario is known before any pricing (:func:`joint_plan`), so a book is revalued in one pass
for its own grid and every joint scenario of every state and correlation matrix of a sweep or a
liquidation curve; :func:`joint_scenarios` reads the worst of them. :mod:`margin.reference` holds
the same model as slow loops.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from margin.params import PortfolioParams
from margin.units import UnitSet

#: Below this fraction of the units' summed |e|, sqrt(e' rho e) counts as zero: the linear-worst
#: direction then shrinks toward the centre instead of jumping (the same constant as the reference).
DIRECTION_EPSILON = 1e-9


@dataclass(frozen=True)
class JointScenarios:
    """The joint scenarios of S market states x K correlation matrices and their worst losses.

    exposed (J,): the units (indices within a state) that drive and move. directions (S, K, J + 1, J):
    in range units, drivers first (direction j is exposed unit j driving), then d*. pnl_grid (S, K,
    J + 1, steps, 3): the book's P&L (USD) at t = grid points along each direction, per vol state;
    pnl_extreme (S, K, J + 1, 2): at t = -/+ extreme multiple, vol flat. loss (S, K): the worst
    loss (USD, >= 0) before the cap at the segregated sum. worst_grid (S, K, 3): the binding grid
    scenario's (direction, grid point, scanned vol state); worst_extreme (S, K, 2): the binding
    extreme's (direction, -/+). Ties go to d*, then to the first driver, so a linear book, where no
    driver beats d*, names one scenario along a whole sweep.
    """

    exposed: np.ndarray
    directions: np.ndarray
    pnl_grid: np.ndarray
    pnl_extreme: np.ndarray
    loss: np.ndarray
    worst_grid: np.ndarray
    worst_extreme: np.ndarray


def directions(rho: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Scenario directions (S, K, J + 1, J) in range units: J drivers, then the linear-worst one.

    ``rho`` (K, J, J): correlations of the exposed units; ``gains`` (S, J): their e_u (USD).
    """
    n_states, n_corr, n_units = gains.shape[0], rho.shape[0], rho.shape[1]
    way = np.empty((n_states, n_corr, n_units + 1, n_units))
    way[:, :, :n_units] = rho
    rho_e = (rho @ gains.T).transpose(2, 0, 1)  # (S, K, J)
    norm = np.sqrt(np.maximum((rho_e * gains[:, None, :]).sum(axis=2), 0.0))
    scale = np.maximum(norm, DIRECTION_EPSILON * np.abs(gains).sum(axis=1)[:, None])
    # scale is 0 only when every gain is 0: then rho e is 0 too and d* is the centre.
    np.divide(-rho_e, np.where(scale > 0, scale, 1.0)[..., None], out=way[:, :, n_units])
    return way


@dataclass(frozen=True)
class JointPlan:
    """Which units take part in the joint scenarios and along which directions, before pricing.

    exposed (J,): unit indices (within a state); directions (S, K, J + 1, J) in range units;
    moves (S U, K (J + 1) T): every unit's relative price moves, T points per direction (zero for
    units that are not exposed)."""

    exposed: np.ndarray
    directions: np.ndarray
    moves: np.ndarray


def joint_plan(units: UnitSet, rho: np.ndarray, params: PortfolioParams) -> JointPlan | None:
    """The joint scenarios' moves for every state of ``units`` (S x U units) under every matrix of
    ``rho`` (K, U, U), or None when fewer than two units are exposed (no offset is possible).

    e_u = exposure_u x R_u: the unit's delta (linear positions, and options' Black-76 delta at vol
    flat) times its range, so every scenario is known before any pricing and the book is revalued
    in one pass (its own grid beside the joint scenarios). For a linear book e_u is exactly its
    signed gain on a full-range rise."""
    n_states, n_units = units.n_states, units.units_per_state
    exposed = np.flatnonzero(units.exposed[:n_units])
    if exposed.size < 2:
        return None
    ranges = units.scan_range.reshape(n_states, n_units)[:, exposed]  # (S, J)
    gains = units.exposure.reshape(n_states, n_units)[:, exposed] * ranges
    way = directions(rho[:, exposed][:, :, exposed], gains)  # (S, K, D, J)
    n_corr, n_dirs = way.shape[1], way.shape[2]
    points = _points_along(params.price_steps, params.extreme_multiple)
    # moves[s, j, k, d, t] = t x d_j x R_j, one row per (state, unit): every unit of every state is
    # revalued once for all matrices, directions and points.
    moves = np.zeros((n_states, n_units, n_corr, n_dirs, points.size))
    moves[:, exposed] = way.transpose(0, 3, 1, 2)[..., None] * points * ranges[:, :, None, None, None]
    return JointPlan(exposed=exposed, directions=way, moves=moves.reshape(n_states * n_units, -1))


def joint_scenarios(plan: JointPlan, pnl: np.ndarray, units: UnitSet, params: PortfolioParams) -> JointScenarios:
    """The book's worst joint scenario per state and matrix from ``pnl`` (S U, K (J + 1) T, 3): every
    unit's P&L (USD) at :attr:`JointPlan.moves`."""
    n_states, n_units, steps = units.n_states, units.units_per_state, params.price_steps
    n_corr, n_dirs = plan.directions.shape[1], plan.directions.shape[2]
    pnl = pnl.reshape(n_states, n_units, n_corr, n_dirs, steps + 2, 3)[:, plan.exposed].sum(axis=1)
    pnl_grid, pnl_extreme = pnl[..., :steps, :], pnl[..., steps:, 1]
    order = _star_first(n_dirs)  # d* first: ties name the combined move
    grid = pnl_grid[:, :, order][..., _state_columns(params)]
    worst_grid, grid_pnl = _argmin_last(grid.reshape(n_states, n_corr, -1), grid.shape[2:])
    worst_extreme, extreme_pnl = _argmin_last(pnl_extreme[:, :, order].reshape(n_states, n_corr, -1), (n_dirs, 2))
    worst_grid[..., 0], worst_extreme[..., 0] = order[worst_grid[..., 0]], order[worst_extreme[..., 0]]
    loss = np.maximum(np.maximum(-grid_pnl, 0.0), params.extreme_fraction * np.maximum(-extreme_pnl, 0.0))
    return JointScenarios(exposed=plan.exposed, directions=plan.directions, pnl_grid=pnl_grid,
                          pnl_extreme=pnl_extreme, loss=loss, worst_grid=worst_grid, worst_extreme=worst_extreme)


def _argmin_last(values: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Where each row of ``values`` (..., N) is smallest, as indices into ``shape`` (..., len(shape)),
    and the smallest value (...,)."""
    flat = values.argmin(axis=-1)
    index = np.empty(flat.shape + (len(shape),), dtype=int)
    for axis in range(len(shape) - 1, -1, -1):  # np.unravel_index without its stacking overhead
        flat, index[..., axis] = np.divmod(flat, shape[axis])
    return index, values.min(axis=-1)


@lru_cache(maxsize=64)
def _star_first(n_dirs: int) -> np.ndarray:
    """Direction order with d* (the last) first, then the drivers."""
    order = np.concatenate([[n_dirs - 1], np.arange(n_dirs - 1)])
    order.setflags(write=False)
    return order


@lru_cache(maxsize=32)
def _points_along(steps: int, extreme_multiple: float) -> np.ndarray:
    """t along a direction: the grid's points of [-1, 1], then -/+ the extreme multiple."""
    points = np.concatenate([np.linspace(-1.0, 1.0, steps), [-extreme_multiple, extreme_multiple]])
    points.setflags(write=False)
    return points


def _state_columns(params: PortfolioParams) -> list[int]:
    """The vol-state columns (of up, flat, down) the rule set scans."""
    return [("up", "flat", "down").index(s) for s in params.vol_states]
