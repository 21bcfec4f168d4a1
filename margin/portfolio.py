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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from margin.book import BookArrays, book_arrays, equity_parts, market_vectors
from margin.instruments import Portfolio
from margin.market import Market, is_stablecoin
from margin.params import PortfolioParams
from margin.presets import portfolio_params
from margin.pricing import black76_price
from margin.results import MarginResult

VOL_LABELS = {"up": "vol up", "flat": "vol flat", "down": "vol down"}
_ALL_STATES = ("up", "flat", "down")


@dataclass(frozen=True)
class RiskUnit:
    """One underlying and everything on it, ready to revalue. Money in USD, vols annualised."""

    asset: str
    spot: float
    vol: float
    scan_range: float
    linear_delta: float
    long_linear: float
    short_linear: float
    opt_qty: np.ndarray
    opt_strike: np.ndarray
    opt_years: np.ndarray
    opt_days: np.ndarray
    opt_is_call: np.ndarray
    opt_vols: np.ndarray  # (3, n_options): up, flat, down
    opt_base: np.ndarray  # (n_options,) current mark per contract

    def pnl(self, moves: np.ndarray) -> np.ndarray:
        """P&L (USD) at relative price moves (shape (M,)) for vol up/flat/down: shape (M, 3)."""
        # A price cannot fall below zero: extreme moves past -100 % (multiple x range > 1) stop at 0.
        moves = np.maximum(np.asarray(moves, dtype=float), -1.0)
        linear = self.linear_delta * moves
        if self.opt_qty.size == 0:
            return np.repeat(linear[:, None], 3, axis=1)
        prices = black76_price(
            (self.spot * (1.0 + moves))[:, None, None], self.opt_strike, self.opt_vols[None, :, :],
            self.opt_years, self.opt_is_call,
        )
        options = ((prices - self.opt_base) * self.opt_qty).sum(axis=2)
        return linear[:, None] + options


def scan_range(params: PortfolioParams, asset: str, vol: float) -> float:
    """max(floor, k x vol x sqrt(horizon / 365)), as a fraction of spot, capped at 95 %."""
    responsive = params.range_vol_multiple * vol * np.sqrt(params.range_horizon_days / 365.0)
    return float(min(max(params.range_floor(asset), responsive), 0.95))


def shocked_vols(params: PortfolioParams, iv: float, days: np.ndarray) -> np.ndarray:
    """(3, n) vols up / flat / down for options with ``days`` to expiry (DESIGN.md's (30/DTE)^p rule)."""
    dte = np.maximum(np.asarray(days, dtype=float), params.min_dte_days)
    power = np.where(dte < params.vol_reference_days, params.vol_power_short, params.vol_power_long)
    factor = (params.vol_reference_days / dte) ** power
    up = iv * (1.0 + params.vol_up_shift * factor)
    down = iv * np.maximum(1.0 - params.vol_down_shift * factor, 0.05)
    return np.vstack([up, np.full_like(up, iv), down])


def build_units(arrays: BookArrays, spots: np.ndarray, vols: np.ndarray, basis: np.ndarray,
                params: PortfolioParams) -> list[RiskUnit]:
    """Risk units of the book at spot prices ``spots`` (A,) and vols ``vols`` (A,).

    Stablecoin holdings are not units (their risk is the depeg add-on); derivatives on any asset are.
    """
    units = []
    factor = np.exp(basis[arrays.lin_asset] * arrays.lin_years)
    bases = black76_price(spots[arrays.opt_asset], arrays.opt_strike, vols[arrays.opt_asset], arrays.opt_years,
                          arrays.opt_is_call)
    for a, asset in enumerate(arrays.assets):
        lin = arrays.lin_asset == a
        opt = arrays.opt_asset == a
        hold = arrays.hold_asset == a
        if not (lin.any() or opt.any() or (hold.any() and not is_stablecoin(asset))):
            continue
        spot = float(spots[a])
        held = 0.0 if is_stablecoin(asset) else float(arrays.hold_qty[hold].sum())
        exposures = np.concatenate([arrays.lin_qty[lin] * factor[lin] * spot, [held * spot]])
        iv = float(vols[a])
        units.append(RiskUnit(
            asset=asset, spot=spot, vol=iv, scan_range=scan_range(params, asset, iv),
            linear_delta=float(exposures.sum()), long_linear=float(exposures[exposures > 0].sum()),
            short_linear=float(-exposures[exposures < 0].sum()),
            opt_qty=arrays.opt_qty[opt], opt_strike=arrays.opt_strike[opt], opt_years=arrays.opt_years[opt],
            opt_days=arrays.opt_days[opt], opt_is_call=arrays.opt_is_call[opt],
            opt_vols=shocked_vols(params, iv, arrays.opt_days[opt]), opt_base=np.atleast_1d(bases[opt]),
        ))
    return units


