# Over 400 lines: the one struct of arrays every portfolio-margin path prices with, and its per-book plan.
"""Risk units as arrays: every underlying of a book and everything written on it, revalued at once.

Portfolio margin revalues each risk unit (one underlying: its spot holdings, perps, futures and
options) at many relative price moves and three volatility states. Looping over units in Python
costs a fixed few tens of microseconds per unit, more than the arithmetic of a small book, so the
units are kept as one struct of arrays and revalued in a single vectorised pass: one Black-76
call for every option of the book at every distinct move of its own unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from margin.book import BookArrays
from margin.market import is_stablecoin
from margin.params import PortfolioParams
from margin.pricing import Black76Revaluer, black76_delta, black76_price
from margin.smile import smile_multiplier

#: Moves equal to 13 decimals are revalued once (a relative move of 1e-13 changes no price visibly).
_MOVE_DECIMALS = 13
#: Distinct moves are looked up only from this many option prices per revaluation and this many
#: options per search (one per unit holding options, or per pattern of units repeated across
#: stacked states); below either, finding them costs more than it saves.
_DEDUP_MIN_PRICES = 4096
_DEDUP_MIN_OPTIONS_PER_SEARCH = 2
#: Option prices per pricing block: about 16 arrays of this many floats fit in a 2 MB cache.
_PRICES_PER_BLOCK = 16_384
#: A forward of zero (a move of -100 %) is priced at this fraction of today's price: its log stays finite.
_TINY_MOVE = 1e-12


#: A coin-margined long loses 1 / (1 + move) - 1 of its face in coin, without bound as the price
#: nears zero: moves below -95 % count as -95 % for it (the scan range is capped at 95 % too).
INVERSE_MOVE_FLOOR = -0.95


def coin_pnl_per_face(moves) -> np.ndarray:
    """P&L in the coin, at today's index, per USD of a long inverse contract's face value, when
    the price moves by ``moves`` (fractions): 1 - 1 / (1 + move). Concave: -19 % at -16 %, +13.8 %
    at +16 %, so a long loses more coin on a fall than it gains on the same rise."""
    return 1.0 - 1.0 / (1.0 + np.maximum(moves, INVERSE_MOVE_FLOOR))


def scan_ranges(floors, vols, params: PortfolioParams) -> np.ndarray:
    """Scan range (fraction of spot) of units with range floors ``floors`` and annualised vols
    ``vols`` (broadcast together): min(max(floor, k x vol x sqrt(horizon_days / 365)), 0.95).

    The one definition of the range: the single-state, sweep and liquidation paths all call it.
    The 95 % cap keeps a price above zero at every grid point.
    """
    responsive = params.range_vol_multiple * np.asarray(vols, dtype=float) * np.sqrt(params.range_horizon_days / 365.0)
    return np.minimum(np.maximum(floors, responsive), 0.95)


def scan_range(params: PortfolioParams, asset: str, vol: float) -> float:
    """:func:`scan_ranges` of one asset (fraction of spot)."""
    return float(scan_ranges(params.range_floor(asset), vol, params))


def shocked_vols(params: PortfolioParams, iv, days: np.ndarray, up_shift=None, up_floor=None) -> np.ndarray:
    """(3, n) vols up / flat / down for options with ``days`` to expiry and implied vol ``iv``
    (a scalar or one per option): vol_up = max(iv (1 + up (ref/DTE)^p), min_vol_shock_up),
    vol_down = iv max(1 - down (ref/DTE)^p, 0.05), p = power_short under ``vol_reference_days``
    days, power_long beyond. ``up_shift`` (scalar or per option) defaults to ``params.vol_up_shift``
    (:meth:`PortfolioParams.vol_up` gives it per asset); ``up_floor`` defaults to
    ``params.min_vol_shock_up`` (0 for multipliers of a unit vol)."""
    dte = np.maximum(np.asarray(days, dtype=float), params.min_dte_days)
    power = np.where(dte < params.vol_reference_days, params.vol_power_short, params.vol_power_long)
    factor = (params.vol_reference_days / dte) ** power
    iv = np.broadcast_to(np.asarray(iv, dtype=float), factor.shape)
    up_shift = params.vol_up_shift if up_shift is None else np.asarray(up_shift, dtype=float)
    up_floor = params.min_vol_shock_up if up_floor is None else up_floor
    up = np.maximum(iv * (1.0 + up_shift * factor), up_floor)
    down = iv * np.maximum(1.0 - params.vol_down_shift * factor, 0.05)
    return np.vstack([up, iv, down])


@dataclass(frozen=True)
class UnitSet:
    """Risk units of a book at one or more market states, unit ``u`` being ``assets[u]``; with
    S states the set holds S x U units, state after state (each state's units in asset order), so
    every state is revalued in the same pass. Options are sorted by unit.

    Per unit (shape (S U,)): spot (USD), vol (annualised), scan_range (fraction of spot), the
    linear exposure in USD per unit relative move: net ``linear_delta``, its long and short parts,
    ``net_short`` option contracts (calls and puts netted per strike and expiry), ``exposed`` (the
    unit can gain or lose: a net linear position or a net option contract) and ``exposure``, the
    unit's delta in USD per unit relative move (linear delta + options' Black-76 delta x spot).
    ``inverse_face``: the face value (USD, x spot / mark) of coin-margined contracts whose risk is
    measured in the coin: their P&L at today's index is inverse_face x (1 - 1 / (1 + move)).
    ``roll_shock``: the unit's roll-shock add-on (USD).
    Per option (shape (n,)): its unit, quantity, strike (USD), years and days to expiry, call flag,
    shocked vols (n, 3: up, flat, down), current mark per contract (USD) and ``opt_in_coin``
    (a coin-settled option measured in its coin: its P&L at today's index is
    qty x (price(S (1 + move)) / (1 + move) - price(S))).
    ``option_starts`` (S U + 1,): each unit's first option; ``option_units``: the units holding
    options; ``option_row``: each option's row among them; ``revaluer``: the Black-76 kernel of
    the options (None for a linear book).
    """

    assets: tuple[str, ...]
    spot: np.ndarray
    vol: np.ndarray
    scan_range: np.ndarray
    linear_delta: np.ndarray
    long_linear: np.ndarray
    short_linear: np.ndarray
    net_short: np.ndarray
    exposed: np.ndarray
    exposure: np.ndarray
    inverse_face: np.ndarray
    roll_shock: np.ndarray
    opt_unit: np.ndarray
    opt_qty: np.ndarray
    opt_strike: np.ndarray
    opt_years: np.ndarray
    opt_days: np.ndarray
    opt_is_call: np.ndarray
    opt_vols: np.ndarray
    opt_base: np.ndarray
    opt_in_coin: np.ndarray
    option_starts: np.ndarray
    option_units: np.ndarray
    option_row: np.ndarray
    revaluer: Black76Revaluer | None = None
    n_states: int = 1

    def __len__(self) -> int:
        return len(self.assets)

    @property
    def units_per_state(self) -> int:
        return len(self.assets) // self.n_states

    def state(self, m: int) -> UnitSet:
        """The units of state ``m`` alone, as a one-state set (for labels, tables and equity)."""
        if self.n_states == 1:
            return self
        n_units = self.units_per_state
        lo, hi = m * n_units, (m + 1) * n_units
        first, last = int(self.option_starts[lo]), int(self.option_starts[hi])
        per_unit = {name: getattr(self, name)[lo:hi] for name in _PER_UNIT}
        per_option = {name: getattr(self, name)[first:last] for name in _PER_OPTION}
        option_units = self.option_units[(self.option_units >= lo) & (self.option_units < hi)] - lo
        return UnitSet(assets=self.assets[lo:hi], **per_unit, **per_option, opt_unit=self.opt_unit[first:last] - lo,
                       option_starts=self.option_starts[lo : hi + 1] - first, option_units=option_units,
                       option_row=np.searchsorted(option_units, self.opt_unit[first:last] - lo),
                       revaluer=_revaluer(per_option))

    def revalue(self, moves: np.ndarray) -> np.ndarray:
        """P&L (USD) of every unit at its own relative price moves.

        ``moves`` has shape (U, N): row u holds the moves of unit u. Returns (U, N, 3) for vol
        up / flat / down. A price stops at zero: moves below -100 % count as -100 %. Where a unit
        holds several options, each of its distinct moves is priced once (joint scenarios repeat
        moves: t = 0 along every direction, the same driver across states).
        """
        moves = np.maximum(np.asarray(moves, dtype=float), -1.0)
        linear = self.linear_delta[:, None] * moves  # (U, N), the same in every vol state
        if self.inverse_face.any():
            linear = linear + self.inverse_face[:, None] * coin_pnl_per_face(moves)
        if self.opt_qty.size == 0:
            return np.repeat(linear[..., None], 3, axis=2)
        units, option_row = self.option_units, self.option_row
        # Finding a row's distinct moves costs about what pricing one option at all of them does.
        worth_it = (self.opt_qty.size * moves.shape[1] >= _DEDUP_MIN_PRICES
                    and self.opt_qty.size >= _DEDUP_MIN_OPTIONS_PER_SEARCH * units.size)
        if worth_it:
            distinct, slot = _distinct_per_row(np.round(moves[units], _MOVE_DECIMALS))
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

    def _option_pnl_per_row(self, row_moves: np.ndarray, units: np.ndarray, option_row: np.ndarray) -> np.ndarray:
        """P&L (USD) of the options of each row at every move of that row of ``row_moves``, (R, D, 3);
        row r holds the options of unit ``units[r]``.

        Options are priced in blocks small enough to stay in the CPU cache (one huge array is
        memory-bound), and each block is summed into its rows at once, so the option-by-option
        P&L is never written out in full. The current marks are taken off once per row at the end.
        """
        n_options, width = self.opt_qty.size, row_moves.shape[1]
        spot = self.spot[units][:, None]
        forward = spot * (1.0 + row_moves)  # (R, D), USD
        # A forward of zero (a move of -100 %) is priced at a tiny fraction of today's price, so its
        # log stays finite whatever the coin's price (an absolute floor fails for prices near it).
        live = self.revaluer is not None and self.revaluer.live
        log_forward = np.log(np.maximum(forward, _TINY_MOVE * spot)) if live else None
        total = np.zeros((units.size, width, 3))
        # A coin-settled option measured in its coin is worth price / (1 + move) coins of today's index.
        coin_scale = 1.0 / (1.0 + np.maximum(row_moves, INVERSE_MOVE_FLOOR)) if self.opt_in_coin.any() else None
        block = max(1, _PRICES_PER_BLOCK // (3 * width))
        row_first_option = self.option_starts[units]
        for lo in range(0, n_options, block):
            part = slice(lo, lo + block)
            rows = option_row[part]
            value = self._quantity_times_price(part, forward[rows], None if log_forward is None else log_forward[rows])
            if coin_scale is not None:
                in_coin = self.opt_in_coin[part]
                value[in_coin] *= coin_scale[rows[in_coin]][..., None]
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
            return self.revaluer.value(part, forward, log_forward, weight=self.opt_qty[part])
        # An option at expiry or with no vol: only the general formula handles vol x sqrt(years) = 0.
        price = black76_price(forward[..., None], self.opt_strike[part, None, None], self.opt_vols[part, None, :],
                              self.opt_years[part, None, None], self.opt_is_call[part, None, None])
        return np.multiply(price, self.opt_qty[part, None, None], out=price)


_PER_UNIT = ("spot", "vol", "scan_range", "linear_delta", "long_linear", "short_linear", "net_short", "exposed",
             "exposure", "inverse_face", "roll_shock")
_PER_OPTION = ("opt_qty", "opt_strike", "opt_years", "opt_days", "opt_is_call", "opt_vols", "opt_base", "opt_in_coin")


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
    implied vol is multiplied by these for vol up / flat / down (:func:`shocked_vols`).
    option_starts (U + 1,), option_units, option_row: see :class:`UnitSet`. net_short (U,): net
    short option contracts per unit; option_exposed (U,): the unit holds a net option contract.
    haircuts, stable_holding: per holding (``BookArrays.hold_asset``), the haircut (fraction) and
    whether it is a stablecoin (depeg add-on). Per perp/future row (``BookArrays.lin_*``):
    in_coin, whether its risk is measured in its coin (an inverse contract under
    ``inverse_risk_in_coin``); roll_rate, its roll-shock rate max(floor, annual x years).
    opt_in_coin (n,): per option in unit order, a coin-settled option measured in its coin.
    balances_at_risk: whether coin balances carry price risk (False under ``inverse_risk_in_coin``,
    where they are the coin account's own currency).
    """

    floors: np.ndarray
    vol_multipliers: np.ndarray
    option_starts: np.ndarray
    option_units: np.ndarray
    option_row: np.ndarray
    net_short: np.ndarray
    option_exposed: np.ndarray
    haircuts: np.ndarray
    stable_holding: np.ndarray
    in_coin: np.ndarray
    roll_rate: np.ndarray
    opt_in_coin: np.ndarray
    balances_at_risk: bool

    @property
    def any_in_coin(self) -> bool:
        return bool(self.in_coin.any())

    @property
    def any_roll_shock(self) -> bool:
        return bool(self.roll_rate.any())


