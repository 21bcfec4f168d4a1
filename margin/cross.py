"""Cross and isolated margin: shared collateral, per-position rules summed, no offsets.

Equity = holdings at mark x (1 - haircut) (a borrow counts in full) + unrealised P&L of perps
and futures + option marks (long +, short -). Requirement = sum over positions:

* perps / futures: initial = |notional| / min(leverage, tier max leverage); maintenance =
  |notional| x rate(tier) - deduction(tier) (Hyperliquid "Margin tiers"; Binance brackets);
* short options (Deribit standard margin): initial = max(0.15 - OTM/underlying, 0.10) x
  underlying + mark, maintenance = 0.075 x underlying + mark, per contract; long options none;
* borrows (negative spot): rate x |USD value|.

Volatility moves the cross requirement only through option marks ("indirect").
Everything is computed on arrays of price scenarios so the liquidation search and the sweeps
can evaluate many prices in one call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from margin.book import BookArrays, book_arrays, equity_parts, linear_marks, market_vectors
from margin.errors import PortfolioError
from margin.instruments import Portfolio
from margin.market import Market
from margin.params import CrossParams
from margin.presets import cross_params
from margin.results import MarginResult


def _tier_lookup(params: CrossParams, assets: tuple[str, ...], asset_index: np.ndarray, notional: np.ndarray):
    """(rate, deduction) of each linear position's tier; notional shape (n, L)."""
    rate = np.zeros_like(notional)
    deduction = np.zeros_like(notional)
    for a, asset in enumerate(assets):
        columns = asset_index == a
        if not columns.any():
            continue
        tiers = np.array(params.tiers_for(asset))
        tier = np.searchsorted(tiers[:, 0], notional[:, columns], side="right") - 1
        tier = np.clip(tier, 0, len(tiers) - 1)
        rate[:, columns] = tiers[tier, 1]
        deduction[:, columns] = tiers[tier, 2]
    return rate, deduction


def _max_leverage(params: CrossParams, arrays: BookArrays) -> np.ndarray:
    return np.array([params.asset_max_leverage(arrays.assets[a]) for a in arrays.lin_asset], dtype=float)


def linear_requirements(arrays: BookArrays, params: CrossParams, marks: np.ndarray) -> dict[str, np.ndarray]:
    """Initial and maintenance of perps/futures at marks of shape (n, L), USD."""
    notional = np.abs(arrays.lin_qty) * marks
    rate, deduction = _tier_lookup(params, arrays.assets, arrays.lin_asset, notional)
    maintenance = np.maximum(notional * rate - deduction, 0.0)
    asset_max = _max_leverage(params, arrays)
    chosen = np.where(np.isnan(arrays.lin_leverage), asset_max, np.minimum(arrays.lin_leverage, asset_max))
    tier_max = np.where(rate > 0, 1.0 / (2.0 * np.where(rate > 0, rate, 1.0)), np.inf)
    leverage = np.minimum(chosen, tier_max)
    initial = np.maximum(notional / leverage, maintenance)
    return {"notional": notional, "rate": rate, "deduction": deduction, "initial": initial,
            "maintenance": maintenance, "leverage": np.broadcast_to(leverage, notional.shape)}


def option_requirements(arrays: BookArrays, params: CrossParams, spots: np.ndarray, marks: np.ndarray):
    """Deribit standard margin of short options at spots (n, A) and marks (n, O), USD."""
    underlying = spots[:, arrays.opt_asset]
    out_of_money = np.where(
        arrays.opt_is_call, np.maximum(arrays.opt_strike - underlying, 0.0), np.maximum(underlying - arrays.opt_strike, 0.0)
    )
    initial_rate = np.maximum(params.option_initial_base - out_of_money / underlying, params.option_initial_floor)
    short = np.maximum(-arrays.opt_qty, 0.0)
    initial = short * (initial_rate * underlying + marks)
    maintenance = short * (params.option_maintenance_rate * underlying + marks)
    return {"initial": initial, "maintenance": maintenance}