def _grid_moves(params: PortfolioParams) -> np.ndarray:
    return np.linspace(-1.0, 1.0, params.price_steps)


def _state_columns(params: PortfolioParams) -> list[int]:
    return [_ALL_STATES.index(s) for s in params.vol_states]


def _fmt_move(move: float) -> str:
    return f"{'+' if move > 0 else '-' if move < 0 else '±'}{abs(move) * 100:.1f}%"


def _key(asset: str, z: float, state: str, extreme: bool = False) -> str:
    """A scenario's identity independent of the range's size, so sweeps can tell when it changes."""
    kind = "extreme" if extreme else "grid"
    return f"{asset} {kind} {z:+.3f} x range, vol {state}"


def grid_frame(unit: RiskUnit, grid: np.ndarray, params: PortfolioParams) -> pd.DataFrame:
    """A unit's scenario P&L (USD) as a DataFrame: rows vol scenarios, columns price moves (fractions)."""
    z = _grid_moves(params)
    frame = pd.DataFrame(
        grid.T, index=[VOL_LABELS[s] for s in params.vol_states], columns=np.round(z * unit.scan_range, 6)
    )
    frame.index.name, frame.columns.name = "volatility", "price move"
    return frame


def _standalone_from(unit: RiskUnit, own_pnl: np.ndarray, params: PortfolioParams) -> dict:
    """Worst loss of one unit alone from its P&L at [grid moves..., -extreme, +extreme] x 3 vols."""
    z = _grid_moves(params)
    extreme = np.array([-1.0, 1.0]) * params.extreme_multiple
    grid = own_pnl[: z.size][:, _state_columns(params)]
    extreme_pnl = own_pnl[z.size : z.size + 2, 1]
    grid_loss = max(0.0, -float(grid.min()))
    extreme_loss = params.extreme_fraction * max(0.0, -float(extreme_pnl.min()))
    if extreme_loss > grid_loss:
        e = int(np.argmin(extreme_pnl))
        label = (f"{unit.asset} extreme move {_fmt_move(extreme[e] * unit.scan_range)}, vol flat, "
                 f"counted at {params.extreme_fraction * 100:.0f} %")
        key = _key(unit.asset, extreme[e], "flat", extreme=True)
    else:
        i, v = np.unravel_index(int(np.argmin(grid)), grid.shape)
        label = f"{unit.asset} {_fmt_move(z[i] * unit.scan_range)}, {VOL_LABELS[params.vol_states[v]]}"
        key = _key(unit.asset, z[i], params.vol_states[v])
    return {"loss": max(grid_loss, extreme_loss), "label": label, "key": key, "grid_values": grid,
            "extreme_pnl": extreme_pnl}


def standalone(unit: RiskUnit, params: PortfolioParams) -> dict:
    """Worst loss of one unit alone: its grid, its extremes, the binding cell (USD)."""
    z = _grid_moves(params)
    extreme = np.array([-1.0, 1.0]) * params.extreme_multiple
    return _standalone_from(unit, unit.pnl(np.concatenate([z, extreme]) * unit.scan_range), params)


