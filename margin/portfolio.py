"""Portfolio margin: risk units revalued over price x volatility scenarios, plus add-ons.

A *risk unit* is one underlying and everything written on it (spot holdings, perps, futures,
options). Each unit is revalued in full (Black-76, not greeks) on a grid of price moves from
-range to +range in ``price_steps`` even steps, times vol scenarios up / flat / down, where

    vol_up = iv (1 + 0.5 (30/DTE)^p),  vol_down = iv (1 - 0.25 (30/DTE)^p),  p = 0.3 if DTE < 30 else 0.13

and the range responds to volatility: range = max(floor, k x vol x sqrt(horizon_days / 365)).
Extreme moves of +/- (multiple x range), vol flat, count at ``extreme_fraction`` of their loss.

Across units, offsets are *signed* joint scenarios. Moves are measured in each unit's own range
(z = move / range, so z = 1 is a "range-sized" move for every unit). When unit *a* drives with
z, every other unit *b* follows with rho_ab z (its conditional expectation under a Gaussian
copula) and keeps an independent residual of size sqrt(1 - rho_ab^2), whose worst loss is
scanned separately. The joint loss of a scenario is

    sqrt( max(0, -sum_b PnL_b(rho_ab z R_b))^2 + sum_{b != a} residual_loss_b^2 ),

exact for linear books under joint normality (it reproduces sqrt(w' Sigma w) with signs), and
never sqrt(L' rho L) over unsigned losses. The correlated loss is the worst scenario, capped at
the segregated sum (an offset can only lower the requirement). Maintenance = loss + add-ons
(short-option minimum, basis, stablecoin depeg); initial = maintenance x ``im_multiplier``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache, partial

import numpy as np
import pandas as pd

from margin.book import BookArrays, book_arrays, book_equity
from margin.instruments import Portfolio
from margin.market import Market, is_stablecoin
from margin.params import PortfolioParams
from margin.presets import portfolio_params
from margin.pricing import black76_price
from margin.results import MarginResult
from margin.units import RiskUnit, UnitSet, scan_range, shocked_vols, stack, unit_plan, unit_set

__all__ = ["portfolio_margin", "evaluate", "evaluate_vol_states", "maintenance_at_states", "scan_range", "shocked_vols", "RiskUnit"]

VOL_LABELS = {"up": "vol up", "flat": "vol flat", "down": "vol down"}
_ALL_STATES = ("up", "flat", "down")
#: From this many P&L values on, the worst residual loss is a running minimum (_worst_loss_over_moves).
_RUNNING_MIN_FROM = 20_000


def _grid_moves(params: PortfolioParams) -> np.ndarray:
    """The price grid in units of the scan range: -1 .. +1 in ``price_steps`` even steps."""
    return _even_steps(params.price_steps)


@lru_cache(maxsize=32)
def _even_steps(steps: int) -> np.ndarray:
    grid = np.linspace(-1.0, 1.0, steps)
    grid.setflags(write=False)
    return grid


def _extreme_moves(params: PortfolioParams) -> np.ndarray:
    return np.array([-1.0, 1.0]) * params.extreme_multiple


def _state_columns(params: PortfolioParams) -> list[int] | slice:
    """The vol-state columns (of up, flat, down) the rule set scans; all three as a slice, which
    indexes without a copy."""
    if tuple(params.vol_states) == _ALL_STATES:
        return slice(None)
    return [_ALL_STATES.index(s) for s in params.vol_states]


@lru_cache(maxsize=32)
def _joint_template(steps: int, extreme_multiple: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A follower's moves when another unit drives, in units of its own range, before scaling by
    correlation: (grid, grid again for the residual, the two extremes), which of those columns are
    the residual block, and the columns of a unit's own scenarios (grid and extremes)."""
    grid = _even_steps(steps)
    template = np.concatenate([grid, grid, np.array([-1.0, 1.0]) * extreme_multiple])
    residual = np.zeros(template.size, dtype=bool)
    residual[steps : 2 * steps] = True
    own_columns = np.r_[0:steps, 2 * steps : 2 * steps + 2]
    for array in (template, residual, own_columns):
        array.setflags(write=False)
    return template, residual, own_columns


