"""Shock sweeps over volatility multipliers x correlation shocks, and where requirements jump.

A sweep reuses what a shock does not change: cross margin depends on volatility only through
option marks, so it is computed once per vol multiplier, not per correlation shock; portfolio
margin revalues every risk unit at every vol multiplier and correlation shock in one pass
(:func:`margin.portfolio.evaluate_vol_states` stacks the moves every state and matrix needs).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from margin import presets
from margin.book import book_arrays
from margin.cross import cross_arrays
from margin.errors import PortfolioError
from margin.instruments import Portfolio
from margin.market import Market, shock_correlation
from margin.portfolio import evaluate_vol_states, outcome_equity

SWEEP_COLUMNS = ["vol_mult", "corr_shock", "equity", "cross_initial", "cross_maintenance",
                 "portfolio_initial", "portfolio_maintenance", "binding_scenario", "portfolio_equity", "binding_key"]
MAX_SWEEP_POINTS = 2500
MAX_SLOPE_RATIO = 1e6


def _values(values: Sequence[float], name: str, low: float, high: float) -> list[float]:
    """``values`` as a list of floats in [low, high]; PortfolioError naming ``name`` otherwise.

    A string is refused rather than read character by character ("12" is not [1, 2])."""
    example = "[1, 2, 3]" if name == "vol_mults" else "[0, -0.5, -1]"
    refused = PortfolioError(f"{name}: must be a list of numbers such as {example} (got {_show(values)}).")
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise refused
    try:
        values = list(values)
    except TypeError:  # a 0-d array claims to be iterable
        raise refused from None
    if not values:
        raise PortfolioError(f"{name}: give at least one value, e.g. {example}.")
    if len(values) > MAX_SWEEP_POINTS:
        raise PortfolioError(f"{name}: at most {MAX_SWEEP_POINTS} values (got {len(values)}).")
    out = []
    for index, v in enumerate(values):
        number = _number(v)
        if number is None:
            raise PortfolioError(f"{name}[{index}]: must be a number (got {_show(v)}); use e.g. {example}.")
        if not math.isfinite(number) or number < low or number > high:
            raise PortfolioError(f"{name}[{index}]: every value must be between {low:g} and {high:g} (got {_show(v)}).")
        out.append(number)
    return out


def _number(value: object) -> float | None:
    """A real number as a float; None for text, booleans, containers and anything else."""
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        return None
    try:
        return float(value)
    except (OverflowError, ValueError, TypeError):
        return float("inf") if isinstance(value, numbers.Integral) else None


def _show(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shock_sweep(
    book: Portfolio,
    market: Market,
    vol_mults: Sequence[float] = (1, 2, 3),
    corr_shocks: Sequence[float] = (0, -0.5, -1),
    cross_params: object = None,
    portfolio_params: object = None,
) -> pd.DataFrame:
    """Requirements (USD) for every (vol_mult, corr_shock) pair, one row each.

    Args:
        vol_mults: volatility multipliers (> 0; 2 doubles every vol).
        corr_shocks: correlation shocks in [-1, 1] (see :meth:`Market.shocked`).
        cross_params, portfolio_params: rule sets (preset names or params objects).

    Columns: vol_mult, corr_shock, equity (cross haircuts), cross_initial, cross_maintenance,
    portfolio_initial, portfolio_maintenance, binding_scenario (readable), portfolio_equity,
    binding_key (the scenario's identity regardless of the range's size, for jump detection).
    """
    cross_rules = presets.cross_params(cross_params)
    pm_rules = presets.portfolio_params(portfolio_params)
    mults = _values(vol_mults, "vol_mults", 1e-3, 100.0)
    shocks = _values(corr_shocks, "corr_shocks", -1.0, 1.0)
    if len(mults) * len(shocks) > MAX_SWEEP_POINTS:
        raise PortfolioError(f"shock_sweep: at most {MAX_SWEEP_POINTS} (vol, correlation) pairs.")
    arrays = book_arrays(book, market)
    spots, vols, basis, base_corr = market.vectors(arrays.assets)
    correlations = [shock_correlation(base_corr, s) for s in shocks]
    vol_states = np.outer(mults, vols)  # (M, A)
    smile = market.smile_array(arrays.assets)
    by_mult = evaluate_vol_states(arrays, spots, vol_states, basis, pm_rules, correlations, smile)
    # Cross margin feels volatility only through option marks: one row per multiplier, all at once.
    cross = cross_arrays(arrays, cross_rules, np.broadcast_to(spots, vol_states.shape), vol_states, basis, smile)
    per_mult = len(shocks)
    outcomes = [outcome for by_shock in by_mult for outcome in by_shock]  # multiplier after multiplier
    pm_equity = [outcome_equity(by_shock[0], arrays, spots, basis, pm_rules) for by_shock in by_mult]
    return pd.DataFrame({
        "vol_mult": np.repeat(mults, per_mult), "corr_shock": np.tile(shocks, len(mults)),
        "equity": np.repeat(cross["equity"], per_mult),
        "cross_initial": np.repeat(cross["initial"], per_mult),
        "cross_maintenance": np.repeat(cross["maintenance"], per_mult),
        "portfolio_initial": [float(o["initial"]) for o in outcomes],
        "portfolio_maintenance": [float(o["maintenance"]) for o in outcomes],
        "binding_scenario": [o["binding"] for o in outcomes],
        "portfolio_equity": np.repeat(pm_equity, per_mult),
        "binding_key": [o["binding_key"] for o in outcomes],
    }, columns=SWEEP_COLUMNS)


def _check_sweep(sweep: object, along: object, column: object, slope_ratio: object) -> None:
    """detect_jumps' arguments, refused with PortfolioError naming the argument (and missing columns)."""
    if not isinstance(sweep, pd.DataFrame):
        raise PortfolioError(f"sweep: expected the DataFrame shock_sweep returns (got {type(sweep).__name__}).")
    if not isinstance(along, str) or along not in ("vol_mult", "corr_shock"):
        raise PortfolioError(f"along: must be 'vol_mult' or 'corr_shock' (got {_show(along)}).")
    if not isinstance(column, str):
        raise PortfolioError(f"column: must be the name of a sweep column such as 'portfolio_maintenance' "
                             f"(got {_show(column)}).")
    ratio = _number(slope_ratio)
    if ratio is None or not math.isfinite(ratio) or not 0 <= ratio <= MAX_SLOPE_RATIO:
        raise PortfolioError(f"slope_ratio: must be a number >= 0 and at most {MAX_SLOPE_RATIO:g}, e.g. 1.5 "
                             f"(got {_show(slope_ratio)}).")
    if sweep.columns.has_duplicates:
        twice = sorted({str(c) for c in sweep.columns[sweep.columns.duplicated()]})
        raise PortfolioError(f"sweep: the column{'s' if len(twice) > 1 else ''} {', '.join(twice)} "
                             f"appear{'' if len(twice) > 1 else 's'} twice; keep one of each.")
    needed = ["vol_mult", "corr_shock", column, "binding_scenario"]
    missing = [name for name in dict.fromkeys(needed) if name not in sweep.columns]
    if missing:
        raise PortfolioError(
            f"sweep: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; pass the DataFrame "
            "shock_sweep returns (it has vol_mult, corr_shock, the requirements and binding_scenario)."
        )
    numeric = ["vol_mult", "corr_shock", column]
    for name in dict.fromkeys(numeric):
        values = sweep[name]
        try:
            if values.dtype == object:
                values = pd.to_numeric(values, errors="coerce")
            readable = (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
                        and bool(np.isfinite(values.to_numpy(dtype=float)).all()))
        except (TypeError, ValueError, OverflowError):
            readable = False
        if not readable:
            raise PortfolioError(f"sweep['{name}']: must hold finite numbers; pass the DataFrame shock_sweep returns.")
    repeated = sweep.duplicated(subset=["vol_mult", "corr_shock"])
    if repeated.any():
        first = sweep.loc[repeated, ["vol_mult", "corr_shock"]].astype(float).iloc[0]
        raise PortfolioError(
            f"sweep: the point vol_mult {first['vol_mult']:g}, corr_shock {first['corr_shock']:g} appears more than "
            "once; a sweep has one row per (vol_mult, corr_shock). Drop the repeated values."
        )


