"""Derived numbers the pages show (leverages, distance in σ, chart grids). Pure; no streamlit.

Money in USD, volatility annualised as a fraction, daily σ = vol / sqrt(365) (crypto trades daily).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.stats import norm

from margin import Future, Option, Perp
from margin.instruments import INVERSE_TYPES, InverseFuture
from margin.presets import cross_params

DAYS_PER_YEAR = 365.0
#: Perps and futures, linear (sized in coins) and inverse (sized in USD of face value).
_CONTRACTS = (Perp, Future, *INVERSE_TYPES)
#: The cross breakdown's "type" of those contracts.
CONTRACT_KINDS = ("perp", "future", "inverse perp", "inverse future")

#: Shock grid of the Shocks page: 10 vol multipliers x 11 correlation shocks (one sweep).
VOL_MULTS: tuple[float, ...] = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)
CORR_SHOCKS: tuple[float, ...] = tuple(round(x, 1) for x in np.linspace(-1.0, 1.0, 11))

#: Liquidation chart: trial prices from 0.3x to 2x today's, log-spaced.
CURVE_POINTS = 160
#: From this many positions the Liquidation page searches under a spinner. A 200-position book's search
#: takes ~0.2 s on a cache miss (more on a busy server), a sample book's a few milliseconds; Streamlit
#: shows a spinner only after 0.5 s, yet starting one costs a thread on every run (0.3-34 ms measured
#: on a busy 2-core machine), which a small book's slider move should not pay for nothing.
PROGRESS_FROM_POSITIONS = 40
CURVE_LOW, CURVE_HIGH = 0.3, 2.0


def chosen_leverages(book, params=None) -> list[float]:
    """The leverage cross initial margin applies to each perp and future of ``book`` (linear or
    inverse): the one chosen, or the rule set's maximum for the asset when none is (or when the
    chosen one exceeds it). Tier caps on very large notionals are not applied. ``params``: a cross
    preset name or CrossParams."""
    rules = cross_params(params)
    out = []
    for position in book.positions:
        if isinstance(position, _CONTRACTS):
            most = rules.asset_max_leverage(position.asset)
            out.append(float(most if position.leverage is None else min(position.leverage, most)))
    return out


def daily_sigma(vol: float) -> float:
    """Daily standard deviation of returns from an annualised vol: vol / sqrt(365)."""
    return vol / math.sqrt(DAYS_PER_YEAR)


def nearest_liquidation(found: Mapping[str, object], today: float) -> float | None:
    """The liquidation price nearest today's (log distance) from ``liquidation_prices`` output."""
    if found.get("already"):
        return today
    candidates = [p for p in (found.get("below"), found.get("above")) if p is not None]
    if not candidates:
        return None
    return float(min(candidates, key=lambda p: abs(math.log(p / today))))


def other_crossing(found: Mapping[str, object], nearest: float | None) -> float | None:
    """The liquidation price on the far side of today's (a strangle dies both ways), or None."""
    if found.get("already") or nearest is None:
        return None
    others = [p for p in (found.get("below"), found.get("above")) if p is not None and p != nearest]
    return float(others[0]) if others else None


def distance(today: float, liquidation: float | None, vol: float) -> tuple[float | None, float | None]:
    """(signed fraction liq / today - 1, the same move in daily σ as a positive number).

    Example: BTC at 88,000, liquidation at 70,400, vol 55 %: -20 %, 0.20 / (0.55 / sqrt 365) = 6.9 σ.
    """
    if liquidation is None:
        return None, None
    fraction = liquidation / today - 1.0
    sigma = daily_sigma(vol)
    return fraction, (abs(fraction) / sigma if sigma > 0 else math.inf)


def days_between(sigmas: float | None) -> float | None:
    """Expected days between one-day moves of at least ``sigmas`` σ in one direction (normal model)."""
    if sigmas is None:
        return None
    tail = float(norm.sf(sigmas))
    return math.inf if tail <= 0 else 1.0 / tail


def price_grid(today: float, points: int = CURVE_POINTS, low: float = CURVE_LOW, high: float = CURVE_HIGH) -> np.ndarray:
    """Log-spaced trial prices from ``low`` x to ``high`` x today's, today's price included."""
    grid = today * np.geomspace(low, high, points - 1)
    return np.unique(np.append(grid, today))


def sweep_line(sweep: pd.DataFrame, fixed: str, value: float) -> pd.DataFrame:
    """Rows of a sweep where ``fixed`` (vol_mult or corr_shock) is nearest ``value``, sorted by the other."""
    nearest = sweep[fixed].iloc[(sweep[fixed] - value).abs().argmin()]
    along = "corr_shock" if fixed == "vol_mult" else "vol_mult"
    return sweep[np.isclose(sweep[fixed], nearest)].sort_values(along).reset_index(drop=True)


