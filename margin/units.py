"""Risk units as arrays: every underlying of a book and everything written on it, revalued at once.

Portfolio margin revalues each risk unit (one underlying: its spot holdings, perps, futures and
options) at many relative price moves and three volatility states. Looping over units in Python
costs a fixed few tens of microseconds per unit, more than the arithmetic of a small book, so the
units are kept as one struct of arrays and revalued in a single vectorised pass: one Black-76
call for every option of the book at every distinct move of its own unit.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np

from margin.book import BookArrays
from margin.market import is_stablecoin
from margin.params import PortfolioParams
from margin.pricing import Black76Revaluer, black76_price

#: Moves equal to 13 decimals are revalued once (a relative move of 1e-13 changes no price visibly).
_MOVE_DECIMALS = 13
#: Distinct moves are looked up only from this many option prices per revaluation and this many
#: options per search (one per unit holding options, or per pattern of units repeated across
#: stacked states); below either, finding them costs more than it saves.
_DEDUP_MIN_PRICES = 4096
_DEDUP_MIN_OPTIONS_PER_SEARCH = 2
#: Option prices per pricing block: about 16 arrays of this many floats fit in a 2 MB cache.
_PRICES_PER_BLOCK = 16_384
#: A forward of zero (a move of -100 %) is priced at this forward: its log stays finite.
_TINY_PRICE = 1e-12


def scan_range(params: PortfolioParams, asset: str, vol: float) -> float:
    """max(floor, k x vol x sqrt(horizon / 365)), as a fraction of spot, capped at 95 %."""
    responsive = params.range_vol_multiple * vol * np.sqrt(params.range_horizon_days / 365.0)
    return float(min(max(params.range_floor(asset), responsive), 0.95))


def shocked_vols(params: PortfolioParams, iv, days: np.ndarray) -> np.ndarray:
    """(3, n) vols up / flat / down for options with ``days`` to expiry and implied vol ``iv``
    (a scalar or one per option), by DESIGN.md's (30/DTE)^p rule."""
    dte = np.maximum(np.asarray(days, dtype=float), params.min_dte_days)
    power = np.where(dte < params.vol_reference_days, params.vol_power_short, params.vol_power_long)
    factor = (params.vol_reference_days / dte) ** power
    iv = np.broadcast_to(np.asarray(iv, dtype=float), factor.shape)
    up = iv * (1.0 + params.vol_up_shift * factor)
    down = iv * np.maximum(1.0 - params.vol_down_shift * factor, 0.05)
    return np.vstack([up, iv, down])


@dataclass(frozen=True)
class RiskUnit:
    """One underlying and everything on it. Money in USD, vols annualised, moves as fractions."""

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


