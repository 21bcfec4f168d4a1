# Over 400 lines: the one portfolio-margin model (scan, add-ons, labels) that every path calls.
"""Portfolio margin: risk units revalued over price x volatility scenarios, plus add-ons.

A *risk unit* is one underlying and everything written on it (spot holdings, perps, futures,
options). Each unit is revalued in full (Black-76, not greeks) on a grid of price moves from
-range to +range in ``price_steps`` even steps, times vol scenarios up / flat / down, where

    vol_up = iv (1 + 0.5 (30/DTE)^p),  vol_down = iv (1 - 0.25 (30/DTE)^p),  p = 0.3 if DTE < 30 else 0.13

(:func:`margin.units.shocked_vols`) and the range responds to volatility: range = max(floor, k x
vol x sqrt(horizon_days / 365)) (:func:`margin.units.scan_ranges`). Extreme moves of +/-
(multiple x range), vol flat, count at ``extreme_fraction`` of their loss.

Across units, offsets are *signed* joint scenarios on the correlation ellipsoid, revalued in full
(:mod:`margin.offsets`: for a linear book the joint loss is exactly the range-scaled sqrt(e' rho e)
for any number of units; a position of size zero changes nothing). ``offsets="segregated"`` sums
the units alone. Maintenance = loss + add-ons (short-option minimum, basis, stablecoin depeg);
initial = maintenance x ``im_multiplier``.

One model, written once: :func:`evaluate_states` prices any number of market states (a single
book, a shock sweep's volatility states, a liquidation curve's trial prices) and correlation
matrices in one vectorised pass, and every public path calls it. :mod:`margin.reference` is the
same model as slow loops; property tests hold this module to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import pandas as pd

from margin.book import BookArrays, book_arrays, book_equity
from margin.instruments import Portfolio
from margin.market import Market
from margin.offsets import JointPlan, JointScenarios, joint_plan, joint_scenarios
from margin.params import PortfolioParams
from margin.presets import portfolio_params
from margin.results import MarginResult
from margin.units import UnitSet, scan_range, scan_ranges, shocked_vols, unit_plan, unit_sets

__all__ = ["portfolio_margin", "evaluate", "evaluate_states", "evaluate_vol_states", "maintenance_at_states",
           "scan_range", "scan_ranges", "shocked_vols"]

VOL_LABELS = {"up": "vol up", "flat": "vol flat", "down": "vol down"}
_ALL_STATES = ("up", "flat", "down")


@lru_cache(maxsize=32)
def _even_steps(steps: int) -> np.ndarray:
    grid = np.linspace(-1.0, 1.0, steps)
    grid.setflags(write=False)
    return grid


def _grid_moves(params: PortfolioParams) -> np.ndarray:
    """The price grid in units of the scan range: -1 .. +1 in ``price_steps`` even steps."""
    return _even_steps(params.price_steps)


def _extreme_moves(params: PortfolioParams) -> np.ndarray:
    return np.array([-1.0, 1.0]) * params.extreme_multiple


def _state_columns(params: PortfolioParams) -> list[int] | slice:
    """The vol-state columns (of up, flat, down) the rule set scans; all three as a slice, which
    indexes without a copy."""
    if tuple(params.vol_states) == _ALL_STATES:
        return slice(None)
    return [_ALL_STATES.index(s) for s in params.vol_states]


def _fmt_move(move: float) -> str:
    move = float(move)  # formatting a NumPy float costs several times a Python one
    return f"{'+' if move > 0 else '-' if move < 0 else '±'}{abs(move) * 100:.1f}%"


def _vol_text(pnl_by_state: np.ndarray, state: str) -> str:
    """", vol up" etc., or nothing when the scenario's P&L is the same in every vol state (a book
    without options does not care about volatility)."""
    scale = max(1.0, float(np.abs(pnl_by_state).max()))
    return "" if float(np.ptp(pnl_by_state)) <= 1e-9 * scale else f", {VOL_LABELS[state]}"


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


# -- each unit alone ---------------------------------------------------------------------------------


def _own_moves(params: PortfolioParams) -> np.ndarray:
    """A unit's own scenario moves in units of its range (steps + 2,): the grid, then -/+ extreme."""
    return np.concatenate([_grid_moves(params), _extreme_moves(params)])