def jumps_on_line(jumps: pd.DataFrame, fixed: str, value: float, limit: int = 4) -> pd.DataFrame:
    """The jumps of ``detect_jumps`` on one line, the ``limit`` biggest slope changes first."""
    if jumps.empty:
        return jumps
    nearest = jumps[fixed].iloc[(jumps[fixed] - value).abs().argmin()]
    line = jumps[np.isclose(jumps[fixed], nearest)]
    if abs(nearest - value) > 1e-9:
        return line.iloc[0:0]
    change = (line["slope_after"] - line["slope_before"]).abs()
    biggest = line.loc[change.sort_values(ascending=False).index[:limit]]
    along = "corr_shock" if fixed == "vol_mult" else "vol_mult"
    # In walking order: volatility upward, correlation from +1 (hedges hold) toward -1 (they break).
    return biggest.sort_values(along, ascending=(along == "vol_mult")).reset_index(drop=True)


def worst_cell(grid: pd.DataFrame) -> tuple[str | None, float, float]:
    """(vol label, price move, P&L) of the grid's most negative cell (scenario grids hold P&L).

    The vol label is None when every volatility row loses the same at that move (to a millionth of
    the loss): nothing on the unit depends on volatility, and no row is "the" worst.
    """
    values = grid.to_numpy(dtype=float)
    row, col = np.unravel_index(int(np.argmin(values)), values.shape)
    column = values[:, col]
    scale = max(1.0, float(np.abs(column).max()))
    label = None if float(np.ptp(column)) <= 1e-6 * scale else str(grid.index[row])
    return label, float(grid.columns[col]), float(values[row, col])


_MOVE = r"(?<![A-Za-z0-9]){asset} ([+\-±−])\s?(\d+(?:\.\d+)?)\s?%"


def binding_moves(label: str | None, assets) -> tuple[dict[str, float], bool]:
    """({asset: price move as a fraction}, complete) read from the engine's binding-scenario label.

    The engine writes each unit's move as 'BTC -10.0%' (:func:`margin.portfolio._fmt_move`), largest
    first, at most four and then 'and N more'; ``complete`` is False when some are left unlisted.
    An asset the label does not name is left out.
    """
    moves: dict[str, float] = {}
    if not label:
        return moves, True
    for asset in assets:
        found = re.search(_MOVE.format(asset=re.escape(str(asset))), label)
        if found:
            sign = -1.0 if found.group(1) in "-−" else 1.0 if found.group(1) == "+" else 0.0
            moves[str(asset)] = sign * float(found.group(2)) / 100.0
    return moves, re.search(r"and \d+ more", label) is None


def binding_kind(key: str | None) -> tuple[str, bool]:
    """(kind, extreme) of a binding scenario from its identity key (``details['binding_key']``):
    "joint" (one move of the whole book), "alone" (a unit alone), "sum" (the units' worst cases
    added up) or "none"; ``extreme`` when it is an extreme move (counted at a fraction)."""
    key = key or "none"
    extreme = " extreme " in f" {key} "
    if key.startswith("joint"):
        return "joint", extreme
    if key.startswith("alone"):
        return "alone", extreme
    if key == "sum of units":
        return "sum", extreme
    return "none", extreme


def unit_losses(breakdown: pd.DataFrame) -> dict[str, float]:
    """Each risk unit's worst loss alone (USD), from a portfolio breakdown's "scenario loss" rows."""
    rows = breakdown[breakdown["component"] == "scenario loss"]
    return {str(unit): float(value) for unit, value in zip(rows["unit"], rows["maintenance"], strict=True)}


def addon_parts(breakdown: pd.DataFrame) -> list[tuple[str, float]]:
    """[("basis add-on on BTC", USD), ...]: the add-on rows of a portfolio breakdown (roll shock included)."""
    rows = breakdown[breakdown["component"].str.contains("add-on|minimum|roll shock", regex=True)]
    return [(f"{component} on {unit}", float(value))
            for component, unit, value in zip(rows["component"], rows["unit"], rows["maintenance"], strict=True)]


def grid_range(grid: pd.DataFrame) -> float:
    """The widest price move (a fraction) among a scenario grid's columns."""
    return float(np.abs(grid.columns.astype(float)).max()) if len(grid.columns) else 0.0


def cross_parts(breakdown: pd.DataFrame, leverages: list[float]) -> dict:
    """Cross margin by kind of position, from its breakdown (USD): "linear" (perps and futures, inverse
    ones too, whose notional is their USD face value: initial, maintenance, notional, each row's
    maintenance / notional as "rates", and the ``leverages`` used), "options" (short options:
    initial, maintenance), "borrows"."""
    def part(mask) -> dict:
        rows = breakdown[mask]
        return {"initial": float(rows["initial"].sum()), "maintenance": float(rows["maintenance"].sum()),
                "notional": float(rows["notional"].sum())}

    kinds = breakdown["type"]
    linear_mask = kinds.isin(CONTRACT_KINDS)
    linear = part(linear_mask)
    rows = breakdown[linear_mask & (breakdown["notional"] > 0) & (breakdown["maintenance"] > 0)]
    linear.update(rates=(rows["maintenance"] / rows["notional"]).tolist(), leverages=list(leverages) or [1.0])
    return {"linear": linear if linear_mask.any() else None,
            "options": part(kinds == "option") if (kinds == "option").any() else None,
            "borrows": part(kinds == "borrow") if (kinds == "borrow").any() else None}