def _fmt_move(move: float) -> str:
    return f"{'+' if move > 0 else '-' if move < 0 else '±'}{abs(move) * 100:.1f}%"


def _key(asset: str, z: float, state: str, extreme: bool = False) -> str:
    """A scenario's identity independent of the range's size, so sweeps can tell when it changes."""
    kind = "extreme" if extreme else "grid"
    return f"{asset} {kind} {z:+.3f} x range, vol {state}"


def grid_frame(range_fraction: float, grid: np.ndarray, params: PortfolioParams) -> pd.DataFrame:
    """A unit's scenario P&L (USD) as a DataFrame: rows vol scenarios, columns price moves (fractions)."""
    z = _grid_moves(params)
    frame = pd.DataFrame(
        grid.T, index=[VOL_LABELS[s] for s in params.vol_states], columns=np.round(z * range_fraction, 6)
    )
    frame.index.name, frame.columns.name = "volatility", "price move"
    return frame


def _alone_losses(own: np.ndarray, params: PortfolioParams) -> np.ndarray:
    """Worst loss (USD) of each unit alone, from ``own`` (U, steps + 2, 3): its P&L at the grid
    moves then -extreme, +extreme, for vol up / flat / down. Extremes count vol flat only."""
    steps = params.price_steps
    grid = own[:, :steps][:, :, _state_columns(params)]
    grid_loss = np.maximum(-grid.min(axis=(1, 2)), 0.0)
    extreme_loss = params.extreme_fraction * np.maximum(-own[:, steps:, 1].min(axis=1), 0.0)
    return np.maximum(grid_loss, extreme_loss)


def _alone_scenario(units: UnitSet, u: int, own_u: np.ndarray, params: PortfolioParams) -> tuple[str, str]:
    """(readable label, identity key) of the scenario that binds unit ``u`` alone."""
    z, extreme, steps = _grid_moves(params), _extreme_moves(params), params.price_steps
    asset, scan = units.assets[u], float(units.scan_range[u])
    grid = own_u[:steps][:, _state_columns(params)]
    extreme_pnl = own_u[steps:, 1]
    if params.extreme_fraction * max(0.0, -float(extreme_pnl.min())) > max(0.0, -float(grid.min())):
        e = int(np.argmin(extreme_pnl))
        label = (f"{asset} extreme move {_fmt_move(extreme[e] * scan)}, vol flat, "
                 f"counted at {params.extreme_fraction * 100:.0f} %")
        return label, _key(asset, extreme[e], "flat", extreme=True)
    i, v = np.unravel_index(int(np.argmin(grid)), grid.shape)
    label = f"{asset} {_fmt_move(z[i] * scan)}, {VOL_LABELS[params.vol_states[v]]}"
    return label, _key(asset, z[i], params.vol_states[v])


def _own_moves(units: UnitSet, params: PortfolioParams) -> np.ndarray:
    """Each unit's own scenario moves (U, steps + 2): the grid, then -extreme, +extreme."""
    return np.concatenate([_grid_moves(params), _extreme_moves(params)])[None, :] * units.scan_range[:, None]