def detect_jumps(
    sweep: pd.DataFrame, along: str = "vol_mult", column: str = "portfolio_maintenance", slope_ratio: float = 1.5
) -> pd.DataFrame:
    """Points of a sweep where the requirement's slope jumps or the binding scenario changes.

    For each line of the sweep (fixed other shock), compare the slope into a point with the slope
    out of it; flag the point when the later slope exceeds ``slope_ratio`` x the earlier one
    (from a flat or gently rising stretch to a steep one) or when ``binding_scenario`` changes.

    Returns columns: vol_mult, corr_shock, value, slope_before, slope_after, scenario_before,
    scenario_after, reason.
    """
    _check_sweep(sweep, along, column, slope_ratio)
    other = "corr_shock" if along == "vol_mult" else "vol_mult"
    records = []
    for key, line in sweep.groupby(other, sort=True):
        line = line.sort_values(along)
        if along == "corr_shock":
            line = line.iloc[::-1]  # walk from "hedges hold" toward "hedges break"
        x = line[along].to_numpy(dtype=float)
        y = line[column].to_numpy(dtype=float)
        scenarios = line["binding_key" if "binding_key" in line else "binding_scenario"].tolist()
        labels = line["binding_scenario"].tolist()
        scale = max(float(np.abs(y).max()), 1.0)
        for i in range(1, len(x) - 1):
            before = (y[i] - y[i - 1]) / abs(x[i] - x[i - 1])
            after = (y[i + 1] - y[i]) / abs(x[i + 1] - x[i])
            changed = scenarios[i + 1] != scenarios[i]
            steeper = after > slope_ratio * max(before, 0.0) + 1e-6 * scale and after > 1e-6 * scale
            if steeper or changed:
                records.append({
                    "vol_mult": float(x[i]) if along == "vol_mult" else float(key),
                    "corr_shock": float(x[i]) if along == "corr_shock" else float(key),
                    "value": float(y[i]), "slope_before": float(before), "slope_after": float(after),
                    "scenario_before": labels[i], "scenario_after": labels[i + 1],
                    "reason": "binding scenario changes" if changed else "requirement starts rising faster",
                })
    return pd.DataFrame(records, columns=["vol_mult", "corr_shock", "value", "slope_before", "slope_after",
                                          "scenario_before", "scenario_after", "reason"])