def _alone_losses(own: np.ndarray, params: PortfolioParams) -> np.ndarray:
    """Worst loss (USD) of each unit alone, from ``own`` (..., steps + 2, 3): its P&L at the grid
    moves then -extreme, +extreme, for vol up / flat / down. Extremes count vol flat only."""
    steps = params.price_steps
    grid = own[..., :steps, :][..., _state_columns(params)]
    grid_loss = np.maximum(-grid.min(axis=(-2, -1)), 0.0)
    extreme_loss = params.extreme_fraction * np.maximum(-own[..., steps:, 1].min(axis=-1), 0.0)
    return np.maximum(grid_loss, extreme_loss)


def _alone_scenario(units: UnitSet, u: int, own_u: np.ndarray, params: PortfolioParams) -> tuple[str, str, float]:
    """(readable label, identity key, price move as a fraction) of the scenario that binds unit ``u``
    (of a one-state set) alone."""
    z, extreme, steps = _grid_moves(params), _extreme_moves(params), params.price_steps
    asset, scan = units.assets[u], float(units.scan_range[u])
    columns = _state_columns(params)
    grid = own_u[:steps][:, columns]
    extreme_pnl = own_u[steps:, 1]
    if params.extreme_fraction * max(0.0, -float(extreme_pnl.min())) > max(0.0, -float(grid.min())):
        e = int(np.argmin(extreme_pnl))
        move = float(extreme[e]) * scan
        label = (f"{asset} extreme move {_fmt_move(move)}, vol flat, "
                 f"counted at {params.extreme_fraction * 100:.0f} %")
        return label, _key(asset, extreme[e], "flat", extreme=True), move
    i, v = np.unravel_index(int(np.argmin(grid)), grid.shape)
    state, move = params.vol_states[v], float(z[i]) * scan
    label = f"{asset} {_fmt_move(move)}{_vol_text(own_u[i], state)}"
    return label, _key(asset, z[i], state), move


# -- add-ons ----------------------------------------------------------------------------------------


def _addon_amounts(units: UnitSet, arrays: BookArrays, spots: np.ndarray, params: PortfolioParams) -> dict:
    """Every add-on (USD) at S states: short-option minimum and basis per unit (S, U), depeg per
    stablecoin holding (S, H). The one definition of the add-ons: totals and breakdown rows read it.

    short-option minimum = rate x spot x net short contracts; basis = rate x min(long, short)
    linear USD of the unit (offsetting perps, futures and spot can drift apart); roll shock =
    |size in coins| x index x max(floor, annual x years) of every perp and future (per unit,
    :attr:`UnitSet.roll_shock`); depeg = rate x USD value of each stablecoin holding (a
    stablecoin can lose its peg).
    """
    n_states, n_units = units.n_states, units.units_per_state
    short = (params.short_option_min_rate * units.spot * units.net_short).reshape(n_states, n_units)
    hedged = np.maximum(np.minimum(units.long_linear, units.short_linear), 0.0)
    basis = (params.basis_addon_rate * hedged).reshape(n_states, n_units)
    depeg_holding = unit_plan(arrays, params).stable_holding & (arrays.hold_qty > 0)
    held_value = arrays.hold_qty * np.atleast_2d(spots)[:, arrays.hold_asset]
    depeg = np.where(depeg_holding, params.depeg_addon_rate * held_value, 0.0)
    return {"short_option": short, "basis": basis, "roll": units.roll_shock.reshape(n_states, n_units),
            "depeg": depeg, "hedged": hedged.reshape(n_states, n_units), "held_value": held_value,
            "depeg_holding": depeg_holding}