def correlated_losses(units: list[RiskUnit], params: PortfolioParams, correlations: list[np.ndarray]
                      ) -> tuple[list[dict], list[dict]]:
    """Worst signed joint-scenario loss for each correlation matrix in ``correlations`` (USD).

    Every unit is revalued once for all matrices together: the moves each matrix needs are
    stacked into one array, so a correlation sweep costs one revaluation per unit. The unit's
    own grid is the block where it drives itself (rho = 1), so the standalone losses come from
    the same pass. Returns (one dict per matrix, one standalone dict per unit).
    """
    n_units, n_corr = len(units), len(correlations)
    z = _grid_moves(params)
    steps = z.size
    extreme = np.array([-1.0, 1.0]) * params.extreme_multiple
    rho = np.stack(correlations)  # (K, U, U): rho[k, a, b]
    residual_scale = np.sqrt(np.clip(1.0 - rho**2, 0.0, 1.0))
    states = _state_columns(params)
    systematic = np.zeros((n_corr, n_units, steps, 3))
    extreme_pnl = np.zeros((n_corr, n_units, 2))
    residual = np.zeros((n_corr, n_units, n_units, 3))
    alone: list[dict] = []
    for b, unit in enumerate(units):
        follow = rho[:, :, b, None] * z  # (K, U, steps) in units of range
        resid = residual_scale[:, :, b, None] * z
        ext = rho[:, :, b, None] * extreme
        moves = np.concatenate([follow, resid, ext], axis=2) * unit.scan_range
        # Many scenarios ask for the same move (z = 0 for every driver; rho(1 + s) z repeats across
        # correlation shocks): revalue each distinct move once. Rounding to 1e-13 makes equal
        # moves bitwise equal; it moves a price by less than 1e-13 of itself.
        distinct, where = np.unique(np.round(moves.reshape(-1), 13), return_inverse=True)
        pnl = unit.pnl(distinct)[where.reshape(-1)].reshape(n_corr, n_units, 2 * steps + 2, 3)
        own = np.concatenate([pnl[0, b, :steps, :], pnl[0, b, 2 * steps :, :]])
        alone.append(_standalone_from(unit, own, params))
        systematic += pnl[:, :, :steps, :]
        extreme_pnl += pnl[:, :, 2 * steps :, 1]
        residual[:, :, b, :] = np.maximum(0.0, -pnl[:, :, steps : 2 * steps, :].min(axis=2))
    for a in range(n_units):
        residual[:, a, a, :] = 0.0
    residual_sq = (residual**2).sum(axis=2)  # (K, U, 3)
    loss = np.sqrt(np.maximum(-systematic, 0.0) ** 2 + residual_sq[:, :, None, :])[..., states]
    extreme_loss = params.extreme_fraction * np.maximum(-extreme_pnl, 0.0)
    results = []
    for k in range(n_corr):
        flat = int(np.argmax(loss[k]))
        a, i, v = np.unravel_index(flat, loss[k].shape)
        grid_worst = float(loss[k].reshape(-1)[flat])
        ea, ei = np.unravel_index(int(np.argmax(extreme_loss[k])), extreme_loss[k].shape)
        extreme_worst = float(extreme_loss[k, ea, ei])
        if extreme_worst > grid_worst:
            driver, move = units[ea], extreme[ei] * units[ea].scan_range
            label = (f"{driver.asset} extreme move {_fmt_move(move)} with the others following by "
                     f"correlation, vol flat, counted at {params.extreme_fraction * 100:.0f} %")
            results.append({"loss": extreme_worst, "label": label, "driver": driver.asset,
                            "key": "joint " + _key(driver.asset, extreme[ei], "flat", extreme=True)})
        else:
            driver, move = units[a], z[i] * units[a].scan_range
            label = (f"{driver.asset} {_fmt_move(move)}, {VOL_LABELS[params.vol_states[v]]}, "
                     f"others following by correlation")
            results.append({"loss": grid_worst, "label": label, "driver": driver.asset,
                            "key": "joint " + _key(driver.asset, z[i], params.vol_states[v])})
    return results, alone


