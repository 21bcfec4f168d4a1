"""Cross-unit offsets: signed joint scenarios on the correlation ellipsoid, revalued in full.

Moves are measured in each unit's own scan range (z_u = move_u / R_u, so z = 1 is a "range-sized"
move for every unit). The joint scenarios are points z = t d along directions d on the ellipsoid
{rho^(1/2) y : |y| <= 1}, where every unit's marginal move stays within its range (|z_u| <= 1):

* each exposed unit a *driving*: d_u = rho_ua (a moves its full range, every other unit follows
  by its correlation with a, its conditional expectation under joint normality);
* the *linear-worst* direction d* = -rho e / sqrt(e' rho e), where e_u = (P_u(+R_u) - P_u(-R_u)) / 2
  is unit u's signed gain on a full-range rise at vol flat. For a linear book (P_u(z R_u) = e_u z)
  the worst point of the whole ellipsoid is exactly t = 1 along d*, losing sqrt(e' rho e): the
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

:func:`joint_scenarios` prices every state and correlation matrix of a sweep or liquidation curve
in one pass; :mod:`margin.reference` holds the same model as slow loops.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    loss (USD, >= 0) before the cap at the segregated sum.
    """

    exposed: np.ndarray
    directions: np.ndarray
    pnl_grid: np.ndarray
    pnl_extreme: np.ndarray
    loss: np.ndarray


def signed_gains(own: np.ndarray, steps: int) -> np.ndarray:
    """e_u = (P_u(+R) - P_u(-R)) / 2 at vol flat (USD), from each unit's own P&L ``own`` (..., U,
    steps + 2, 3) at its grid moves (-1 .. +1 ranges) then the extremes."""
    return (own[..., steps - 1, 1] - own[..., 0, 1]) / 2.0


def directions(rho: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Scenario directions (S, K, J + 1, J) in range units: J drivers, then the linear-worst one.

    ``rho`` (K, J, J): correlations of the exposed units; ``gains`` (S, J): their e_u (USD).
    """
    n_states, n_corr, n_units = gains.shape[0], rho.shape[0], rho.shape[1]
    rho_e = np.einsum("kij,sj->ski", rho, gains)  # (S, K, J)
    norm = np.sqrt(np.maximum(np.einsum("sj,skj->sk", gains, rho_e), 0.0))
    scale = np.maximum(norm, DIRECTION_EPSILON * np.abs(gains).sum(axis=1)[:, None])
    worst = np.divide(-rho_e, scale[..., None], out=np.zeros_like(rho_e), where=scale[..., None] > 0)
    drivers = np.broadcast_to(rho[None], (n_states, n_corr, n_units, n_units))
    return np.concatenate([drivers, worst[:, :, None, :]], axis=2)


def joint_scenarios(units: UnitSet, own: np.ndarray, rho: np.ndarray, params: PortfolioParams) -> JointScenarios | None:
    """Price the joint scenarios of every state of ``units`` under every matrix of ``rho``.

    ``units``: S states x U units (:func:`margin.units.unit_sets`); ``own`` (S, U, steps + 2, 3):
    each unit's own P&L; ``rho`` (K, U, U): the units' correlation matrices. Returns None when
    fewer than two units are exposed (no offset is possible).
    """
    n_states, n_units, steps = units.n_states, units.units_per_state, params.price_steps
    exposed = np.flatnonzero(units.exposed[:n_units])
    if exposed.size < 2:
        return None
    rho_exposed = rho[:, exposed][:, :, exposed]
    gains = signed_gains(own[:, exposed], steps)
    way = directions(rho_exposed, gains)  # (S, K, D, J)
    n_corr, n_dirs = way.shape[1], way.shape[2]
    steps_along = np.concatenate([np.linspace(-1.0, 1.0, steps), [-params.extreme_multiple, params.extreme_multiple]])
    ranges = units.scan_range.reshape(n_states, n_units)[:, exposed]  # (S, J)
    # moves[s, j, k, d, t] = t x d_j x R_j, one row per (state, unit): every unit of every state
    # is revalued once for all matrices, directions and points.
    moves = np.zeros((n_states, n_units, n_corr, n_dirs, steps_along.size))
    moves[:, exposed] = (way.transpose(0, 3, 1, 2)[..., None] * steps_along * ranges[:, :, None, None, None])
    pnl = units.revalue(moves.reshape(n_states * n_units, -1)).reshape(
        n_states, n_units, n_corr, n_dirs, steps_along.size, 3)[:, exposed].sum(axis=1)
    pnl_grid, pnl_extreme = pnl[..., :steps, :], pnl[..., steps:, 1]
    columns = _state_columns(params)
    grid_loss = np.maximum(-pnl_grid[..., columns].min(axis=(2, 3, 4)), 0.0)
    extreme_loss = params.extreme_fraction * np.maximum(-pnl_extreme.min(axis=(2, 3)), 0.0)
    return JointScenarios(exposed=exposed, directions=way, pnl_grid=pnl_grid, pnl_extreme=pnl_extreme,
                          loss=np.maximum(grid_loss, extreme_loss))


def _state_columns(params: PortfolioParams) -> list[int]:
    """The vol-state columns (of up, flat, down) the rule set scans."""
    return [("up", "flat", "down").index(s) for s in params.vol_states]