def addon_rows(amounts: dict, m: int, units: UnitSet, arrays: BookArrays, params: PortfolioParams) -> list[dict]:
    """The breakdown rows of state ``m``'s add-ons (from :func:`_addon_amounts`), USD. An add-on the rule
    set does not have (rate 0, as Deribit's and OKX's basis add-on) gets no row."""
    rows = []
    for u, asset in enumerate(units.assets[: units.units_per_state]):
        net_short = float(units.net_short[u])
        if net_short > 0 and params.short_option_min_rate > 0:
            rows.append({"component": "short-option minimum", "unit": asset,
                         "maintenance": float(amounts["short_option"][m, u]),
                         "explanation": f"{params.short_option_min_rate * 100:g} % of the underlying per "
                                        f"net short contract per strike ({net_short:g} contracts)"})
        hedged = float(amounts["hedged"][m, u])
        if hedged > 0 and params.basis_addon_rate > 0:
            rows.append({"component": "basis add-on", "unit": asset, "maintenance": float(amounts["basis"][m, u]),
                         "explanation": f"{params.basis_addon_rate * 100:g} % of the {hedged:,.0f} USD of "
                                        "offsetting linear positions: perp, future and spot prices can drift apart"})
        roll = float(amounts["roll"][m, u])
        if roll > 0:
            floor, annual = params.roll_shock(asset)
            rows.append({"component": "roll shock", "unit": asset, "maintenance": roll,
                         "explanation": f"max({floor * 100:g} %, {annual * 100:g} % a year x years to expiry) of each "
                                        "perp's and future's size at the index: its funding or basis can move"})
    for j in np.flatnonzero(amounts["depeg_holding"]) if params.depeg_addon_rate > 0 else ():
        asset, value = arrays.assets[arrays.hold_asset[j]], float(amounts["held_value"][m, j])
        rows.append({"component": "depeg add-on", "unit": asset, "maintenance": float(amounts["depeg"][m, j]),
                     "explanation": f"{params.depeg_addon_rate * 100:g} % of {value:,.0f} USD of {asset}: "
                                    "a stablecoin can lose its peg"})
    return rows


def _addon_totals(amounts: dict) -> np.ndarray:
    return (amounts["short_option"].sum(axis=1) + amounts["basis"].sum(axis=1) + amounts["roll"].sum(axis=1)
            + amounts["depeg"].sum(axis=1))


# -- the model, at S states x K correlation matrices -------------------------------------------------


def _scan(arrays: BookArrays, spots: np.ndarray, vols: np.ndarray, basis: np.ndarray, params: PortfolioParams,
          correlations: list[np.ndarray], smile: np.ndarray | None = None) -> dict:
    """Every number of the model at S states (spots, vols (S, A)) and K correlation matrices (A, A
    each, order of ``arrays.assets``): units, own P&L, losses alone, joint scenarios, add-ons, and
    the loss after offsets (S, K), USD."""
    units = unit_sets(arrays, spots, vols, basis, params, smile)
    n_states, n_units, n_corr, width = units.n_states, units.units_per_state, len(correlations), params.price_steps + 2
    own_moves = np.broadcast_to(_own_moves(params), (len(units), width)) * units.scan_range[:, None]
    plan: JointPlan | None = None
    if params.offsets == "correlated" and n_units > 1:
        index = arrays.unit_layout.is_unit  # a stablecoin holding is no unit: keep the units' rows and columns
        plan = joint_plan(units, np.asarray(correlations, dtype=float)[:, index][:, :, index], params)
    # One revaluation: each unit's own grid and, beside it, every joint scenario it takes part in.
    pnl = units.revalue(own_moves if plan is None else np.concatenate([own_moves, plan.moves], axis=1))
    own = pnl[:, :width].reshape(n_states, n_units, width, 3)
    alone = _alone_losses(own, params)  # (S, U)
    segregated = alone.sum(axis=1)
    joint = None if plan is None else joint_scenarios(plan, pnl[:, width:], units, params)
    loss = np.repeat(segregated[:, None], n_corr, axis=1)
    if joint is not None:
        loss = np.minimum(joint.loss, loss)
    amounts = _addon_amounts(units, arrays, spots, params)
    return {"units": units, "own": own, "alone": alone, "segregated": segregated, "joint": joint, "loss": loss,
            "amounts": amounts, "addon_total": _addon_totals(amounts)}


