"""A portfolio laid out as NumPy arrays, and its mark-to-market on many price scenarios at once.

Every model (cross, isolated, portfolio, liquidation search, sweeps) values the same positions
many times; doing it on arrays of shape (scenarios, positions) keeps it vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from margin.errors import PortfolioError
from margin.instruments import INVERSE_TYPES, Future, InverseFuture, Option, Perp, Portfolio, describe
from margin.market import Market, is_stablecoin
from margin.pricing import black76_price
from margin.smile import smile_multiplier

DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class UnitLayout:
    """The risk units of a book (see :mod:`margin.units`): an asset is a unit when the book holds a
    derivative on it or a non-stablecoin holding of it. ``held`` is the net holding per asset
    (stablecoins zeroed: their risk is the depeg add-on); options are listed in ``opt_order``,
    grouped by unit, with their asset and unit index."""

    assets: tuple[str, ...]
    is_unit: np.ndarray
    held: np.ndarray
    opt_order: np.ndarray
    opt_asset: np.ndarray
    opt_unit: np.ndarray


@dataclass(frozen=True)
class BookArrays:
    """Positions of a Portfolio as arrays; asset indices refer to ``assets``.

    Linear = perps and futures, USD-margined or coin-margined (inverse). ``lin_years`` is 0 for
    perps. ``lin_leverage`` is NaN where the position uses the rule set's maximum. An inverse row
    (``lin_is_inverse``) holds its signed USD face value in ``lin_face`` and, in ``lin_qty``,
    face / entry: in USD at the mark its P&L is that many coins' linear P&L, face x (mark/entry - 1).
    Holdings are the net spot amount per asset (collateral plus Spot positions).
    """

    assets: tuple[str, ...]
    lin_asset: np.ndarray
    lin_qty: np.ndarray
    lin_entry: np.ndarray
    lin_years: np.ndarray
    lin_is_future: np.ndarray
    lin_leverage: np.ndarray
    lin_isolated: np.ndarray
    lin_index: np.ndarray
    lin_is_inverse: np.ndarray
    lin_face: np.ndarray
    opt_asset: np.ndarray
    opt_qty: np.ndarray
    opt_strike: np.ndarray
    opt_years: np.ndarray
    opt_days: np.ndarray
    opt_is_call: np.ndarray
    opt_coin_settled: np.ndarray
    opt_index: np.ndarray
    hold_asset: np.ndarray
    hold_qty: np.ndarray
    positions: tuple
    #: What later steps derive from the book alone (unit layout, labels, a rule set's unit plan),
    #: kept with it: a BookArrays is immutable, so what is derived from it never goes stale.
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_assets(self) -> int:
        return len(self.assets)

    @property
    def unit_layout(self) -> UnitLayout:
        """Which assets are portfolio-margin risk units, and the options sorted by unit (kept in
        :attr:`memo`: it depends on the book only, not on prices)."""
        layout = self.memo.get("unit_layout")
        if layout is None:
            layout = self.memo["unit_layout"] = self._unit_layout()
        return layout

    def _unit_layout(self) -> UnitLayout:
        n_assets = len(self.assets)
        stable = np.array([is_stablecoin(a) for a in self.assets], dtype=bool)
        held = np.bincount(self.hold_asset, self.hold_qty, minlength=n_assets)
        held[stable] = 0.0
        is_unit = ((np.bincount(self.lin_asset, minlength=n_assets) > 0)
                   | (np.bincount(self.opt_asset, minlength=n_assets) > 0) | (held != 0))
        order = np.argsort(self.opt_asset, kind="stable")
        layout = UnitLayout(
            assets=tuple(a for a, keep in zip(self.assets, is_unit, strict=True) if keep), is_unit=is_unit,
            held=held, opt_order=order, opt_asset=self.opt_asset[order],
            opt_unit=(np.cumsum(is_unit) - 1)[self.opt_asset[order]],
        )
        for value in vars(layout).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)  # cached with the book: never modified in place
        return layout

    @property
    def labels(self) -> tuple[str, ...]:
        """Readable label of every position of the book, by position index."""
        labels = self.memo.get("labels")
        if labels is None:
            labels = self.memo["labels"] = tuple(describe(p) for p in self.positions)
        return labels


def book_arrays(book: Portfolio, market: Market) -> BookArrays:
    """Lay ``book`` out as arrays, checking every asset has a price in ``market``."""
    if not isinstance(book, Portfolio):
        raise PortfolioError(f"book: expected a Portfolio, got {type(book).__name__}.")
    if not isinstance(market, Market):
        raise PortfolioError(f"market: expected a Market, got {type(market).__name__}.")
    arrays = book.derived.get("arrays")
    if arrays is None:  # _layout's own cache serves equal books built anew (hashing a book costs more)
        arrays = book.derived["arrays"] = _layout(book)
    if not market.prices.keys() >= set(arrays.assets):  # name the first culprit only when there is one
        for index, position in enumerate(book.positions):
            market.require(position.asset, f"positions[{index}].asset")
        for asset in book.collateral:
            market.require(asset, f"collateral['{asset}']")
    return arrays


@lru_cache(maxsize=128)
def _layout(book: Portfolio) -> BookArrays:
    """The arrays of a book (cached: a Portfolio is immutable and the app re-prices the same one often)."""
    assets = book.assets()
    where = {asset: i for i, asset in enumerate(assets)}
    lin = [(i, p) for i, p in enumerate(book.positions) if isinstance(p, (Perp, Future, *INVERSE_TYPES))]
    dated = (Future, InverseFuture)
    opts = [(i, p) for i, p in enumerate(book.positions) if isinstance(p, Option)]
    holdings = book.holdings()
    hold = [(asset, qty) for asset, qty in holdings.items() if qty != 0]
    arrays = BookArrays(
        assets=tuple(assets),
        lin_asset=np.array([where[p.asset] for _, p in lin], dtype=int),
        lin_qty=np.array([p.qty for _, p in lin], dtype=float),
        lin_entry=np.array([p.entry_price for _, p in lin], dtype=float),
        lin_years=np.array([p.expiry_days / DAYS_PER_YEAR if isinstance(p, dated) else 0.0 for _, p in lin]),
        lin_is_future=np.array([isinstance(p, dated) for _, p in lin], dtype=bool),
        lin_leverage=np.array([np.nan if p.leverage is None else p.leverage for _, p in lin], dtype=float),
        lin_isolated=np.array([np.nan if p.isolated_margin is None else p.isolated_margin for _, p in lin]),
        lin_index=np.array([i for i, _ in lin], dtype=int),
        lin_is_inverse=np.array([isinstance(p, INVERSE_TYPES) for _, p in lin], dtype=bool),
        lin_face=np.array([p.usd_size if isinstance(p, INVERSE_TYPES) else 0.0 for _, p in lin], dtype=float),
        opt_asset=np.array([where[p.asset] for _, p in opts], dtype=int),
        opt_qty=np.array([p.qty for _, p in opts], dtype=float),
        opt_strike=np.array([p.strike for _, p in opts], dtype=float),
        opt_years=np.array([p.expiry_days / DAYS_PER_YEAR for _, p in opts], dtype=float),
        opt_days=np.array([p.expiry_days for _, p in opts], dtype=float),
        opt_is_call=np.array([p.is_call for _, p in opts], dtype=bool),
        opt_coin_settled=np.array([p.coin_settled for _, p in opts], dtype=bool),
        opt_index=np.array([i for i, _ in opts], dtype=int),
        hold_asset=np.array([where[a] for a, _ in hold], dtype=int),
        hold_qty=np.array([q for _, q in hold], dtype=float),
        positions=tuple(book.positions),
    )
    for value in vars(arrays).values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)  # shared through the cache: never modified in place
    return arrays


def market_vectors(arrays: BookArrays, market: Market) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(spot prices, annualised vols, annualised basis) aligned with ``arrays.assets``."""
    return market.vectors(arrays.assets)[:3]