def _net_option_contracts(unit: np.ndarray, is_call: np.ndarray, strike: np.ndarray, days: np.ndarray,
                          qty: np.ndarray, n_units: int) -> tuple[np.ndarray, np.ndarray]:
    """Per unit (n_units,): net short option contracts, and whether any net contract is held.

    Net short contracts follow Deribit's published contingency rule (Portfolio Margin page,
    deribit.com/pages/docs/portfoliomargin: "call +10 and put -20 [on strike X], your net short
    position on strike X is -10"): calls and puts net per strike and expiry. Exposure asks
    whether any option is held once identical options (same kind, strike and expiry) cancel:
    a long call and a short put at one strike is a synthetic future, not nothing."""
    per_strike: dict[tuple, float] = {}
    per_option: dict[tuple, float] = {}
    keys = zip(unit.tolist(), is_call.tolist(), strike.tolist(), days.tolist(), strict=True)
    for (u, call, k, d), amount in zip(keys, qty.tolist(), strict=True):
        per_strike[(u, k, d)] = per_strike.get((u, k, d), 0.0) + amount
        per_option[(u, call, k, d)] = per_option.get((u, call, k, d), 0.0) + amount
    short, held = np.zeros(n_units), np.zeros(n_units, dtype=bool)
    for (u, *_), amount in per_strike.items():
        short[u] += max(-amount, 0.0)
    for (u, *_), amount in per_option.items():
        held[u] |= amount != 0.0
    return short, held