def evaluate_states(arrays: BookArrays, spots: np.ndarray, vols: np.ndarray, basis: np.ndarray,
                    params: PortfolioParams, correlations: list[np.ndarray],
                    smile: np.ndarray | None = None) -> list[list[dict]]:
    """Portfolio-margin numbers at S market states (spots and vols (S, A): USD, annualised) and K
    correlation matrices (A x A, order of ``arrays.assets``), in one vectorised pass; ``smile``
    (A, 2) the market's vol smile (:meth:`Market.smile_array`, None for flat).

    Returns, per state, one dict per matrix: loss, maintenance, initial (USD), binding label and
    key, the binding unit, the segregated loss, add-on total and rows, and the state's unit set
    with its own P&L for grids and breakdowns.
    """
    scan = _scan(arrays, np.atleast_2d(spots), np.atleast_2d(vols), basis, params, correlations, smile)
    joint = scan["joint"]
    labels = None if joint is None else _joint_labels(joint, scan["units"], params)
    results = []
    for m in range(scan["units"].n_states):
        view = scan["units"].state(m)
        results.append([_outcome(scan, view, m, k, None if labels is None else labels[m][k], arrays, params)
                        for k in range(len(correlations))])
    return results


def evaluate(arrays: BookArrays, spots: np.ndarray, vols: np.ndarray, basis: np.ndarray,
             params: PortfolioParams, correlations: list[np.ndarray], smile: np.ndarray | None = None) -> list[dict]:
    """:func:`evaluate_states` at one market state (spots, vols (A,)): one dict per matrix."""
    return evaluate_states(arrays, np.asarray(spots, dtype=float)[None, :], np.asarray(vols, dtype=float)[None, :],
                           basis, params, correlations, smile)[0]


def evaluate_vol_states(arrays: BookArrays, spots: np.ndarray, vol_states: np.ndarray, basis: np.ndarray,
                        params: PortfolioParams, correlations: list[np.ndarray],
                        smile: np.ndarray | None = None) -> list[list[dict]]:
    """:func:`evaluate_states` at today's prices and M volatility states ``vol_states`` (M, A):
    a shock sweep prices every (volatility, correlation) pair of a book in one pass this way."""
    vol_states = np.atleast_2d(vol_states)
    spots = np.broadcast_to(np.asarray(spots, dtype=float), vol_states.shape)
    return evaluate_states(arrays, spots, vol_states, basis, params, correlations, smile)


def maintenance_at_states(arrays: BookArrays, spots: np.ndarray, vols: np.ndarray, basis: np.ndarray,
                          params: PortfolioParams, correlation: np.ndarray,
                          smile: np.ndarray | None = None) -> np.ndarray:
    """Portfolio maintenance (USD) at S market states at once, spots and vols (S, A), one
    correlation matrix: the numbers of :func:`evaluate_states` without labels, for liquidation
    curves and root searches."""
    spots = np.atleast_2d(np.asarray(spots, dtype=float))
    vols = np.broadcast_to(np.asarray(vols, dtype=float), spots.shape)
    scan = _scan(arrays, spots, vols, basis, params, [correlation], smile)
    return params.mm_factor * (scan["loss"][:, 0] + scan["addon_total"])


# -- labels and results -----------------------------------------------------------------------------