def linear_marks(arrays: BookArrays, spots: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Marks of perps (= spot) and futures (spot x exp(basis x years)), shape (..., n_linear)."""
    spot = spots[..., arrays.lin_asset]
    return spot * np.exp(basis[arrays.lin_asset] * arrays.lin_years)


def option_vols(arrays: BookArrays, spots: np.ndarray, vols: np.ndarray, smile: np.ndarray | None = None) -> np.ndarray:
    """Each option's implied vol (annualised fraction), shape (..., n_options): its asset's
    at-the-money vol from ``vols`` (..., A) times the smile's multiplier at its strike and expiry
    with the underlying at ``spots`` (..., A) (:mod:`margin.smile`; ``smile`` (A, 2) skew and
    curvature from :meth:`Market.smile_array`, None for flat). The one place an option's vol is set:
    margins, equity, VaR and greeks all read it."""
    atm = vols[..., arrays.opt_asset]
    if smile is None or arrays.opt_asset.size == 0:
        return atm
    per_option = smile[arrays.opt_asset]
    return atm * smile_multiplier(spots[..., arrays.opt_asset], arrays.opt_strike, arrays.opt_years,
                                  per_option[:, 0], per_option[:, 1])


def option_marks(arrays: BookArrays, spots: np.ndarray, option_vols: np.ndarray) -> np.ndarray:
    """Black-76 marks per contract (r = 0, forward = spot), shape (..., n_options), USD."""
    return black76_price(
        spots[..., arrays.opt_asset], arrays.opt_strike, option_vols, arrays.opt_years, arrays.opt_is_call
    )


def equity_parts(
    arrays: BookArrays, spots: np.ndarray, vols: np.ndarray, basis: np.ndarray, haircuts: np.ndarray,
    smile: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Account equity at every row of ``spots`` (n, A), USD, and its parts.

    Equity = holdings at mark x (1 - haircut) (a negative holding, a borrow, counts in full)
    + unrealised P&L of perps and futures + option marks (long +, short -). ``haircuts`` is
    aligned with ``arrays.hold_asset``; ``smile`` as :func:`option_vols`.
    """
    spots = np.atleast_2d(np.asarray(spots, dtype=float))
    vols = np.broadcast_to(np.asarray(vols, dtype=float), spots.shape)
    lin_mark, lin_upnl, hold_price, hold_value = _linear_and_holdings(arrays, spots, basis, haircuts)
    opt_mark = option_marks(arrays, spots, option_vols(arrays, spots, vols, smile))
    opt_value = arrays.opt_qty * opt_mark
    equity = lin_upnl.sum(axis=-1) + opt_value.sum(axis=-1) + hold_value.sum(axis=-1)
    return {"lin_mark": lin_mark, "lin_upnl": lin_upnl, "opt_mark": opt_mark, "opt_value": opt_value,
            "hold_price": hold_price, "hold_value": hold_value, "equity": equity}


def book_equity(arrays: BookArrays, spots: np.ndarray, basis: np.ndarray, haircuts: np.ndarray,
                option_value: float) -> float:
    """Equity (USD) at one market state, spots (A,), when the options' value (sum of quantity x
    mark, USD) is already known: :func:`equity_parts` without pricing the options again."""
    _, lin_upnl, _, hold_value = _linear_and_holdings(arrays, spots, basis, haircuts)
    return float(lin_upnl.sum() + option_value + hold_value.sum())


def _linear_and_holdings(arrays: BookArrays, spots: np.ndarray, basis: np.ndarray, haircuts: np.ndarray):
    """(linear marks, their unrealised P&L, holding prices, holding values after haircut) at
    ``spots`` (..., A), USD. A negative holding (a borrow) counts in full."""
    lin_mark = linear_marks(arrays, spots, basis)
    lin_upnl = arrays.lin_qty * (lin_mark - arrays.lin_entry)
    hold_price = spots[..., arrays.hold_asset]
    hold_value = np.where(
        arrays.hold_qty > 0, arrays.hold_qty * hold_price * (1.0 - haircuts), arrays.hold_qty * hold_price
    )
    return lin_mark, lin_upnl, hold_price, hold_value