def unit_plan(arrays: BookArrays, params: PortfolioParams) -> UnitPlan:
    """The :class:`UnitPlan` of a book under ``params``, built once and kept in the book's
    :attr:`~margin.book.BookArrays.memo` (the app and a sweep price the same book under the same
    rules many times)."""
    memo = arrays.memo
    last = memo.get("last_unit_plan")
    if last is not None and last[0] is params:  # hashing a rule set costs ~8 us: most calls reuse the last one
        return last[1]
    plans = memo.setdefault("unit_plans", {})
    plan = plans.get(params)  # by value: equal rule sets share a plan, and copies do not pile up
    if plan is None:
        plan = plans[params] = _build_plan(arrays, params)
    memo["last_unit_plan"] = (params, plan)
    return plan


def _build_plan(arrays: BookArrays, params: PortfolioParams) -> UnitPlan:
    layout = arrays.unit_layout
    order, n_units = layout.opt_order, len(layout.assets)
    days = arrays.opt_days[order]
    up_shift = np.array([params.vol_up(layout.assets[u]) for u in layout.opt_unit], dtype=float)
    multipliers = shocked_vols(params, np.ones(days.size), days, up_shift, up_floor=0.0).T.copy()
    option_starts = np.searchsorted(layout.opt_unit, np.arange(n_units + 1))
    option_units = np.flatnonzero(option_starts[1:] > option_starts[:-1])
    net_short, option_exposed = _net_option_contracts(layout.opt_unit, arrays.opt_is_call[order],
                                                      arrays.opt_strike[order], days, arrays.opt_qty[order], n_units)
    plan = UnitPlan(
        floors=np.array([params.range_floor(a) for a in layout.assets], dtype=float),
        vol_multipliers=multipliers, option_starts=option_starts, option_units=option_units,
        option_row=np.searchsorted(option_units, layout.opt_unit), net_short=net_short,
        option_exposed=option_exposed,
        haircuts=np.array([params.haircut(arrays.assets[a]) for a in arrays.hold_asset], dtype=float),
        stable_holding=np.array([is_stablecoin(arrays.assets[a]) for a in arrays.hold_asset], dtype=bool),
        in_coin=arrays.lin_is_inverse & bool(params.inverse_risk_in_coin),
        roll_rate=np.array([max(floor, annual * years) for (floor, annual), years in
                            zip((params.roll_shock(arrays.assets[a]) for a in arrays.lin_asset), arrays.lin_years,
                                strict=True)], dtype=float),
        opt_in_coin=arrays.opt_coin_settled[order] & bool(params.inverse_risk_in_coin),
        balances_at_risk=not params.inverse_risk_in_coin,
    )
    for value in vars(plan).values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)  # shared by every pricing of the book: never modified in place
    return plan