def addons(units: list[RiskUnit], arrays: BookArrays, spots: np.ndarray, params: PortfolioParams) -> list[dict]:
    """Add-on rows: short-option minimum and basis per unit, stablecoin depeg per holding (USD)."""
    rows = []
    for unit in units:
        if unit.opt_qty.size:
            net: dict[tuple[float, float], float] = {}
            for strike, days, qty in zip(unit.opt_strike, unit.opt_days, unit.opt_qty, strict=True):
                net[(strike, days)] = net.get((strike, days), 0.0) + qty
            short_contracts = float(sum(max(-q, 0.0) for q in net.values()))
            if short_contracts > 0:
                rows.append({"component": "short-option minimum", "unit": unit.asset,
                             "maintenance": params.short_option_min_rate * unit.spot * short_contracts,
                             "explanation": f"{params.short_option_min_rate * 100:g} % of the underlying per "
                                            f"net short contract per strike ({short_contracts:g} contracts)"})
        hedged = min(unit.long_linear, unit.short_linear)
        if hedged > 0:
            rows.append({"component": "basis add-on", "unit": unit.asset,
                         "maintenance": params.basis_addon_rate * hedged,
                         "explanation": f"{params.basis_addon_rate * 100:g} % of the {hedged:,.0f} USD of "
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
    Returns one dict per matrix with maintenance, initial, losses, add-ons, binding label, grids.
    """
    units = build_units(arrays, spots, vols, basis, params)
    if params.offsets == "correlated" and len(units) > 1:
        index = [arrays.assets.index(u.asset) for u in units]
        joint, alone = correlated_losses(units, params, [c[np.ix_(index, index)] for c in correlations])
    else:
        joint, alone = [None] * len(correlations), [standalone(unit, params) for unit in units]
    segregated = float(sum(s["loss"] for s in alone))
    extra = addons(units, arrays, spots, params)
    addon_total = float(sum(row["maintenance"] for row in extra))
    worst_alone = max(range(len(units)), key=lambda u: alone[u]["loss"]) if units else None
    results = []
    for outcome in joint:
        if outcome is None or outcome["loss"] >= segregated:
            loss = segregated
            if worst_alone is None:
                label, driver, key = "no risk units (nothing moves with prices)", None, "none"
            elif len(units) == 1 or params.offsets == "segregated":
                label, driver = alone[worst_alone]["label"], units[worst_alone].asset
                key = "alone " + alone[worst_alone]["key"]
            else:
                label = f"each unit at its own worst case (no offset counts); largest: {alone[worst_alone]['label']}"
                driver, key = units[worst_alone].asset, "sum of units"
        else:
            loss, label, driver, key = outcome["loss"], outcome["label"], outcome["driver"], outcome["key"]
        maintenance = loss + addon_total
        results.append({"loss": loss, "segregated": segregated, "addons": extra, "addon_total": addon_total,
                        "maintenance": maintenance, "initial": maintenance * params.im_multiplier,
                        "binding": label, "binding_key": key, "binding_unit": driver, "units": units, "alone": alone})
    return results


def _breakdown(outcome: dict, params: PortfolioParams) -> pd.DataFrame:
    rows = [{"component": "scenario loss", "unit": unit.asset, "maintenance": alone["loss"],
             "explanation": f"worst loss of the {unit.asset} unit alone: {alone['label']} "
                            f"(range ±{unit.scan_range * 100:.1f} %)"}
            for unit, alone in zip(outcome["units"], outcome["alone"], strict=True)]
    offset = outcome["loss"] - outcome["segregated"]
    if len(outcome["units"]) > 1 and params.offsets == "correlated":
        rows.append({"component": "correlation offset", "unit": "all", "maintenance": offset,
                     "explanation": "units that move together and hedge each other lose less jointly "
                                    "than the sum of their worst cases"})
    rows.extend(outcome["addons"])
    frame = pd.DataFrame(rows, columns=["component", "unit", "maintenance", "explanation"])
    frame.insert(3, "initial", frame["maintenance"] * params.im_multiplier)
    return frame


class LazyGrids(Mapping):
    """risk unit -> scenario P&L DataFrame, built on first access (most callers never look)."""

    def __init__(self, units: list[RiskUnit], alone: list[dict], params: PortfolioParams) -> None:
        self._sources = {u.asset: (u, a["grid_values"]) for u, a in zip(units, alone, strict=True)}
        self._params = params
        self._built: dict[str, pd.DataFrame] = {}

    def __getitem__(self, asset: str) -> pd.DataFrame:
        if asset not in self._built:
            unit, values = self._sources[asset]
            self._built[asset] = grid_frame(unit, values, self._params)
        return self._built[asset]

    def __iter__(self):
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)


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
    spots, vols, basis = market_vectors(arrays, market)
    outcome = evaluate(arrays, spots, vols, basis, rules, [market.correlation_array(list(arrays.assets))])[0]
    haircut = np.array([rules.haircut(arrays.assets[a]) for a in arrays.hold_asset], dtype=float)
    equity = float(equity_parts(arrays, spots[None, :], vols, basis, haircut)["equity"][0])
    return MarginResult(
        mode="portfolio",
        initial=float(outcome["initial"]),
        maintenance=float(outcome["maintenance"]),
        equity=equity,
        breakdown_source=lambda: _breakdown(outcome, rules),
        binding_scenario=outcome["binding"],
        params_name=rules.name,
        scenario_grids=LazyGrids(outcome["units"], outcome["alone"], rules),
        details={"binding_unit": outcome["binding_unit"], "binding_key": outcome["binding_key"], "segregated_loss": outcome["segregated"],
                 "scenario_loss": outcome["loss"], "addon_total": outcome["addon_total"],
                 "ranges": {u.asset: u.scan_range for u in outcome["units"]}},
    )


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
    template = build_units(arrays, spots[0], vols[0], basis, params)
    index = [arrays.assets.index(u.asset) for u in template]
    n_units = len(template)
    rho = correlation[np.ix_(index, index)] if params.offsets == "correlated" and n_units > 1 else np.eye(n_units)
    joint = params.offsets == "correlated" and n_units > 1
    residual_scale = np.sqrt(np.clip(1.0 - rho**2, 0.0, 1.0))
    systematic = np.zeros((n_states, n_units, steps, 3))
    extreme_pnl = np.zeros((n_states, n_units, 2))
    residual = np.zeros((n_states, n_units, n_units, 3))
    segregated = np.zeros(n_states)
    addon_total = np.zeros(n_states)
    for b, unit in enumerate(template):
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
        addon_total += _addon_rates(unit, params) * spot
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


class _NoHoldings:
    """Stands in for a BookArrays with no holdings when only unit add-ons are wanted."""

    assets: tuple = ()
    hold_asset = np.zeros(0, dtype=int)
    hold_qty = np.zeros(0)


_NO_HOLDINGS = _NoHoldings()


def _addon_rates(unit: RiskUnit, params: PortfolioParams) -> float:
    """Short-option minimum plus basis add-on of a unit per USD of its spot price (both scale with spot)."""
    total = 0.0
    for row in addons([unit], _NO_HOLDINGS, np.zeros(0), params):
        total += row["maintenance"] / unit.spot
    return total