def joint_losses(units: UnitSet, rho: np.ndarray, params: PortfolioParams, n_states: int = 1
                 ) -> tuple[list[list[dict]], np.ndarray]:
    """Worst signed joint-scenario loss (USD) for each market state and correlation matrix.

    ``units`` holds ``n_states`` copies of a book's U units, state after state (see
    :func:`margin.units.stack`: the same positions at other volatilities); ``rho`` (K, U, U) the
    correlation matrices. Every unit of every state is revalued once for all matrices together:
    the moves each matrix needs are stacked into one array and priced in one pass. A unit's own
    grid is the block where it drives itself (rho = 1), so the standalone P&L comes from the same
    pass. Returns (per state, one dict per matrix; each unit's own P&L (states, U, steps + 2, 3)).
    """
    n_corr, n_units = rho.shape[0], rho.shape[1]
    steps = params.price_steps
    states = _state_columns(params)
    template, residual_columns, own_columns = _joint_template(steps, params.extreme_multiple)
    # scale[b, k, a, move]: unit b's moves (in its own ranges) when a drives: follow, residual, extremes
    rho_b = rho.transpose(2, 0, 1)
    scale = np.where(residual_columns, np.sqrt(np.maximum(1.0 - rho_b**2, 0.0))[..., None], rho_b[..., None])
    scan = units.scan_range.reshape(n_states, n_units)
    # Unit b of every state moves by (scale * template)[b] times that state's range of b.
    pnl = units.revalue_scaled((scale * template).reshape(n_units, -1), units.scan_range).reshape(
        n_states, n_units, n_corr, n_units, 2 * steps + 2, 3)
    diag = np.arange(n_units)
    own = pnl[:, diag, 0, diag][:, :, own_columns]
    systematic = pnl[..., :steps, :].sum(axis=1)  # (state, k, a, move, vol)
    extreme_pnl = pnl[..., 2 * steps :, 1].sum(axis=1)  # (state, k, a, 2)
    residual = _worst_loss_over_moves(pnl[..., steps : 2 * steps, :])  # (state, b, k, a, vol)
    residual[:, diag, :, diag, :] = 0.0  # the driver has no residual of its own
    residual_sq = (residual**2).sum(axis=1)  # (state, k, a, vol)
    loss = np.sqrt(np.maximum(-systematic, 0.0) ** 2 + residual_sq[..., None, :])[..., states]
    extreme_loss = params.extreme_fraction * np.maximum(-extreme_pnl, 0.0)
    assets = units.assets[:n_units]
    return [[_joint_outcome(assets, scan[m], loss[m, k], extreme_loss[m, k], params) for k in range(n_corr)]
            for m in range(n_states)], own


def _worst_loss_over_moves(pnl: np.ndarray) -> np.ndarray:
    """max(0, -min over the moves axis) of ``pnl`` (..., moves, vol states), USD.

    On a sweep's arrays NumPy's reduction over an axis followed by a short one (the 3 vol states)
    takes about four times as long as a running minimum over the moves; on one book's small arrays
    the running minimum's extra calls cost more than they save.
    """
    if pnl.size < _RUNNING_MIN_FROM:
        return np.maximum(0.0, -pnl.min(axis=-2))
    worst = pnl[..., 0, :].copy()
    for i in range(1, pnl.shape[-2]):
        np.minimum(worst, pnl[..., i, :], out=worst)
    np.negative(worst, out=worst)
    return np.maximum(worst, 0.0, out=worst)


def _joint_outcome(assets: tuple[str, ...], scan: np.ndarray, loss: np.ndarray, extreme_loss: np.ndarray,
                   params: PortfolioParams) -> dict:
    """The binding joint scenario of one correlation matrix: loss (U, steps, states), extremes (U, 2)."""
    flat = int(loss.argmax())
    a, rest = divmod(flat, loss.shape[1] * loss.shape[2])  # np.unravel_index, without its ~3 us of overhead
    i, v = divmod(rest, loss.shape[2])
    grid_worst = float(loss.flat[flat])
    ea, ei = divmod(int(extreme_loss.argmax()), 2)
    extreme_worst = float(extreme_loss[ea, ei])
    if extreme_worst > grid_worst:
        driver, move = assets[ea], _extreme_moves(params)[ei]
        label = (f"{driver} extreme move {_fmt_move(move * scan[ea])} with the others following by "
                 f"correlation, vol flat, counted at {params.extreme_fraction * 100:.0f} %")
        return {"loss": extreme_worst, "label": label, "driver": driver,
                "key": "joint " + _key(driver, move, "flat", extreme=True)}
    driver, move = assets[a], _grid_moves(params)[i]
    label = (f"{driver} {_fmt_move(move * scan[a])}, {VOL_LABELS[params.vol_states[v]]}, "
             f"others following by correlation")
    return {"loss": grid_worst, "label": label, "driver": driver,
            "key": "joint " + _key(driver, move, params.vol_states[v])}