def unit_set(arrays: BookArrays, spots: np.ndarray, vols: np.ndarray, basis: np.ndarray,
             params: PortfolioParams, smile: np.ndarray | None = None) -> UnitSet:
    """The risk units of a book at spot prices ``spots`` (A,) and vols ``vols`` (A,), in asset order
    (which assets are units: :attr:`margin.book.BookArrays.unit_layout`)."""
    return unit_sets(arrays, np.asarray(spots, dtype=float)[None, :], np.asarray(vols, dtype=float)[None, :],
                     basis, params, smile)


def unit_sets(arrays: BookArrays, spots: np.ndarray, vols: np.ndarray, basis: np.ndarray,
              params: PortfolioParams, smile: np.ndarray | None = None) -> UnitSet:
    """The risk units of a book at S market states at once: spots and vols (S, A), USD and
    annualised fractions (at-the-money); ``basis`` (A,) annualised futures basis; ``smile`` (A, 2)
    skew and curvature, None for flat (:func:`margin.book.option_vols`). Returns one
    :class:`UnitSet` of S x U units, state after state, built with array operations (no loop over
    states). Each option keeps today's vol at its strike across the grid's moves (sticky strike)."""
    spots, vols = np.atleast_2d(spots), np.atleast_2d(vols)
    n_states, n_assets = spots.shape
    layout, plan = arrays.unit_layout, unit_plan(arrays, params)
    is_unit, n_units = layout.is_unit, len(layout.assets)
    growth = np.exp(basis[arrays.lin_asset] * arrays.lin_years)  # mark / spot of each perp/future row
    coins = arrays.lin_qty * growth  # coins of exposure per row (0 for rows measured in their coin)
    per_asset = _linear_rows_per_asset(arrays)
    # Under each settlement currency apart, coin balances are the coin account's own currency: no risk.
    held = layout.held if plan.balances_at_risk else np.zeros_like(layout.held)
    held_value = held * spots  # (S, A)
    n_real_units = int(is_unit.sum())
    if plan.any_in_coin:
        coins = np.where(plan.in_coin, 0.0, coins)
        # An inverse row measured in its coin: its coin P&L at today's index, face x spot / mark per unit
        # of (1 - 1 / (1 + move)), the same at every price (see UnitSet.revalue).
        coin_face = np.where(plan.in_coin, arrays.lin_face / growth, 0.0)
        inverse_face = (coin_face @ per_asset)[is_unit]
        face_long, face_short = np.maximum(coin_face, 0.0) @ per_asset, np.maximum(-coin_face, 0.0) @ per_asset
    else:
        inverse_face, face_long, face_short = np.zeros(n_real_units), 0.0, 0.0
    exposure = coins * spots[:, arrays.lin_asset]  # (S, L) USD per unit relative move
    long_linear = np.maximum(exposure, 0.0) @ per_asset + face_long + np.maximum(held_value, 0.0)
    short_linear = np.maximum(-exposure, 0.0) @ per_asset + face_short + np.maximum(-held_value, 0.0)
    delta = (exposure @ per_asset + held_value)[:, is_unit]
    if plan.any_roll_shock:
        # Roll shock: |size in coins| x index x rate; an inverse row's size in coins is face / mark.
        roll_base = np.where(arrays.lin_is_inverse, np.abs(arrays.lin_face) / growth,
                             np.abs(arrays.lin_qty) * spots[:, arrays.lin_asset])
        roll_shock = ((roll_base * plan.roll_rate) @ per_asset)[:, is_unit]
    else:
        roll_shock = np.zeros((n_states, n_real_units))
    unit_vols = vols[:, is_unit]
    # Exposure is the book's, not the state's: a unit whose net linear quantity is zero has a
    # zero delta at every price.
    exposed = ((coins @ per_asset + held)[is_unit] != 0.0)
    exposed = exposed | (inverse_face != 0.0) | plan.option_exposed
    order, opt_asset = layout.opt_order, layout.opt_asset
    n_options = order.size
    opt_iv = vols[:, opt_asset]  # (S, n)
    if smile is not None and n_options:
        ordered = _options_in_unit_order(arrays)
        opt_iv = opt_iv * smile_multiplier(spots[:, opt_asset], ordered["opt_strike"], ordered["opt_years"],
                                           smile[opt_asset, 0], smile[opt_asset, 1])
    opt_vols = (opt_iv[..., None] * plan.vol_multipliers).reshape(-1, 3)  # the flat state's multiplier is 1
    if params.min_vol_shock_up > 0.0:
        opt_vols[:, 0] = np.maximum(opt_vols[:, 0], params.min_vol_shock_up)
    per_option = {name: np.tile(values, n_states) if n_states > 1 else values
                  for name, values in _options_in_unit_order(arrays).items()}
    per_option["opt_vols"] = opt_vols
    per_option["opt_in_coin"] = np.tile(plan.opt_in_coin, n_states) if n_states > 1 else plan.opt_in_coin
    revaluer = _revaluer(per_option)
    opt_spot = spots[:, opt_asset].reshape(-1)
    if n_options == 0:
        opt_base, opt_delta = np.zeros(0), np.zeros(0)
    elif revaluer.live:  # today's marks and deltas from the revaluation's own constants
        opt_base, opt_delta = revaluer.marks_and_deltas(opt_spot)
    else:
        flat = (opt_spot, per_option["opt_strike"], opt_iv.reshape(-1), per_option["opt_years"], per_option["opt_is_call"])
        opt_base, opt_delta = np.atleast_1d(black76_price(*flat)), np.atleast_1d(black76_delta(*flat))
    if n_states == 1:
        opt_unit, option_starts = layout.opt_unit, plan.option_starts
        option_units, option_row = plan.option_units, plan.option_row
    else:
        shift = np.arange(n_states) * n_units
        opt_unit = (layout.opt_unit[None, :] + shift[:, None]).reshape(-1)
        option_starts = np.concatenate([(plan.option_starts[:-1][None, :] + n_options * np.arange(n_states)[:, None]
                                         ).reshape(-1), [n_options * n_states]])
        option_units = (plan.option_units[None, :] + shift[:, None]).reshape(-1)
        option_row = (plan.option_row[None, :] + plan.option_units.size * np.arange(n_states)[:, None]).reshape(-1)
    net_short = np.tile(plan.net_short, n_states) if n_states > 1 else plan.net_short
    # d/dmove of the option's value at today's index: delta x spot in USD; in the coin, price(S (1+m)) / (1+m)
    # moves by delta x spot - price at m = 0.
    per_contract = opt_delta * opt_spot - np.where(per_option["opt_in_coin"], opt_base, 0.0)
    option_exposure = np.bincount(opt_unit, per_option["opt_qty"] * per_contract, n_states * n_units)
    return UnitSet(
        assets=layout.assets * n_states, spot=spots[:, is_unit].reshape(-1), vol=unit_vols.reshape(-1),
        scan_range=scan_ranges(plan.floors, unit_vols, params).reshape(-1), linear_delta=delta.reshape(-1),
        long_linear=long_linear[:, is_unit].reshape(-1), short_linear=short_linear[:, is_unit].reshape(-1),
        net_short=net_short, exposed=np.tile(exposed, n_states) if n_states > 1 else exposed,
        exposure=delta.reshape(-1) + option_exposure + np.tile(inverse_face, n_states),
        inverse_face=np.tile(inverse_face, n_states), roll_shock=roll_shock.reshape(-1),
        opt_unit=opt_unit, **per_option, opt_base=opt_base, option_starts=option_starts,
        option_units=option_units, option_row=option_row, revaluer=revaluer, n_states=n_states,
    )