@dataclass(frozen=True)
class UnitSet:
    """All risk units of a book, unit ``u`` being ``assets[u]``; options sorted by unit.

    Per unit (shape (U,)): spot (USD), vol (annualised), scan_range (fraction of spot), and the
    linear exposure in USD per unit relative move: net ``linear_delta``, its long and short parts.
    Per option (shape (n,)): its unit, quantity, strike (USD), years and days to expiry, call flag,
    shocked vols (n, 3: up, flat, down) and current mark per contract (USD).
    """

    assets: tuple[str, ...]
    spot: np.ndarray
    vol: np.ndarray
    scan_range: np.ndarray
    linear_delta: np.ndarray
    long_linear: np.ndarray
    short_linear: np.ndarray
    opt_unit: np.ndarray
    opt_qty: np.ndarray
    opt_strike: np.ndarray
    opt_years: np.ndarray
    opt_days: np.ndarray
    opt_is_call: np.ndarray
    opt_vols: np.ndarray
    opt_base: np.ndarray

    def __len__(self) -> int:
        return len(self.assets)

    @cached_property
    def option_starts(self) -> np.ndarray:
        """Index of each unit's first option (options are sorted by unit), shape (U + 1,)."""
        return np.searchsorted(self.opt_unit, np.arange(len(self.assets) + 1))

    def unit(self, u: int) -> RiskUnit:
        """Unit ``u`` on its own, for tables and charts that show one unit."""
        lo, hi = self.option_starts[u], self.option_starts[u + 1]
        return RiskUnit(
            asset=self.assets[u], spot=float(self.spot[u]), vol=float(self.vol[u]),
            scan_range=float(self.scan_range[u]), linear_delta=float(self.linear_delta[u]),
            long_linear=float(self.long_linear[u]), short_linear=float(self.short_linear[u]),
            opt_qty=self.opt_qty[lo:hi], opt_strike=self.opt_strike[lo:hi], opt_years=self.opt_years[lo:hi],
            opt_days=self.opt_days[lo:hi], opt_is_call=self.opt_is_call[lo:hi],
            opt_vols=self.opt_vols[lo:hi].T, opt_base=self.opt_base[lo:hi],
        )

    def revalue(self, moves: np.ndarray) -> np.ndarray:
        """P&L (USD) of every unit at its own relative price moves.

        ``moves`` has shape (U, N): row u holds the moves of unit u. Returns (U, N, 3) for vol
        up / flat / down. A price stops at zero: moves below -100 % count as -100 %. Where a unit
        holds several options, each of its distinct moves is priced once (joint scenarios repeat
        many moves: z = 0 for every driver, a unit's own block across correlation shocks).
        """
        moves = np.maximum(np.asarray(moves, dtype=float), -1.0)
        return self._revalue(moves, lambda rows: _distinct_per_row(np.round(moves[rows], _MOVE_DECIMALS)))

    def revalue_scaled(self, unit_moves: np.ndarray, ranges: np.ndarray) -> np.ndarray:
        """:meth:`revalue` at moves[r] = unit_moves[r % P] x ranges[r]: ``unit_moves`` (P, N) holds
        moves in units of a range, ``ranges`` (U,) each row's range (fraction of spot).

        A stacked set (:func:`stack`) repeats the same P units state after state, each state with
        its own ranges; a row's distinct moves are then those of its pattern, so they are found
        once per pattern rather than once per state.
        """
        unit_moves, ranges = np.asarray(unit_moves, dtype=float), np.asarray(ranges, dtype=float)
        pattern_of = np.arange(len(self)) % unit_moves.shape[0]
        moves = np.maximum(unit_moves[pattern_of] * ranges[:, None], -1.0)

        def distinct(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            patterns = pattern_of[rows]
            needed = np.unique(patterns)
            values, slot = _distinct_per_row(np.round(unit_moves[needed], _MOVE_DECIMALS))
            where = np.searchsorted(needed, patterns)
            return np.maximum(values[where] * ranges[rows, None], -1.0), slot[where]

        return self._revalue(moves, distinct, pattern_of if unit_moves.shape[0] < len(self) else None)

    def _revalue(self, moves: np.ndarray, distinct_moves, pattern_of: np.ndarray | None = None) -> np.ndarray:
        """:meth:`revalue` of moves already floored at -100 %; ``distinct_moves(rows)`` returns the
        distinct moves of those rows and where each move went (see :func:`_distinct_per_row`).
        ``pattern_of``: rows sharing a pattern share the search for distinct moves (None: none do)."""
        linear = self.linear_delta[:, None] * moves  # (U, N), the same in every vol state
        if self.opt_qty.size == 0:
            return np.repeat(linear[..., None], 3, axis=2)
        units, option_row = self._option_rows
        # Finding a row's distinct moves costs about what pricing one option at all of them does.
        worth_it = self.opt_qty.size * moves.shape[1] >= _DEDUP_MIN_PRICES
        if worth_it:
            searches = units.size if pattern_of is None else np.unique(pattern_of[units]).size
            worth_it = self.opt_qty.size >= _DEDUP_MIN_OPTIONS_PER_SEARCH * searches
        if worth_it:
            distinct, slot = distinct_moves(units)
        else:
            distinct, slot = moves[units], None  # only units that hold options need pricing
        row_pnl = self._option_pnl_per_row(distinct, units, option_row)  # (R, D, 3)
        if slot is not None:  # np.take: several times faster than the same fancy index
            width = row_pnl.shape[1]
            row_pnl = np.take(row_pnl.reshape(-1, 3), slot + width * np.arange(units.size)[:, None], axis=0)
        if units.size == len(self):  # every unit holds options: add the linear part in place
            row_pnl += linear[..., None]
            return row_pnl
        pnl = np.repeat(linear[..., None], 3, axis=2)
        pnl[units] += row_pnl
        return pnl

    @cached_property
    def net_short(self) -> np.ndarray:
        """Net short option contracts per unit (U,), long netted against short at the same strike
        and expiry."""
        return _net_short_contracts(self.opt_unit, self.opt_strike, self.opt_days, self.opt_qty, len(self))

    @cached_property
    def _option_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(the units that hold options, each option's row among those units)."""
        units = np.flatnonzero(self.option_starts[1:] > self.option_starts[:-1])
        return units, np.searchsorted(units, self.opt_unit)

    @cached_property
    def _revaluer(self) -> Black76Revaluer:
        return Black76Revaluer(self.opt_strike, self.opt_years, self.opt_is_call, self.opt_vols)

    def _option_pnl_per_row(self, row_moves: np.ndarray, units: np.ndarray, option_row: np.ndarray) -> np.ndarray:
        """P&L (USD) of the options of each row at every move of that row of ``row_moves``, (R, D, 3);
        row r holds the options of unit ``units[r]``.

        Options are priced in blocks small enough to stay in the CPU cache (one huge array is
        memory-bound), and each block is summed into its rows at once, so the option-by-option
        P&L is never written out in full. The current marks are taken off once per row at the end.
        """
        n_options, width = self.opt_qty.size, row_moves.shape[1]
        forward = self.spot[units][:, None] * (1.0 + row_moves)  # (R, D), USD
        log_forward = np.log(np.maximum(forward, _TINY_PRICE)) if self._revaluer.live else None
        total = np.zeros((units.size, width, 3))
        block = max(1, _PRICES_PER_BLOCK // (3 * width))
        row_first_option = self.option_starts[units]
        for lo in range(0, n_options, block):
            part = slice(lo, lo + block)
            rows = option_row[part]
            value = self._quantity_times_price(part, forward[rows], None if log_forward is None else log_forward[rows])
            # Options are sorted by row and every row holds at least one: a block's rows are a contiguous run.
            first, last = int(rows[0]), int(rows[-1])
            if last - first + 1 < rows.size:
                starts = row_first_option[first : last + 1] - lo
                starts[0] = 0  # the block's first row may have begun in the block before
                value = np.add.reduceat(value, starts, axis=0)
            total[first : last + 1] += value
        total -= np.bincount(option_row, self.opt_qty * self.opt_base, units.size)[:, None, None]
        return total

    def _quantity_times_price(self, part: slice, forward: np.ndarray, log_forward: np.ndarray | None) -> np.ndarray:
        """qty x Black-76 price (USD) of the options ``part`` at their forwards (b, D), (b, D, 3)."""
        if log_forward is not None:
            return self._revaluer.value(part, forward, log_forward, weight=self.opt_qty[part])
        # An option at expiry or with no vol: only the general formula handles vol x sqrt(years) = 0.
        price = black76_price(forward[..., None], self.opt_strike[part, None, None], self.opt_vols[part, None, :],
                              self.opt_years[part, None, None], self.opt_is_call[part, None, None])
        return np.multiply(price, self.opt_qty[part, None, None], out=price)


def _distinct_per_row(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of each row, padded to a common width, and where each value went.

    Returns (distinct (R, D), slot (R, N)) with values[r, i] == distinct[r, slot[r, i]]. Rows with
    fewer than D distinct values are padded with their own first value (priced, never read).
    """
    order = np.argsort(values, axis=1)
    ordered = np.take_along_axis(values, order, axis=1)
    fresh = np.ones(ordered.shape, dtype=bool)
    fresh[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    rank = np.cumsum(fresh, axis=1) - 1
    slot = np.empty_like(rank)
    np.put_along_axis(slot, order, rank, axis=1)
    distinct = np.repeat(ordered[:, :1], rank[:, -1].max() + 1, axis=1)
    rows = np.broadcast_to(np.arange(values.shape[0])[:, None], values.shape)
    distinct[rows[fresh], rank[fresh]] = ordered[fresh]
    return distinct, slot


@dataclass(frozen=True)
class UnitPlan:
    """What a book's risk units keep from one pricing to the next under one rule set: everything
    that depends on the positions and the rules but not on prices or volatilities. Options are in
    unit order (``UnitLayout.opt_order``).

    floors (U,): scan-range floors (fraction of spot). vol_multipliers (n, 3): each option's
    implied vol is multiplied by these for vol up / flat / down (DESIGN.md's (30/DTE)^p rule).
    option_starts (U + 1,), option_units, option_row: see :class:`UnitSet`. net_short (U,): net
    short option contracts per unit, long netted against short at the same strike and expiry.
    haircuts, stable_holding: per holding (``BookArrays.hold_asset``), the haircut (fraction) and
    whether it is a stablecoin (depeg add-on).
    """

    floors: np.ndarray
    vol_multipliers: np.ndarray
    option_starts: np.ndarray
    option_units: np.ndarray
    option_row: np.ndarray
    net_short: np.ndarray
    haircuts: np.ndarray
    stable_holding: np.ndarray


def _net_short_contracts(unit: np.ndarray, strike: np.ndarray, days: np.ndarray, qty: np.ndarray,
                         n_units: int) -> np.ndarray:
    """Net short option contracts per unit (n_units,), netting long against short at the same
    strike and expiry (a bought and a sold identical option cancel: nothing is short)."""
    net: dict[tuple[int, float, float], float] = {}
    for key, amount in zip(zip(unit.tolist(), strike.tolist(), days.tolist(), strict=True), qty.tolist(), strict=True):
        net[key] = net.get(key, 0.0) + amount
    short = np.zeros(n_units)
    for (u, _, _), amount in net.items():
        short[u] += max(-amount, 0.0)
    return short


def unit_plan(arrays: BookArrays, params: PortfolioParams) -> UnitPlan:
    """The :class:`UnitPlan` of a book under ``params``, built once and kept with the book's arrays
    (the app and a sweep price the same book under the same rules many times)."""
    cache = arrays.__dict__  # BookArrays is frozen; this is a cache
    last = cache.get("_last_unit_plan")
    if last is not None and last[0] is params:  # hashing a rule set costs ~8 us: most calls reuse the last one
        return last[1]
    plans = cache.setdefault("_unit_plans", {})
    plan = plans.get(params)  # by value: equal rule sets share a plan, and copies do not pile up
    if plan is None:
        plan = plans[params] = _build_plan(arrays, params)
    cache["_last_unit_plan"] = (params, plan)
    return plan


def _build_plan(arrays: BookArrays, params: PortfolioParams) -> UnitPlan:
    layout = arrays.unit_layout
    order, n_units = layout.opt_order, len(layout.assets)
    days = arrays.opt_days[order]
    ones = np.ones(days.size)
    multipliers = shocked_vols(params, ones, days).T.copy()
    option_starts = np.searchsorted(layout.opt_unit, np.arange(n_units + 1))
    option_units = np.flatnonzero(option_starts[1:] > option_starts[:-1])
    net_short = _net_short_contracts(layout.opt_unit, arrays.opt_strike[order], days, arrays.opt_qty[order], n_units)
    plan = UnitPlan(
        floors=np.array([params.range_floor(a) for a in layout.assets], dtype=float),
        vol_multipliers=multipliers, option_starts=option_starts, option_units=option_units,
        option_row=np.searchsorted(option_units, layout.opt_unit), net_short=net_short,
        haircuts=np.array([params.haircut(arrays.assets[a]) for a in arrays.hold_asset], dtype=float),
        stable_holding=np.array([is_stablecoin(arrays.assets[a]) for a in arrays.hold_asset], dtype=bool),
    )
    for value in vars(plan).values():
        value.setflags(write=False)  # shared by every pricing of the book: never modified in place
    return plan


def unit_set(arrays: BookArrays, spots: np.ndarray, vols: np.ndarray, basis: np.ndarray,
             params: PortfolioParams) -> UnitSet:
    """The risk units of a book at spot prices ``spots`` (A,) and vols ``vols`` (A,), in asset order
    (which assets are units: :attr:`margin.book.BookArrays.unit_layout`)."""
    layout, plan = arrays.unit_layout, unit_plan(arrays, params)
    n_assets = len(arrays.assets)
    exposure = arrays.lin_qty * np.exp(basis[arrays.lin_asset] * arrays.lin_years) * spots[arrays.lin_asset]
    held_value = layout.held * spots
    long_linear = np.bincount(arrays.lin_asset, np.maximum(exposure, 0.0), n_assets) + np.maximum(held_value, 0.0)
    short_linear = np.bincount(arrays.lin_asset, np.maximum(-exposure, 0.0), n_assets) + np.maximum(-held_value, 0.0)
    delta = np.bincount(arrays.lin_asset, exposure, n_assets) + held_value
    is_unit, order, opt_asset = layout.is_unit, layout.opt_order, layout.opt_asset
    unit_vols = vols[is_unit]
    responsive = params.range_vol_multiple * unit_vols * np.sqrt(params.range_horizon_days / 365.0)
    opt_iv, opt_strike = vols[opt_asset], arrays.opt_strike[order]
    opt_years, opt_is_call = arrays.opt_years[order], arrays.opt_is_call[order]
    opt_vols = opt_iv[:, None] * plan.vol_multipliers  # the middle state's multiplier is 1: vol flat is opt_iv
    derived = {"option_starts": plan.option_starts, "_option_rows": (plan.option_units, plan.option_row),
               "net_short": plan.net_short}
    if opt_strike.size == 0:  # a linear book: nothing to price, no kernel to set up
        opt_base = np.zeros(0)
    else:
        revaluer = derived["_revaluer"] = Black76Revaluer(opt_strike, opt_years, opt_is_call, opt_vols)
        if revaluer.live:  # today's marks from the revaluation's own constants
            opt_base = revaluer.marks(spots[opt_asset])
        else:
            opt_base = np.atleast_1d(black76_price(spots[opt_asset], opt_strike, opt_iv, opt_years, opt_is_call))
    units = UnitSet(
        assets=layout.assets, spot=spots[is_unit], vol=unit_vols,
        scan_range=np.minimum(np.maximum(plan.floors, responsive), 0.95),
        linear_delta=delta[is_unit], long_linear=long_linear[is_unit], short_linear=short_linear[is_unit],
        opt_unit=layout.opt_unit, opt_qty=arrays.opt_qty[order], opt_strike=opt_strike, opt_years=opt_years,
        opt_days=arrays.opt_days[order], opt_is_call=opt_is_call, opt_vols=opt_vols, opt_base=opt_base,
    )
    # The option grouping depends on the book only: hand the plan's copy to the cached properties.
    units.__dict__.update(derived)
    return units


def stack(sets: list[UnitSet]) -> UnitSet:
    """Unit sets of one book at several market states as one set of states x U units, state after
    state, so that every state is revalued in the same pass (options stay grouped by unit)."""
    if len(sets) == 1:
        return sets[0]
    n_units = len(sets[0])
    columns: dict = {"assets": sets[0].assets * len(sets),
                     "opt_unit": np.concatenate([s.opt_unit + m * n_units for m, s in enumerate(sets)])}
    for field in fields(UnitSet):
        if field.name not in columns:
            columns[field.name] = np.concatenate([getattr(s, field.name) for s in sets])
    return UnitSet(**columns)