def correlation_culprit(matrix: pd.DataFrame, assets: list[str] | None = None) -> tuple[str, str, float] | None:
    """The pair that pulls the correlation matrix furthest from valid, or None when it is valid.

    With v the eigenvector of the smallest eigenvalue, lambda_min = sum v_i^2 + 2 sum_{i<j} v_i v_j rho_ij;
    the pair with the most negative v_i v_j rho_ij contributes most to the negative eigenvalue.
    ``assets`` restricts the answer to pairs among those assets (the ones the user can edit).
    """
    values = matrix.to_numpy(dtype=float)
    eigenvalues, eigenvectors = np.linalg.eigh((values + values.T) / 2.0)
    if eigenvalues[0] >= -1e-9:
        return None
    v = eigenvectors[:, 0]
    contribution = np.outer(v, v) * values
    names = list(matrix.index)
    allowed = set(assets) if assets else set(names)
    best = None
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            if names[i] in allowed and names[j] in allowed and (best is None or contribution[i, j] < best[0]):
                best = (contribution[i, j], names[i], names[j], float(values[i, j]))
    return None if best is None else (best[1], best[2], best[3])


def correlation_with_pairs(base: pd.DataFrame, pairs: Mapping[tuple[str, str], float]) -> pd.DataFrame:
    """``base`` with some pairs replaced (both triangles), as a new DataFrame."""
    frame = base.copy()
    for (a, b), rho in pairs.items():
        frame.loc[a, b] = frame.loc[b, a] = float(rho)
    return frame


def nice_step(magnitude: float) -> float:
    """A round step about 1/100 of ``magnitude``: 23.66 -> 0.1, 88,000 -> 100, 0.15 -> 0.001."""
    if magnitude <= 0 or not math.isfinite(magnitude):
        return 0.01
    return float(10 ** (math.floor(math.log10(magnitude)) - 2))


def slider_ranges(position, spot: float, max_leverage: float) -> dict[str, dict[str, float]]:
    """Slider bounds for one position: field -> {min, max, step, value}.

    size: 0 to 5x today's size (in coins; an inverse contract's in USD of face value); leverage
    (perps, futures): 1 to the rule set's maximum; strike (options): 0.3x to 2x spot; expiry
    (options, futures): 0 to a year (or further if set so).
    """
    size = abs(position.usd_size) if isinstance(position, INVERSE_TYPES) else abs(position.qty)
    ranges = {"size": {"min": 0.0, "max": max(5.0 * size, 1.0), "step": nice_step(max(size, 1e-6)),
                       "value": size}}
    if isinstance(position, _CONTRACTS):
        value = position.leverage if position.leverage is not None else max_leverage
        ranges["leverage"] = {"min": 1.0, "max": float(max(max_leverage, value)), "step": 1.0, "value": float(value)}
    if isinstance(position, Option):
        low, high = min(0.3 * spot, position.strike), max(2.0 * spot, position.strike)
        step = nice_step(spot)
        ranges["strike"] = {"min": math.floor(low / step) * step, "max": math.ceil(high / step) * step,
                            "step": step, "value": position.strike}
    if isinstance(position, (Option, Future, InverseFuture)):
        ranges["expiry"] = {"min": 0.0, "max": float(max(365.0, position.expiry_days)), "step": 1.0,
                            "value": float(position.expiry_days)}
    return ranges


def slider_format(step: float) -> str:
    """A printf format showing a slider's value to its step's decimals: a strike on a $1,000 step reads
    "100000", not "100000.00"; on a $0.001 step, "0.125"."""
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 2
    return f"%.{decimals}f"


def same_position(book, index: int, position):
    """``book``'s position at ``index`` when it is the same kind of position on the same asset as
    ``position`` (so its slider ranges still apply), else ``position`` itself."""
    if 0 <= index < len(book.positions):
        candidate = book.positions[index]
        if type(candidate) is type(position) and candidate.asset == position.asset:
            return candidate
    return position


def anchored_slider_ranges(position, anchor, spot: float, max_leverage: float) -> dict[str, dict[str, float]]:
    """Slider bounds from ``anchor`` (the position before the user started dragging), widened to
    hold ``position``'s current values, which they show. See :func:`slider_ranges`."""
    anchored = slider_ranges(anchor, spot, max_leverage)
    current = slider_ranges(position, spot, max_leverage)
    for field, bounds in anchored.items():
        value = current[field]["value"]
        bounds.update(value=value, min=min(bounds["min"], value), max=max(bounds["max"], value))
    return anchored