def _linear_rows_per_asset(arrays: BookArrays) -> np.ndarray:
    """(L, A) one-hot: which asset each perp/future row is on, so per-asset sums are one product
    for every state (kept in the book's memo: it depends on the book alone)."""
    one_hot = arrays.memo.get("linear_rows_per_asset")
    if one_hot is None:
        one_hot = np.zeros((arrays.lin_asset.size, len(arrays.assets)))
        one_hot[np.arange(arrays.lin_asset.size), arrays.lin_asset] = 1.0
        one_hot.setflags(write=False)
        arrays.memo["linear_rows_per_asset"] = one_hot
    return one_hot


def _options_in_unit_order(arrays: BookArrays) -> dict[str, np.ndarray]:
    """The book's option arrays sorted by risk unit (kept in the book's memo)."""
    ordered = arrays.memo.get("options_in_unit_order")
    if ordered is None:
        order = arrays.unit_layout.opt_order
        ordered = {name: getattr(arrays, name)[order] for name in ("opt_qty", "opt_strike", "opt_years", "opt_days",
                                                                  "opt_is_call")}
        for values in ordered.values():
            values.setflags(write=False)
        arrays.memo["options_in_unit_order"] = ordered
    return ordered


def _revaluer(per_option: dict) -> Black76Revaluer | None:
    """The Black-76 kernel of these options, or None when there are none (a linear book)."""
    if per_option["opt_qty"].size == 0:
        return None
    return Black76Revaluer(per_option["opt_strike"], per_option["opt_years"], per_option["opt_is_call"],
                           per_option["opt_vols"])