def cross_arrays(
    arrays: BookArrays,
    params: CrossParams,
    spots: np.ndarray,
    vols: np.ndarray,
    basis: np.ndarray,
) -> dict[str, np.ndarray]:
    """Cross equity and requirements at every row of ``spots`` (shape (n, A), USD).

    ``vols`` has shape (A,) or (n, A) (annualised fractions). Returns arrays of shape (n,) for
    "equity", "initial", "maintenance" and per-line arrays for the breakdown.
    """
    spots = np.atleast_2d(np.asarray(spots, dtype=float))
    haircut = np.array([params.haircut(arrays.assets[a]) for a in arrays.hold_asset], dtype=float)
    valued = equity_parts(arrays, spots, vols, basis, haircut)
    linear = linear_requirements(arrays, params, valued["lin_mark"])
    options = option_requirements(arrays, params, spots, valued["opt_mark"])
    borrowed = np.maximum(-arrays.hold_qty, 0.0) * valued["hold_price"]
    hold_initial = borrowed * params.borrow_initial_rate
    hold_maintenance = borrowed * params.borrow_maintenance_rate
    initial = linear["initial"].sum(axis=1) + options["initial"].sum(axis=1) + hold_initial.sum(axis=1)
    maintenance = (
        linear["maintenance"].sum(axis=1) + options["maintenance"].sum(axis=1) + hold_maintenance.sum(axis=1)
    )
    return {
        **valued, "initial": initial, "maintenance": maintenance,
        **{f"lin_{k}": v for k, v in linear.items()},
        "opt_initial": options["initial"], "opt_maintenance": options["maintenance"],
        "hold_initial": hold_initial, "hold_maintenance": hold_maintenance, "hold_haircut": haircut,
    }