def _outcome(scan: dict, units: UnitSet, m: int, k: int, joint_label: tuple | None, arrays: BookArrays,
             params: PortfolioParams) -> dict:
    """State ``m``'s result under matrix ``k`` (``units``: that state's units; ``joint_label``: its
    worst joint scenario's (label, key, driver, moves)): numbers, binding scenario and what breakdowns need."""
    own, alone, segregated = scan["own"][m], scan["alone"][m], float(scan["segregated"][m])
    loss = float(scan["loss"][m, k])
    joint = scan["joint"]
    if joint is not None and float(joint.loss[m, k]) < segregated:
        label, key, driver, moves = joint_label
    else:
        label, key, driver, moves = _segregated_label(units, own, alone, params, offsets=joint is not None)
    addon_total = float(scan["addon_total"][m])
    maintenance = params.mm_factor * (loss + addon_total)
    amounts = scan["amounts"]
    return {"loss": loss, "maintenance": maintenance, "initial": maintenance * params.im_multiplier,
            "binding": label, "binding_key": key, "binding_unit": driver, "binding_moves": moves,
            "segregated": segregated,
            "addon_total": addon_total, "addon_rows": lambda: addon_rows(amounts, m, units, arrays, params),
            "unit_set": units, "own_pnl": own, "alone_loss": alone}


def _moves_text(assets: list[str], moves: list[float], limit: int = 4) -> str:
    """"BTC -16.0%, ETH -13.6%" for the units that move, largest first, at most ``limit``."""
    order = sorted((j for j, move in enumerate(moves) if abs(move) > 5e-4), key=lambda j: -abs(moves[j]))
    text = ", ".join(f"{assets[j]} {_fmt_move(moves[j])}" for j in order[:limit])
    return text + (f" and {len(order) - limit} more" if len(order) > limit else "")


def _joint_labels(joint: JointScenarios, units: UnitSet, params: PortfolioParams) -> list[list[tuple[str, str, str]]]:
    """(label, key, driver, moves) of the worst joint scenario of every state and matrix, [state][matrix]."""
    n_states, n_units = units.n_states, units.units_per_state
    exposed = joint.exposed
    assets = [units.assets[u] for u in exposed]
    ranges = units.scan_range.reshape(n_states, n_units)[:, exposed]  # (S, J)
    columns = [_ALL_STATES.index(s) for s in params.vol_states]
    grid_moves, extreme_moves = _grid_moves(params).tolist(), _extreme_moves(params).tolist()
    worst_grid, worst_extreme = joint.worst_grid.tolist(), joint.worst_extreme.tolist()
    counted = f", counted at {params.extreme_fraction * 100:.0f} %"
    labels = []
    for m in range(n_states):
        row = []
        for k in range(joint.loss.shape[1]):
            d_grid, i, v = worst_grid[m][k]
            d_extreme, e = worst_extreme[m][k]
            at_grid = joint.pnl_grid[m, k, d_grid, i].tolist()  # the binding grid point, every vol state
            scanned = [at_grid[c] for c in columns]
            grid_loss = max(0.0, -scanned[v])
            extreme_loss = params.extreme_fraction * max(0.0, -float(joint.pnl_extreme[m, k, d_extreme, e]))
            if extreme_loss > grid_loss:
                d, t, state, kind, tail = d_extreme, extreme_moves[e], "flat", "extreme move ", ", vol flat" + counted
            else:
                d, t, state, kind = d_grid, grid_moves[i], params.vol_states[v], ""
                spread = max(scanned) - min(scanned)
                vol_matters = spread > 1e-9 * max(1.0, max(abs(x) for x in scanned))
                tail = f", {VOL_LABELS[state]}" if vol_matters else ""  # a book without options: no vol word
            moves = (t * joint.directions[m, k, d] * ranges[m]).tolist()
            row.append(_joint_label(assets, moves, d, t, state, bool(kind), kind, tail))
        labels.append(row)
    return labels


