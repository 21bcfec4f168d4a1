"""Cross and isolated margin: shared collateral, per-position rules summed, no offsets.

Equity = holdings at mark x (1 - haircut) (a borrow counts in full) + unrealised P&L of perps
and futures + option marks (long +, short -). Requirement = sum over positions:

* perps / futures: one position per instrument (asset and contract: the perp, or the future of
  one expiry), as venues keep in one-way mode: rows on the same instrument are netted, and the tier
  comes from the whole position's notional. Maintenance = |net notional| x rate(tier) -
  deduction(tier) (Hyperliquid "Margin tiers"; Binance brackets), shared by the rows by size;
  initial = |notional| / min(leverage, tier max leverage) row by row, on the part of the net
  position each row keeps (see :func:`linear_requirements`);
* short options (Deribit standard margin): initial = max(0.15 - OTM/underlying, 0.10) x
  underlying + mark, maintenance = 0.075 x underlying + mark, per contract; long options none;
* borrows (negative spot): rate x |USD value|.

Volatility moves the cross requirement only through option marks ("indirect").
Everything is computed on arrays of price scenarios so the liquidation search and the sweeps
can evaluate many prices in one call.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """(rate, deduction, max leverage) of each position's tier; notional shape (n, P), ``asset_index``
    shape (P,)."""
    rate = np.zeros_like(notional)
    deduction = np.zeros_like(notional)
    tier_leverage = np.full_like(notional, np.inf)
    for a, asset in enumerate(assets):
        columns = asset_index == a
        if not columns.any():
            continue
        tiers = np.array(params.tiers_for(asset))
        tier = np.searchsorted(tiers[:, 0], notional[:, columns], side="right") - 1
        tier = np.clip(tier, 0, len(tiers) - 1)
        rate[:, columns] = tiers[tier, 1]
        deduction[:, columns] = tiers[tier, 2]
        tier_leverage[:, columns] = tiers[tier, 3]
    return rate, deduction, tier_leverage


def _max_leverage(params: CrossParams, arrays: BookArrays) -> np.ndarray:
    return np.array([params.asset_max_leverage(arrays.assets[a]) for a in arrays.lin_asset], dtype=float)


@dataclass(frozen=True)
class Instruments:
    """The perps/futures rows of a book grouped into instruments (one position each).

    An instrument is an asset and a contract: its perp, or its future of one expiry
    (``lin_years``). ``group[j]`` is the instrument of row j, ``first[g]`` one row of instrument g
    (every row of an instrument has the same mark), ``asset[g]`` its asset index, ``net_qty[g]``
    the signed sum of its rows, ``rows[g]`` how many rows it has. ``share[j]`` is row j's part of
    its instrument's net position: |qty_j| / (sum of |qty| of the rows on the net position's side)
    for those rows, 0 for rows against the net side (one-way mode closes them into it) and for every
    row of an instrument whose net is 0. The shares of an instrument sum to 1 unless its net is 0.
    """

    group: np.ndarray
    first: np.ndarray
    asset: np.ndarray
    net_qty: np.ndarray
    rows: np.ndarray
    share: np.ndarray

    @property
    def count(self) -> int:
        return int(self.first.size)


def position_sizes(arrays: BookArrays) -> np.ndarray:
    """Each perp/future row's signed size in the unit its venue counts it in: coins for a linear
    contract, the USD face value for a coin-margined (inverse) one."""
    return np.where(arrays.lin_is_inverse, arrays.lin_face, arrays.lin_qty)


def notional_per_size(arrays: BookArrays, marks: np.ndarray) -> np.ndarray:
    """USD notional per unit of :func:`position_sizes` at ``marks`` (n, L): the mark for a linear
    contract, 1 for an inverse one (its notional is its USD face value whatever the price)."""
    return np.where(arrays.lin_is_inverse, 1.0, marks)


def instruments(arrays: BookArrays) -> Instruments:
    """Group the linear rows of ``arrays`` by instrument (kept with the book: prices do not enter)."""
    cached = arrays.memo.get("cross_instruments")
    if cached is not None:
        return cached
    qty = position_sizes(arrays)
    if qty.size:
        keys = np.column_stack([arrays.lin_asset.astype(float), arrays.lin_is_future.astype(float),
                                arrays.lin_years, arrays.lin_is_inverse.astype(float)])
        _, first, group = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        group = np.asarray(group).reshape(-1)
    else:
        first, group = np.array([], dtype=int), np.array([], dtype=int)
    count = first.size
    net_qty = np.bincount(group, qty, minlength=count)
    side = np.sign(net_qty)[group]
    on_net_side = (np.sign(qty) == side) & (side != 0)
    gross_on_side = np.bincount(group, np.where(on_net_side, np.abs(qty), 0.0), minlength=count)
    share = np.where(on_net_side, np.abs(qty) / np.where(gross_on_side > 0, gross_on_side, 1.0)[group], 0.0)
    found = Instruments(group=group, first=first, asset=arrays.lin_asset[first], net_qty=net_qty,
                        rows=np.bincount(group, minlength=count), share=share)
    for value in vars(found).values():
        value.setflags(write=False)  # cached with the book: never modified in place
    arrays.memo["cross_instruments"] = found
    return found


def linear_requirements(arrays: BookArrays, params: CrossParams, marks: np.ndarray) -> dict[str, np.ndarray]:
    """Initial and maintenance of perps/futures at marks of shape (n, L), USD, per row.

    Venues hold one position per instrument (one-way mode) and take its tier from the whole
    position, so rows on the same asset and contract (the perp, or the future of one expiry) are
    one position (:func:`instruments`):

    * the instrument's net quantity Q is the signed sum of its rows; its tier (rate, deduction and
      max leverage, the venue's figure or 1 / (2 x rate)) comes from |Q| x mark, and its maintenance is
      max(|Q| x mark x rate - deduction, 0);
    * rows of opposite sign net, as one-way mode nets them: a long 2 and a short 1 on one perp are a
      long 1 position. The rows on the net side share the net position pro rata to |qty| (row j
      keeps share_j x |Q| of it, share_j = |qty_j| / their total |qty|); rows against the net side
      were closed into it and carry no initial and no maintenance of their own (all of them carry 0
      when Q = 0). Their P&L still counts in equity, row by row at its own entry;
    * each row's maintenance is its share of the instrument's; its initial is its kept notional
      share_j x |Q| x mark over its own leverage, min(chosen or asset max, tier max leverage of the
      whole position), and at least its maintenance. With every row on one side this is
      |notional_j| / leverage_j.

    So splitting a row into rows of the same side (quantities summing to it) changes neither
    requirement. Returned arrays are (n, L): "notional" (the row's own |qty| x mark),
    "position_notional" (|Q| x mark of its instrument), "rate", "deduction", "leverage" (the
    instrument's tier and the row's leverage), "initial", "maintenance".

    Example (Binance preset, BTC at 87,959.91): 200 BTC long as one row or as 200 rows of 1 BTC is
    one 17.59M USD position in the 2 % bracket (cum 131,450): maintenance 220,389.63 USD.
    """
    marks = np.asarray(marks, dtype=float)
    found = instruments(arrays)
    per_size = notional_per_size(arrays, marks)
    notional = np.abs(position_sizes(arrays)) * per_size
    position_notional = np.abs(found.net_qty) * per_size[:, found.first]  # (n, G)
    rate, deduction, tier_max = _tier_lookup(params, arrays.assets, found.asset, position_notional)
    position_maintenance = np.maximum(position_notional * rate - deduction, 0.0)
    maintenance = position_maintenance[:, found.group] * found.share
    rate, deduction, tier_max = rate[:, found.group], deduction[:, found.group], tier_max[:, found.group]
    position_notional = position_notional[:, found.group]
    asset_max = _max_leverage(params, arrays)
    chosen = np.where(np.isnan(arrays.lin_leverage), asset_max, np.minimum(arrays.lin_leverage, asset_max))
    leverage = np.minimum(chosen, tier_max)
    initial = np.maximum(position_notional * found.share / leverage, maintenance)
    return {"notional": notional, "position_notional": position_notional, "rate": rate,
            "deduction": deduction, "initial": initial, "maintenance": maintenance,
            "leverage": np.broadcast_to(leverage, notional.shape)}


def net_short_options(arrays: BookArrays) -> np.ndarray:
    """Contracts short of each option row once rows of the same option (asset, kind, strike, expiry,
    settlement) net, as a venue holds one position per instrument: a long and a short of one option
    are no position; the net short is shared by the short rows pro rata (kept with the book)."""
    cached = arrays.memo.get("net_short_options")
    if cached is not None:
        return cached
    qty = arrays.opt_qty
    if qty.size:
        keys = np.column_stack([arrays.opt_asset.astype(float), arrays.opt_is_call.astype(float), arrays.opt_strike,
                                arrays.opt_days, arrays.opt_coin_settled.astype(float)])
        _, group = np.unique(keys, axis=0, return_inverse=True)
        group = np.asarray(group).reshape(-1)
        net_short = np.maximum(-np.bincount(group, qty), 0.0)
        short = np.maximum(-qty, 0.0)
        gross_short = np.bincount(group, short)
        shared = short * np.divide(net_short, gross_short, out=np.zeros_like(net_short), where=gross_short > 0)[group]
    else:
        shared = np.zeros(0)
    shared.setflags(write=False)
    arrays.memo["net_short_options"] = shared
    return shared


def option_requirements(arrays: BookArrays, params: CrossParams, spots: np.ndarray, marks: np.ndarray):
    """Deribit standard margin of short options at spots (n, A) and marks (n, O), USD, on each row's
    share of its option's net short position (:func:`net_short_options`)."""
    underlying = spots[:, arrays.opt_asset]
    out_of_money = np.where(
        arrays.opt_is_call, np.maximum(arrays.opt_strike - underlying, 0.0), np.maximum(underlying - arrays.opt_strike, 0.0)
    )
    initial_rate = np.maximum(params.option_initial_base - out_of_money / underlying, params.option_initial_floor)
    short = net_short_options(arrays)
    initial = short * (initial_rate * underlying + marks)
    maintenance = short * (params.option_maintenance_rate * underlying + marks)
    return {"initial": initial, "maintenance": maintenance}


def cross_arrays(
    arrays: BookArrays,
    params: CrossParams,
    spots: np.ndarray,
    vols: np.ndarray,
    basis: np.ndarray,
    smile: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Cross equity and requirements at every row of ``spots`` (shape (n, A), USD).

    ``vols`` has shape (A,) or (n, A) (annualised fractions, at the money; ``smile`` (A, 2) the
    market's smile, None for flat: :func:`margin.book.option_vols`). Returns arrays of shape (n,) for
    "equity", "initial", "maintenance" and per-line arrays for the breakdown.
    """
    spots = np.atleast_2d(np.asarray(spots, dtype=float))
    haircut = np.array([params.haircut(arrays.assets[a]) for a in arrays.hold_asset], dtype=float)
    valued = equity_parts(arrays, spots, vols, basis, haircut, smile)
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


def _contract_type(arrays: BookArrays, j: int) -> str:
    """"perp", "future", "inverse perp" or "inverse future" for linear row j."""
    kind = "future" if arrays.lin_is_future[j] else "perp"
    return f"inverse {kind}" if arrays.lin_is_inverse[j] else kind


def _linear_rule(arrays: BookArrays, parts: dict[str, np.ndarray], j: int) -> str:
    """The breakdown's rule text of linear row j (a row sharing its instrument says so)."""
    rate, deduction = parts["lin_rate"][0, j], parts["lin_deduction"][0, j]
    mm = f"MM {rate * 100:.3g} % of notional" + (f" - {deduction:,.0f}" if deduction else "")
    found = instruments(arrays)
    g = found.group[j]
    if found.rows[g] == 1:
        return f"IM at {parts['lin_leverage'][0, j]:g}x; {mm}"
    net = found.net_qty[g]
    contract = _contract_type(arrays, j) + ("" if not arrays.lin_is_future[j] else f" {arrays.lin_years[j] * 365:g}d")
    size = f"${abs(net):,.6g}" if arrays.lin_is_inverse[j] else f"{abs(net):,.6g}"
    position = f"one {'long' if net > 0 else 'short'} {size} {arrays.assets[found.asset[g]]} {contract}"
    if found.share[j] == 0:
        return (f"nets into {position} position (one-way mode): no margin of its own" if net
                else "nets to a zero position with its other rows: no margin")
    return (f"IM at {parts['lin_leverage'][0, j]:g}x; MM {rate * 100:.3g} % of the "
            f"{parts['lin_position_notional'][0, j]:,.0f} USD notional of {position} position"
            + (f" - {deduction:,.0f}" if deduction else "") + ", shared by size")


def _breakdown(arrays: BookArrays, parts: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = []
    for j, position_index in enumerate(arrays.lin_index):
        rows.append({
            "position": arrays.labels[position_index], "asset": arrays.assets[arrays.lin_asset[j]],
            "type": _contract_type(arrays, j), "qty": arrays.lin_qty[j],
            "notional": parts["lin_notional"][0, j], "mark": parts["lin_mark"][0, j],
            "equity": parts["lin_upnl"][0, j], "initial": parts["lin_initial"][0, j],
            "maintenance": parts["lin_maintenance"][0, j], "rule": _linear_rule(arrays, parts, j),
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
    parts = cross_arrays(arrays, rules, spots[None, :], vols, basis, market.smile_array(arrays.assets))
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
    """Isolated sub-account of the perps/futures on ``asset`` at spots (n, A): equity, initial, maintenance.

    Requirements follow :func:`linear_requirements` on the asset's rows alone, so its rows on one
    instrument are one position there too.
    """
    sub = _isolated_subset(arrays, asset)
    spots = np.atleast_2d(spots)
    marks = linear_marks(sub, spots, basis)
    requirement = linear_requirements(sub, params, marks)  # rows on one instrument: one position
    asset_max = _max_leverage(params, sub)
    chosen = np.where(np.isnan(sub.lin_leverage), asset_max, np.minimum(sub.lin_leverage, asset_max))
    default_margin = np.abs(sub.lin_qty) * sub.lin_entry / chosen
    held = np.where(np.isnan(sub.lin_isolated), default_margin, sub.lin_isolated)
    equity = held.sum() + (sub.lin_qty * (marks - sub.lin_entry)).sum(axis=1)
    return {"equity": equity, "initial": requirement["initial"].sum(axis=1),
            "maintenance": requirement["maintenance"].sum(axis=1), "held": held, "marks": marks,
            "sub": sub, "parts": requirement}


def _isolated_subset(arrays: BookArrays, asset: str) -> BookArrays:
    """The perps/futures of ``asset`` as a book of their own (cached with the book, per asset, so
    its instrument grouping is computed once)."""
    if asset not in arrays.assets:
        raise PortfolioError(f"asset: the book has no position on '{asset}'.")
    subsets = arrays.memo.setdefault("cross_isolated_subsets", {})
    if asset not in subsets:
        mask = arrays.lin_asset == arrays.assets.index(asset)
        if not mask.any():
            raise PortfolioError(
                f"asset: isolated mode needs a perp or future on '{asset}' (options and spot stay in cross)."
            )
        subsets[asset] = _subset(arrays, mask)
    return subsets[asset]


def _subset(arrays: BookArrays, mask: np.ndarray) -> BookArrays:
    empty_i, empty_f, empty_b = np.array([], dtype=int), np.array([], dtype=float), np.array([], dtype=bool)
    return BookArrays(
        assets=arrays.assets, lin_asset=arrays.lin_asset[mask], lin_qty=arrays.lin_qty[mask],
        lin_entry=arrays.lin_entry[mask], lin_years=arrays.lin_years[mask],
        lin_is_future=arrays.lin_is_future[mask], lin_leverage=arrays.lin_leverage[mask],
        lin_isolated=arrays.lin_isolated[mask], lin_index=arrays.lin_index[mask],
        lin_is_inverse=arrays.lin_is_inverse[mask], lin_face=arrays.lin_face[mask],
        opt_asset=empty_i, opt_qty=empty_f, opt_strike=empty_f, opt_years=empty_f, opt_days=empty_f,
        opt_is_call=empty_b, opt_coin_settled=empty_b, opt_index=empty_i, hold_asset=empty_i, hold_qty=empty_f, positions=arrays.positions,
    )


def isolated_margin(
    book: Portfolio, market: Market, asset: str, params: CrossParams | str | None = None
) -> MarginResult:
    """Isolated margin of the perps/futures on ``asset``: a sub-account holding their isolated margin.

    Each position holds ``isolated_margin`` USD (default |qty| x entry / leverage); nothing else in
    the account can help it. Requirements follow the same rules as cross.
    """
    if not isinstance(asset, str):
        raise PortfolioError(f"asset: must be a ticker such as 'BTC' (got {type(asset).__name__}).")
    rules = cross_params(params)
    arrays = book_arrays(book, market)
    spots, _, basis = market_vectors(arrays, market)
    result = isolated_arrays(arrays, rules, asset, spots[None, :], basis)
    sub, parts = result["sub"], result["parts"]
    rows = [{
        "position": arrays.labels[i], "asset": asset, "type": _contract_type(sub, j),
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