def addons(units: UnitSet, arrays: BookArrays, spots: np.ndarray, params: PortfolioParams) -> list[dict]:
    """Add-on rows: short-option minimum and basis per unit, stablecoin depeg per holding (USD)."""
    rows = []
    short = units.net_short
    hedged = np.minimum(units.long_linear, units.short_linear)
    for u, asset in enumerate(units.assets):
        if short[u] > 0:
            rows.append({"component": "short-option minimum", "unit": asset,
                         "maintenance": params.short_option_min_rate * float(units.spot[u]) * float(short[u]),
                         "explanation": f"{params.short_option_min_rate * 100:g} % of the underlying per "
                                        f"net short contract per strike ({short[u]:g} contracts)"})
        if hedged[u] > 0:
            rows.append({"component": "basis add-on", "unit": asset,
                         "maintenance": params.basis_addon_rate * float(hedged[u]),
                         "explanation": f"{params.basis_addon_rate * 100:g} % of the {hedged[u]:,.0f} USD of "
                                        "offsetting linear positions: perp, future and spot prices can drift apart"})
    for j, a in enumerate(arrays.hold_asset):
        asset, qty = arrays.assets[a], arrays.hold_qty[j]
        if is_stablecoin(asset) and qty > 0:
            value = qty * spots[a]
            rows.append({"component": "depeg add-on", "unit": asset,
                         "maintenance": params.depeg_addon_rate * value,
                         "explanation": f"{params.depeg_addon_rate * 100:g} % of {value:,.0f} USD of {asset}: "
                                        "a stablecoin can lose its peg"})
    return rows


def evaluate(arrays: BookArrays, spots: np.ndarray, vols: np.ndarray, basis: np.ndarray,
             params: PortfolioParams, correlations: list[np.ndarray]) -> list[dict]:
    """Portfolio-margin numbers for one market state and several correlation matrices (K of them).

    ``correlations[k]`` is the correlation of the book's assets (A x A, order of ``arrays.assets``).
    Returns one dict per matrix with maintenance, initial, losses, add-ons, binding label, and the
    units with their own P&L for grids and breakdowns.
    """
    return evaluate_vol_states(arrays, spots, np.asarray(vols, dtype=float)[None, :], basis, params, correlations)[0]


def evaluate_vol_states(arrays: BookArrays, spots: np.ndarray, vol_states: np.ndarray, basis: np.ndarray,
                        params: PortfolioParams, correlations: list[np.ndarray]) -> list[list[dict]]:
    """:func:`evaluate` at several volatility states at once: ``vol_states`` (M, A) annualised vols,
    prices fixed. Returns, per state, one dict per correlation matrix. A shock sweep prices every
    (volatility, correlation) pair of a book in one pass this way."""
    per_state = [unit_set(arrays, spots, vols, basis, params) for vols in vol_states]
    n_states, n_units, n_corr = len(per_state), len(per_state[0]), len(correlations)
    units = stack(per_state)
    if params.offsets == "correlated" and n_units > 1:
        rho = np.asarray(correlations, dtype=float)  # (K, A, A)
        index = arrays.unit_layout.is_unit  # the units, in asset order
        if not index.all():  # a stablecoin holding is no unit: keep the units' rows and columns
            rho = rho[:, index][:, :, index]
        joint, own = joint_losses(units, rho, params, n_states)
    else:
        joint = [[None] * n_corr for _ in range(n_states)]
        own = units.revalue(_own_moves(units, params)).reshape(n_states, n_units, params.price_steps + 2, 3)
    # Add-ons depend on prices, not on volatility: one total for every state; the rows that explain
    # it are written only if a breakdown is asked for.
    addon_total = _addon_total(per_state[0], arrays, spots, params)
    addon_rows = partial(addons, per_state[0], arrays, spots, params)
    return [_outcomes(per_state[m], own[m], joint[m], addon_rows, addon_total, params) for m in range(n_states)]