def _breakdown(arrays: BookArrays, parts: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = []
    for j, position_index in enumerate(arrays.lin_index):
        rate = parts["lin_rate"][0, j]
        rows.append({
            "position": arrays.labels[position_index], "asset": arrays.assets[arrays.lin_asset[j]],
            "type": "future" if arrays.lin_is_future[j] else "perp", "qty": arrays.lin_qty[j],
            "notional": parts["lin_notional"][0, j], "mark": parts["lin_mark"][0, j],
            "equity": parts["lin_upnl"][0, j], "initial": parts["lin_initial"][0, j],
            "maintenance": parts["lin_maintenance"][0, j],
            "rule": f"IM at {parts['lin_leverage'][0, j]:g}x; MM {rate * 100:.3g} % of notional"
                    + (f" - {parts['lin_deduction'][0, j]:,.0f}" if parts["lin_deduction"][0, j] else ""),
        })
    for j, position_index in enumerate(arrays.opt_index):
        short = arrays.opt_qty[j] < 0
        rows.append({
            "position": arrays.labels[position_index], "asset": arrays.assets[arrays.opt_asset[j]],
            "type": "option", "qty": arrays.opt_qty[j],
            "notional": abs(arrays.opt_qty[j]) * parts["opt_spot"][0, j],
            "mark": parts["opt_mark"][0, j], "equity": parts["opt_value"][0, j],
            "initial": parts["opt_initial"][0, j], "maintenance": parts["opt_maintenance"][0, j],
            "rule": "short option: IM max(15 % - OTM, 10 %) of underlying + mark; MM 7.5 % + mark"
                    if short else "long option: premium paid, no margin",
        })
    for j, a in enumerate(arrays.hold_asset):
        qty = arrays.hold_qty[j]
        rows.append({
            "position": f"{'Hold' if qty > 0 else 'Borrow'} {abs(qty):,.6g} {arrays.assets[a]}",
            "asset": arrays.assets[a], "type": "holding" if qty > 0 else "borrow", "qty": qty,
            "notional": abs(qty) * parts["hold_price"][0, j], "mark": parts["hold_price"][0, j],
            "equity": parts["hold_value"][0, j], "initial": parts["hold_initial"][0, j],
            "maintenance": parts["hold_maintenance"][0, j],
            "rule": f"counted at {(1 - parts['hold_haircut'][j]) * 100:.0f} % of value" if qty > 0
                    else "borrow margin on the USD value",
        })
    return pd.DataFrame(rows, columns=["position", "asset", "type", "qty", "notional", "mark", "equity",
                                       "initial", "maintenance", "rule"])


def cross_margin(book: Portfolio, market: Market, params: CrossParams | str | None = None) -> MarginResult:
    """Cross margin of ``book``: shared collateral, sum of per-position requirements (USD).

    Args:
        book: the Portfolio.
        market: the Market (every asset of the book needs a price and a vol).
        params: None (the "hyperliquid" preset), a preset name ("hyperliquid", "binance",
            "deribit") or a CrossParams.

    Example: one BTC perp long at 40x max leverage (Hyperliquid) with BTC at 88,000 USD has
    maintenance 88,000 x 1.25 % = 1,100 USD and, at 10x, initial 8,800 USD.
    """
    rules = cross_params(params)
    arrays = book_arrays(book, market)
    spots, vols, basis = market_vectors(arrays, market)
    parts = cross_arrays(arrays, rules, spots[None, :], vols, basis)
    parts["opt_spot"] = spots[None, arrays.opt_asset]
    return MarginResult(
        mode="cross",
        initial=float(parts["initial"][0]),
        maintenance=float(parts["maintenance"][0]),
        equity=float(parts["equity"][0]),
        breakdown_source=lambda: _breakdown(arrays, parts),
        params_name=rules.name,
    )


def isolated_arrays(arrays: BookArrays, params: CrossParams, asset: str, spots: np.ndarray, basis: np.ndarray):
    """Isolated sub-account of the perps/futures on ``asset`` at spots (n, A): equity, initial, maintenance."""
    if asset not in arrays.assets:
        raise PortfolioError(f"asset: the book has no position on '{asset}'.")
    a = arrays.assets.index(asset)
    mask = arrays.lin_asset == a
    if not mask.any():
        raise PortfolioError(
            f"asset: isolated mode needs a perp or future on '{asset}' (options and spot stay in cross)."
        )
    spots = np.atleast_2d(spots)
    marks = linear_marks(arrays, spots, basis)[:, mask]
    sub = _subset(arrays, mask)
    requirement = linear_requirements(sub, params, marks)
    asset_max = _max_leverage(params, sub)
    chosen = np.where(np.isnan(sub.lin_leverage), asset_max, np.minimum(sub.lin_leverage, asset_max))
    default_margin = np.abs(sub.lin_qty) * sub.lin_entry / chosen
    held = np.where(np.isnan(sub.lin_isolated), default_margin, sub.lin_isolated)
    equity = held.sum() + (sub.lin_qty * (marks - sub.lin_entry)).sum(axis=1)
    return {"equity": equity, "initial": requirement["initial"].sum(axis=1),
            "maintenance": requirement["maintenance"].sum(axis=1), "held": held, "marks": marks,
            "sub": sub, "parts": requirement}


def _subset(arrays: BookArrays, mask: np.ndarray) -> BookArrays:
    empty_i, empty_f, empty_b = np.array([], dtype=int), np.array([], dtype=float), np.array([], dtype=bool)
    return BookArrays(
        assets=arrays.assets, lin_asset=arrays.lin_asset[mask], lin_qty=arrays.lin_qty[mask],
        lin_entry=arrays.lin_entry[mask], lin_years=arrays.lin_years[mask],
        lin_is_future=arrays.lin_is_future[mask], lin_leverage=arrays.lin_leverage[mask],
        lin_isolated=arrays.lin_isolated[mask], lin_index=arrays.lin_index[mask],
        opt_asset=empty_i, opt_qty=empty_f, opt_strike=empty_f, opt_years=empty_f, opt_days=empty_f,
        opt_is_call=empty_b, opt_index=empty_i, hold_asset=empty_i, hold_qty=empty_f, positions=arrays.positions,
    )


def isolated_margin(
    book: Portfolio, market: Market, asset: str, params: CrossParams | str | None = None
) -> MarginResult:
    """Isolated margin of the perps/futures on ``asset``: a sub-account holding their isolated margin.

    Each position holds ``isolated_margin`` USD (default |qty| x entry / leverage); nothing else in
    the account can help it. Requirements follow the same rules as cross.
    """
    rules = cross_params(params)
    arrays = book_arrays(book, market)
    spots, _, basis = market_vectors(arrays, market)
    result = isolated_arrays(arrays, rules, asset, spots[None, :], basis)
    sub, parts = result["sub"], result["parts"]
    rows = [{
        "position": arrays.labels[i], "asset": asset, "type": "future" if sub.lin_is_future[j] else "perp",
        "qty": sub.lin_qty[j], "notional": parts["notional"][0, j], "mark": result["marks"][0, j],
        "equity": result["held"][j] + sub.lin_qty[j] * (result["marks"][0, j] - sub.lin_entry[j]),
        "initial": parts["initial"][0, j], "maintenance": parts["maintenance"][0, j],
        "rule": f"holds {result['held'][j]:,.2f} USD isolated margin",
    } for j, i in enumerate(sub.lin_index)]
    return MarginResult(
        mode="isolated",
        initial=float(result["initial"][0]),
        maintenance=float(result["maintenance"][0]),
        equity=float(result["equity"][0]),
        breakdown_source=pd.DataFrame(rows),
        params_name=rules.name,
    )