def _joint_label(assets: list[str], moves: list[float], d: int, t: float, state: str, extreme: bool, kind: str,
                 tail: str) -> tuple[str, str, str, dict[str, float]]:
    """(label, key, driver, each exposed unit's move as a fraction) of one joint scenario: direction
    ``d`` (a driver, or d* after them) at ``t``."""
    by_asset = dict(zip(assets, moves, strict=True))
    if d < len(assets):
        driver = assets[d]
        follow = _moves_text(assets[:d] + assets[d + 1:], moves[:d] + moves[d + 1:])
        label = (f"{kind}{driver} {_fmt_move(moves[d])}, the others following by correlation"
                 f"{f' ({follow})' if follow else ''}{tail}")
        return label, "joint " + _key(driver, t, state, extreme), driver, by_asset
    driver = assets[max(range(len(assets)), key=lambda j: abs(moves[j]))]
    label = f"{kind}worst combined move for this book: {_moves_text(assets, moves)}{tail}"
    return label, "joint combined " + _key("book", t, state, extreme), driver, by_asset


def _segregated_label(units: UnitSet, own: np.ndarray, alone: np.ndarray, params: PortfolioParams,
                      offsets: bool) -> tuple[str, str, str | None, dict[str, float]]:
    """The binding scenario when no offset counts: every unit at its own worst case
    (label, key, driver, each unit's move as a fraction)."""
    if len(units) == 0:
        return "no risk units (nothing moves with prices)", "none", None, {}
    scenarios = [_alone_scenario(units, u, own[u], params) for u in range(len(units))]
    moves = {asset: scenarios[u][2] for u, asset in enumerate(units.assets) if alone[u] > 0}
    worst = int(np.argmax(alone))
    label, key, _ = scenarios[worst]
    if not offsets:
        return label, "alone " + key, units.assets[worst], moves
    return (f"each unit at its own worst case (no offset counts); largest: {label}", "sum of units",
            units.assets[worst], moves)


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
    requirement = outcome["loss"] + outcome["addon_total"]
    if params.mm_factor != 1.0 and requirement > 0:
        rows.append({"component": "maintenance factor", "unit": "all",
                     "maintenance": (params.mm_factor - 1.0) * requirement,
                     "explanation": f"maintenance is {params.mm_factor:g} x the {requirement:,.0f} USD above "
                                    f"(the rule set's mm_factor); initial is {params.im_multiplier:g} x maintenance"})
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
        params: None (the "classroom" preset), "classroom", "deribit", "okx", "span" or a PortfolioParams.

    Returns a MarginResult whose ``breakdown`` has one row per component (scenario loss per
    unit, correlation offset, add-ons), ``binding_scenario`` names the worst scenario, and
    ``scenario_grids`` holds each unit's price x vol P&L grid.

    Example: a lone long 1 BTC perp at 88,000 USD under "classroom" loses 16 % in the -16 %
    scenario: maintenance 14,080 USD, initial 18,304 USD. Under "deribit" the roll shock adds 1 % of
    the size and maintenance is 0.8 x that: 11,968 USD, initial 14,960 USD (the risk-matrix margin).
    """
    rules = portfolio_params(params)
    arrays = book_arrays(book, market)
    spots, vols, basis, correlation = market.vectors(arrays.assets)
    outcome = evaluate(arrays, spots, vols, basis, rules, [correlation], market.smile_array(arrays.assets))[0]
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
        details={"binding_unit": outcome["binding_unit"], "binding_key": outcome["binding_key"],
                 "binding_moves": outcome["binding_moves"], "segregated_loss": outcome["segregated"],
                 "scenario_loss": outcome["loss"], "addon_total": outcome["addon_total"],
                 "ranges": dict(zip(outcome["unit_set"].assets, outcome["unit_set"].scan_range.tolist(), strict=True))},
    )


def outcome_equity(outcome: dict, arrays: BookArrays, spots: np.ndarray, basis: np.ndarray,
                   params: PortfolioParams) -> float:
    """Equity (USD) under ``params``' haircuts in the market state of an :func:`evaluate` outcome,
    from the option marks its unit set already holds rather than pricing the options again."""
    units = outcome["unit_set"]
    return book_equity(arrays, spots, basis, unit_plan(arrays, params).haircuts, float(units.opt_qty @ units.opt_base))