def _addon_total(units: UnitSet, arrays: BookArrays, spots: np.ndarray, params: PortfolioParams) -> float:
    """The sum of :func:`addons` (USD) without writing its rows."""
    hedged = np.minimum(units.long_linear, units.short_linear)
    per_unit = params.short_option_min_rate * units.spot * units.net_short + params.basis_addon_rate * hedged
    depeg = unit_plan(arrays, params).stable_holding & (arrays.hold_qty > 0)
    held_value = arrays.hold_qty[depeg] * spots[arrays.hold_asset[depeg]]
    return float(per_unit.sum() + params.depeg_addon_rate * held_value.sum())


def _outcomes(units: UnitSet, own: np.ndarray, joint: list, addon_rows, addon_total: float,
              params: PortfolioParams) -> list[dict]:
    """One state's result dicts (one per correlation matrix) from its joint outcomes and own P&L;
    ``addon_rows()`` returns the add-on rows of the breakdown."""
    alone = _alone_losses(own, params)
    segregated = float(alone.sum())
    shared = {"segregated": segregated, "addon_rows": addon_rows, "addon_total": addon_total, "unit_set": units,
              "own_pnl": own, "alone_loss": alone}
    fallback = _segregated_outcome(units, own, alone, params) if any(
        o is None or o["loss"] >= segregated for o in joint) else None
    results = []
    for outcome in joint:
        if outcome is None or outcome["loss"] >= segregated:
            outcome = dict(fallback, loss=segregated)
        maintenance = outcome["loss"] + addon_total
        results.append({"loss": outcome["loss"], "maintenance": maintenance,
                        "initial": maintenance * params.im_multiplier, "binding": outcome["label"],
                        "binding_key": outcome["key"], "binding_unit": outcome["driver"], **shared})
    return results


def _segregated_outcome(units: UnitSet, own: np.ndarray, alone: np.ndarray, params: PortfolioParams) -> dict:
    """The binding scenario when no offset counts: every unit at its own worst case."""
    if len(units) == 0:
        return {"label": "no risk units (nothing moves with prices)", "driver": None, "key": "none"}
    worst = int(np.argmax(alone))
    label, key = _alone_scenario(units, worst, own[worst], params)
    if len(units) == 1 or params.offsets == "segregated":
        return {"label": label, "driver": units.assets[worst], "key": "alone " + key}
    return {"label": f"each unit at its own worst case (no offset counts); largest: {label}",
            "driver": units.assets[worst], "key": "sum of units"}


def _breakdown(outcome: dict, params: PortfolioParams) -> pd.DataFrame:
    units, own = outcome["unit_set"], outcome["own_pnl"]
    rows = [{"component": "scenario loss", "unit": asset, "maintenance": float(outcome["alone_loss"][u]),
             "explanation": f"worst loss of the {asset} unit alone: {_alone_scenario(units, u, own[u], params)[0]} "
                            f"(range ±{units.scan_range[u] * 100:.1f} %)"}
            for u, asset in enumerate(units.assets)]
    offset = outcome["loss"] - outcome["segregated"]
    if len(units) > 1 and params.offsets == "correlated":
        rows.append({"component": "correlation offset", "unit": "all", "maintenance": offset,
                     "explanation": "units that move together and hedge each other lose less jointly "
                                    "than the sum of their worst cases"})
    rows.extend(outcome["addon_rows"]())
    frame = pd.DataFrame(rows, columns=["component", "unit", "maintenance", "explanation"])
    frame.insert(3, "initial", frame["maintenance"] * params.im_multiplier)
    return frame


class LazyGrids(Mapping):
    """risk unit -> scenario P&L DataFrame, built on first access (most callers never look)."""

    def __init__(self, units: UnitSet, own: np.ndarray, params: PortfolioParams) -> None:
        self._where = {asset: u for u, asset in enumerate(units.assets)}
        self._units, self._own, self._params = units, own, params
        self._built: dict[str, pd.DataFrame] = {}

    def __getitem__(self, asset: str) -> pd.DataFrame:
        if asset not in self._built:
            u = self._where[asset]
            grid = self._own[u, : self._params.price_steps][:, _state_columns(self._params)]
            self._built[asset] = grid_frame(float(self._units.scan_range[u]), grid, self._params)
        return self._built[asset]

    def __iter__(self):
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


def portfolio_margin(
    book: Portfolio, market: Market, params: PortfolioParams | str | None = None
) -> MarginResult:
    """Portfolio (risk-based) margin of ``book`` in USD.

    Args:
        book: the Portfolio.
        market: the Market.
        params: None (the "deribit" preset), "deribit", "okx", "span" or a PortfolioParams.

    Returns a MarginResult whose ``breakdown`` has one row per component (scenario loss per
    unit, correlation offset, add-ons), ``binding_scenario`` names the worst scenario, and
    ``scenario_grids`` holds each unit's price x vol P&L grid.

    Example: a lone long 1 BTC perp at 88,000 USD under "deribit" loses 16 % in the -16 %
    scenario: maintenance 14,080 USD, initial 18,304 USD.
    """
    rules = portfolio_params(params)
    arrays = book_arrays(book, market)
    spots, vols, basis, correlation = market.vectors(arrays.assets)
    outcome = evaluate(arrays, spots, vols, basis, rules, [correlation])[0]
    equity = outcome_equity(outcome, arrays, spots, basis, rules)
    return MarginResult(
        mode="portfolio",
        initial=float(outcome["initial"]),
        maintenance=float(outcome["maintenance"]),
        equity=equity,
        breakdown_source=lambda: _breakdown(outcome, rules),
        binding_scenario=outcome["binding"],
        params_name=rules.name,
        scenario_grids=LazyGrids(outcome["unit_set"], outcome["own_pnl"], rules),
        details={"binding_unit": outcome["binding_unit"], "binding_key": outcome["binding_key"], "segregated_loss": outcome["segregated"],
                 "scenario_loss": outcome["loss"], "addon_total": outcome["addon_total"],
                 "ranges": dict(zip(outcome["unit_set"].assets, outcome["unit_set"].scan_range.tolist(), strict=True))},
    )


def outcome_equity(outcome: dict, arrays: BookArrays, spots: np.ndarray, basis: np.ndarray,
                   params: PortfolioParams) -> float:
    """Equity (USD) under ``params``' haircuts in the market state of an :func:`evaluate` outcome,
    from the option marks its unit set already holds rather than pricing the options again."""
    units = outcome["unit_set"]
    return book_equity(arrays, spots, basis, unit_plan(arrays, params).haircuts, float(units.opt_qty @ units.opt_base))


def maintenance_at_states(
    arrays: BookArrays, spots: np.ndarray, vols: np.ndarray, basis: np.ndarray, params: PortfolioParams,
    correlation: np.ndarray,
) -> np.ndarray:
    """Portfolio maintenance (USD) at S market states at once: spots and vols of shape (S, A).

    The same model as :func:`evaluate` (one correlation matrix, no labels), with the state as a
    leading array axis, so a liquidation curve or a root search prices every trial state in one
    vectorised pass instead of one Python-level evaluation per price. ``evaluate`` stays the
    reference; a test holds the two equal to 1e-9.
    """
    spots = np.atleast_2d(np.asarray(spots, dtype=float))
    vols = np.broadcast_to(np.asarray(vols, dtype=float), spots.shape)
    n_states = spots.shape[0]
    z = _grid_moves(params)
    steps = z.size
    extreme = np.array([-1.0, 1.0]) * params.extreme_multiple
    states = _state_columns(params)
    template = unit_set(arrays, spots[0], vols[0], basis, params)
    index = [arrays.assets.index(asset) for asset in template.assets]
    n_units = len(template)
    addon_rates = _addon_rates(template, params)
    rho = correlation[np.ix_(index, index)] if params.offsets == "correlated" and n_units > 1 else np.eye(n_units)
    joint = params.offsets == "correlated" and n_units > 1
    residual_scale = np.sqrt(np.clip(1.0 - rho**2, 0.0, 1.0))
    systematic = np.zeros((n_states, n_units, steps, 3))
    extreme_pnl = np.zeros((n_states, n_units, 2))
    residual = np.zeros((n_states, n_units, n_units, 3))
    segregated = np.zeros(n_states)
    addon_total = np.zeros(n_states)
    for b in range(n_units):
        unit = template.unit(b)
        a_index = index[b]
        spot = spots[:, a_index]
        iv = vols[:, a_index]
        floor = params.range_floor(unit.asset)
        responsive = params.range_vol_multiple * iv * np.sqrt(params.range_horizon_days / 365.0)
        scan = np.minimum(np.maximum(floor, responsive), 0.95)
        delta_per_spot = unit.linear_delta / unit.spot
        if joint:
            blocks = np.concatenate([rho[:, b, None] * z, residual_scale[:, b, None] * z, rho[:, b, None] * extreme],
                                    axis=1)  # (U, 2 steps + 2), in units of range
        else:
            blocks = np.concatenate([z, extreme])[None, :]
        moves = np.maximum(blocks[None, :, :] * scan[:, None, None], -1.0)  # (S, blocks, M)
        pnl = np.repeat((delta_per_spot * spot)[:, None, None, None] * moves[..., None], 3, axis=3)
        if unit.opt_qty.size:
            dte = np.maximum(unit.opt_days, params.min_dte_days)
            power = np.where(dte < params.vol_reference_days, params.vol_power_short, params.vol_power_long)
            factor = (params.vol_reference_days / dte) ** power
            shocked = np.stack([iv[:, None] * (1.0 + params.vol_up_shift * factor),
                                np.broadcast_to(iv[:, None], (n_states, factor.size)),
                                iv[:, None] * np.maximum(1.0 - params.vol_down_shift * factor, 0.05)], axis=1)
            base = black76_price(spot[:, None], unit.opt_strike, iv[:, None], unit.opt_years, unit.opt_is_call)
            prices = black76_price((spot[:, None, None] * (1.0 + moves))[..., None, None], unit.opt_strike,
                                   shocked[:, None, None, :, :], unit.opt_years, unit.opt_is_call)
            pnl = pnl + ((prices - base[:, None, None, None, :]) * unit.opt_qty).sum(axis=4)
        own = pnl[:, b, :, :] if joint else pnl[:, 0, :, :]
        grid = own[:, :steps, :][:, :, states]
        own_extreme = own[:, -2:, 1]
        loss_alone = np.maximum(np.maximum(-grid.min(axis=(1, 2)), 0.0),
                                params.extreme_fraction * np.maximum(-own_extreme.min(axis=1), 0.0))
        segregated += loss_alone
        if joint:
            systematic += pnl[:, :, :steps, :]
            extreme_pnl += pnl[:, :, 2 * steps :, 1]
            residual[:, :, b, :] = np.maximum(0.0, -pnl[:, :, steps : 2 * steps, :].min(axis=2))
        addon_total += addon_rates[b] * spot
    for j, a in enumerate(arrays.hold_asset):
        if is_stablecoin(arrays.assets[a]) and arrays.hold_qty[j] > 0:
            addon_total += params.depeg_addon_rate * arrays.hold_qty[j] * spots[:, a]
    if joint:
        for a in range(n_units):
            residual[:, a, a, :] = 0.0
        residual_sq = (residual**2).sum(axis=2)
        loss = np.sqrt(np.maximum(-systematic, 0.0) ** 2 + residual_sq[:, :, None, :])[..., states]
        worst = np.maximum(loss.max(axis=(1, 2, 3)),
                           params.extreme_fraction * np.maximum(-extreme_pnl, 0.0).max(axis=(1, 2)))
        scenario = np.minimum(worst, segregated)
    else:
        scenario = segregated
    return scenario + addon_total


def _addon_rates(units: UnitSet, params: PortfolioParams) -> np.ndarray:
    """Short-option minimum plus basis add-on of each unit per USD of its spot price (both scale
    with spot), shape (U,): the same add-ons as :func:`addons`."""
    hedged = np.maximum(np.minimum(units.long_linear, units.short_linear), 0.0)
    return params.short_option_min_rate * units.net_short + params.basis_addon_rate * hedged / units.spot
