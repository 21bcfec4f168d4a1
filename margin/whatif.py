"""What-if: the incremental margin of one trade, under cross and portfolio margin, before it is made.

``incremental_margin(book, trade, market)`` prices the book and the book with the trade in full,
with the same entry points the Compare page uses (:func:`margin.cross_margin`,
:func:`margin.portfolio_margin`, :func:`margin.liquidation_prices`), so each change is exactly the
difference of two full computations. A trade is made at today's prices: a perp's or future's entry
is its mark, and the cash leg of a trade that costs money (an option's premium at its Black-76 mark,
a spot purchase at the spot price) is paid from, or a sale's proceeds paid into, the book's
stablecoin collateral (:func:`settlement_asset`), so equity is unchanged by the trade itself, as at a
venue: it moves only with the requirements' add-ons and haircuts.

Venues let an order through when it reduces the account's risk even when equity is below initial
margin (Deribit lists a "risk-reducing order limit" among its portfolio-margin open-order
restrictions, API ``private/get_pme_params``; Binance puts an account below maintenance into
``REDUCE_ONLY`` mode, options user-data stream event ``RISK_LEVEL_CHANGE``). Each venue's test of
"risk-reducing" is its own and not published in full; this module's is stated in
:attr:`IncrementalMargin.reduces_risk`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from margin.book import book_arrays, market_vectors
from margin.cross import cross_margin
from margin.errors import PortfolioError
from margin.greeks import option_vols, unit_delta_coins
from margin.instruments import (
    INVERSE_TYPES,
    POSITION_TYPES,
    Future,
    InverseFuture,
    InversePerp,
    Option,
    Perp,
    Portfolio,
    Position,
    Spot,
    check_number,
)
from margin.liquidation import liquidation_prices
from margin.market import Market, is_stablecoin
from margin.portfolio import portfolio_margin
from margin.presets import portfolio_params as resolve_portfolio_params
from margin.pricing import black76_price

#: The kinds of trade a ticket offers, as the Build page's table names them.
TRADE_KINDS = ("perp", "future", "call", "put", "spot", "inverse perp", "inverse future", "coin call", "coin put")
SIDES = ("buy", "sell")
MODES = ("cross", "portfolio")
FIELDS = ("initial", "maintenance", "equity")
#: Stablecoin used for a trade's cash leg when the book's collateral holds none.
DEFAULT_SETTLEMENT = "USDC"
#: Changes smaller than this (USD) count as none in :attr:`IncrementalMargin.reduces_risk` (round-off).
TOLERANCE_USD = 1e-6


def _number(value: object, field: str, fix: str, positive: bool = True) -> float:
    number = check_number(value, field, fix=fix)
    if positive and number <= 0:
        raise PortfolioError(f"{field}: must be above 0, got {value!r}. {fix}")
    return number


def make_trade(kind: str, asset: str, side: str, size: float, market: Market, strike: float | None = None,
               expiry_days: float | None = None, leverage: float | None = None) -> Position:
    """A trade at today's prices, as a position to add to a book.

    Args:
        kind: one of :data:`TRADE_KINDS`.
        asset: a ticker with a price in ``market``.
        side: "buy" (long) or "sell" (short).
        size: > 0; coins for perps, futures, options and spot, USD face value for inverse contracts.
        market: today's market: a perp's entry is the spot, a future's its mark spot x e^{b T}, an
            option's premium its Black-76 mark (:func:`option_mark`).
        strike: USD, options only. expiry_days: calendar days, options and dated futures.
        leverage: perps and futures (USD or inverse), for cross initial margin; None = the rule set's maximum.

    Raises PortfolioError naming the field (``trade.kind``, ``trade.asset``, ``trade.side``,
    ``trade.size``, ``trade.strike``, ``trade.expiry_days``) and the fix.
    """
    if not isinstance(kind, str) or kind not in TRADE_KINDS:
        raise PortfolioError(f"trade.kind: must be one of {', '.join(TRADE_KINDS)} (got {kind!r}).")
    if not isinstance(market, Market):
        raise PortfolioError(f"market: expected a Market, got {type(market).__name__}.")
    market.require(asset, "trade.asset")
    if not isinstance(side, str) or side not in SIDES:
        raise PortfolioError(f"trade.side: must be 'buy' or 'sell' (got {side!r}).")
    unit = "USD of face value" if kind.startswith("inverse") else f"coins of {asset}"
    size = _number(size, "trade.size", f"Give the size in {unit}, above 0.")
    signed = size if side == "buy" else -size
    spot = float(market.prices[asset])
    basis = float(market.basis.get(asset, 0.0))
    dated = kind in ("future", "inverse future", "call", "put", "coin call", "coin put")
    if dated:
        if expiry_days is None:
            raise PortfolioError(f"trade.expiry_days: a {kind} needs an expiry; give days to expiry, e.g. 30.")
        expiry_days = check_number(expiry_days, "trade.expiry_days", low=0.0, high=3650.0, fix="Use days, 0 to 3650.")
    if kind in ("call", "put", "coin call", "coin put"):
        if strike is None:
            raise PortfolioError(f"trade.strike: a {kind} needs a strike price in USD, e.g. {spot:,.0f}.")
        strike = _number(strike, "trade.strike", "Give a strike price in USD, above 0.")
        settlement = "coin" if kind.startswith("coin") else "usd"  # a coin call or put settles in its coin
        option = Option(asset, kind.split()[-1], strike, expiry_days, signed, settlement=settlement)
        return Option(asset, kind.split()[-1], strike, expiry_days, signed, entry_price=option_mark(option, market),
                      settlement=settlement)
    if kind == "spot":
        return Spot(asset, signed)
    mark = spot * math.exp(basis * expiry_days / 365.0) if dated else spot
    if kind == "perp":
        return Perp(asset, signed, mark, leverage)
    if kind == "future":
        return Future(asset, signed, mark, expiry_days, leverage)
    if kind == "inverse perp":
        return InversePerp(asset, signed, mark, leverage)
    return InverseFuture(asset, signed, mark, expiry_days, leverage)


def settlement_asset(book: Portfolio) -> str:
    """The stablecoin a trade's cash leg settles in: the book's largest stablecoin collateral
    balance, else :data:`DEFAULT_SETTLEMENT` (a negative balance then: dollars borrowed)."""
    stables = [(amount, asset) for asset, amount in book.collateral.items() if is_stablecoin(asset) and amount > 0]
    return max(stables)[1] if stables else DEFAULT_SETTLEMENT


def option_mark(option: Option, market: Market) -> float:
    """Today's Black-76 mark (USD per contract, r = 0) of ``option`` at the vol the scenario grid
    prices it with (:func:`margin.greeks.option_vols`)."""
    arrays = book_arrays(Portfolio((option,)), market)
    spots, vols, _ = market_vectors(arrays, market)
    return float(black76_price(spots[arrays.opt_asset], arrays.opt_strike, option_vols(arrays, market, spots, vols),
                               arrays.opt_years, arrays.opt_is_call)[0])


def trade_cost(trade: Position, market: Market) -> float:
    """USD the trade pays at today's prices (negative: it receives): an option's contracts x its
    Black-76 mark, a spot trade's coins x the spot price; perps and futures (entered at their mark) 0."""
    if isinstance(trade, Option):
        return trade.qty * option_mark(trade, market)
    if isinstance(trade, Spot):
        return trade.qty * float(market.prices[trade.asset])
    return 0.0


def _check_trade(trade: object, market: Market) -> None:
    if not isinstance(trade, POSITION_TYPES):
        raise PortfolioError(f"trade: must be a position (Spot, Perp, Future, Option, InversePerp, InverseFuture); "
                             f"got {type(trade).__name__}. Build one with margin.whatif.make_trade.")
    if not isinstance(market, Market):
        raise PortfolioError(f"market: expected a Market, got {type(market).__name__}.")
    market.require(trade.asset, "trade.asset")
    size_field = "trade.usd_size" if isinstance(trade, INVERSE_TYPES) else "trade.qty"
    if (trade.usd_size if isinstance(trade, INVERSE_TYPES) else trade.qty) == 0:
        raise PortfolioError(f"{size_field}: a trade of size 0 changes nothing; give a size above 0.")


def with_trade(book: Portfolio, trade: Position, market: Market, settle: bool = True) -> Portfolio:
    """``book`` with ``trade`` added and, when ``settle``, its cost (:func:`trade_cost`) taken from the
    settlement stablecoin's collateral (:func:`settlement_asset`)."""
    if not isinstance(book, Portfolio):
        raise PortfolioError(f"book: expected a Portfolio, got {type(book).__name__}.")
    _check_trade(trade, market)
    collateral = dict(book.collateral)
    cost = trade_cost(trade, market) if settle else 0.0
    if cost:
        asset = settlement_asset(book)
        market.require(asset, "trade settlement")
        collateral[asset] = collateral.get(asset, 0.0) - cost / float(market.prices[asset])
    return Portfolio(tuple(book.positions) + (trade,), collateral, book.title, book.story)


@dataclass(frozen=True)
class IncrementalMargin:
    """What one trade does to a book's margin, before it is made. Money in USD.

    Attributes:
        trade: the position added. asset: its underlying.
        cost: USD paid for it (negative: received), from ``settled_in``'s collateral (0 when not settled).
        settled_in: the stablecoin the cost was paid from.
        book_after: the book with the trade and its cash leg.
        before, after: mode ("cross" | "portfolio") -> {"initial", "maintenance", "equity"}, each the
            full computation of that book (``cross_margin``, ``portfolio_margin``).
        liquidation_before, liquidation_after: mode -> :func:`margin.liquidation_prices` of the
            trade's asset ({"below", "above", "already"}).
        delta_before, delta_after: the book's delta on the trade's asset, coins (:mod:`margin.greeks`);
            under a rule set that keeps settlement currencies apart (``inverse_risk_in_coin``), without
            the coin balances, which that rule set counts as riskless.
        closes: the trade only reduces an existing position on the same instrument (a reduce-only
            order: same asset, contract, strike, expiry and settlement, opposite side, no larger).
        reduces_risk: whether the trade reduces risk (the property states the rule).
    """

    trade: Position
    asset: str
    cost: float
    settled_in: str
    book_after: Portfolio
    before: dict
    after: dict
    liquidation_before: dict
    liquidation_after: dict
    delta_before: float
    delta_after: float
    closes: bool = False

    def change(self, mode: str, field: str) -> float:
        """after - before of ``field`` ("initial" | "maintenance" | "equity") under ``mode``, USD."""
        if mode not in MODES or field not in FIELDS:
            raise PortfolioError(f"change: mode must be one of {MODES} and field one of {FIELDS} "
                                 f"(got {mode!r}, {field!r}).")
        return self.after[mode][field] - self.before[mode][field]

    @property
    def reduces_risk(self) -> bool:
        """True when the trade reduces the account's risk, by this definition: it only closes (part
        of) an existing position (:attr:`closes`: a reduce-only order, which venues always accept), or
        portfolio maintenance does not rise (by more than :data:`TOLERANCE_USD`) and the book's delta
        on the trade's asset does not grow in size (|delta after| <= |delta before|, coins, to 1e-12
        relative).

        Maintenance and delta together: a trade that lowers the scenario loss while adding directional exposure (a
        deep in-the-money option the grid happens to like), or that cuts delta while adding short
        gamma the grid charges for, is not counted as risk-reducing. It is a proxy for what venues
        check (see the module docstring); cross maintenance is not part of it (it adds up positions,
        so every new position raises it).
        """
        if self.closes:
            return True
        maintenance_ok = self.change("portfolio", "maintenance") <= TOLERANCE_USD
        scale = max(abs(self.delta_before), abs(self.delta_after), 1.0)
        delta_ok = abs(self.delta_after) <= abs(self.delta_before) + 1e-12 * scale
        return bool(maintenance_ok and delta_ok)

    def free_collateral(self, mode: str, when: str = "after") -> float:
        """Equity minus initial margin (USD) under ``mode``, ``when`` "before" or "after" the trade."""
        numbers = self.after[mode] if when == "after" else self.before[mode]
        return numbers["equity"] - numbers["initial"]


def _numbers(result) -> dict:
    return {"initial": float(result.initial), "maintenance": float(result.maintenance), "equity": float(result.equity)}


def incremental_margin(book: Portfolio, trade: Position, market: Market, cross_params=None, portfolio_params=None,
                       settle: bool = True, with_liquidation: bool = True,
                       liquidation=liquidation_prices) -> IncrementalMargin:
    """The change of initial and maintenance margin, under cross and portfolio margin, that adding
    ``trade`` to ``book`` makes, and the liquidation prices of the trade's asset before and after.

    Args:
        book, market: the Portfolio and today's Market.
        trade: a position (e.g. from :func:`make_trade`), added as it is.
        cross_params: cross rule set (preset name or CrossParams; None = default).
        portfolio_params: portfolio rule set (preset name or PortfolioParams; None = default).
        settle: pay the trade's cost from the book's stablecoin collateral (:func:`with_trade`).
        with_liquidation: search the liquidation prices (False leaves them empty: {} per mode).
        liquidation: the search, ``(book, market, asset, mode, params) -> {"below", "above", "already"}``:
            :func:`margin.liquidation_prices` (a caller with a cache of its results passes a cached one: the
            Build page's payoff chart searches the book's own prices too).

    Each before/after number is a full computation of that book with ``cross_margin`` /
    ``portfolio_margin``, so :meth:`IncrementalMargin.change` is their exact difference.
    Raises PortfolioError for a bad book, market, rule set or trade (a size of 0, an asset
    without a price), naming the field.
    """
    after_book = with_trade(book, trade, market, settle)
    cost = trade_cost(trade, market) if settle else 0.0
    before, after, liq_before, liq_after = {}, {}, {}, {}
    for mode, compute, params in (("cross", cross_margin, cross_params),
                                  ("portfolio", portfolio_margin, portfolio_params)):
        before[mode] = _numbers(compute(book, market, params))
        after[mode] = _numbers(compute(after_book, market, params))
        if with_liquidation:
            liq_before[mode] = liquidation(book, market, trade.asset, mode, params)
            liq_after[mode] = liquidation(after_book, market, trade.asset, mode, params)
    apart = resolve_portfolio_params(portfolio_params).inverse_risk_in_coin  # coin balances riskless: left out
    return IncrementalMargin(
        trade=trade, asset=trade.asset, cost=float(cost), settled_in=settlement_asset(book), book_after=after_book,
        before=before, after=after, liquidation_before=liq_before, liquidation_after=liq_after,
        delta_before=unit_delta_coins(_without_balances(book) if apart else book, market, trade.asset),
        delta_after=unit_delta_coins(_without_balances(after_book) if apart else after_book, market, trade.asset),
        closes=closes_position(book, trade),
    )


def _without_balances(book: Portfolio) -> Portfolio:
    """``book``'s derivatives alone: no spot holding, no collateral."""
    return Portfolio(tuple(p for p in book.positions if not isinstance(p, Spot)), {}, book.title, book.story)


def _instrument(position) -> tuple:
    """What makes two positions one instrument at a venue: type, asset and the contract's terms."""
    terms = tuple(getattr(position, name, None) for name in ("kind", "strike", "expiry_days", "settlement"))
    return (type(position).__name__, position.asset, *terms)


def _size(position) -> float:
    return position.usd_size if isinstance(position, (InversePerp, InverseFuture)) else position.qty


def open_size(book: Portfolio, position: Position) -> float:
    """The book's net position on ``position``'s instrument: coins, or USD of face value for an inverse
    contract; for spot, the coins held (collateral included)."""
    if isinstance(position, Spot):
        return book.holdings().get(position.asset, 0.0)
    return sum(_size(p) for p in book.positions if _instrument(p) == _instrument(position))


def closes_position(book: Portfolio, trade: Position) -> bool:
    """Whether ``trade`` only reduces the book's existing position on its instrument (opposite side,
    no larger than it): a reduce-only order. A spot sale closes coins held (collateral included)."""
    net, size = open_size(book, trade), _size(trade)
    return net * size < 0 and abs(size) <= abs(net)


def nearest_liquidation(found: dict, today: float) -> float | None:
    """The liquidation price nearest ``today`` (in log distance) of a :func:`margin.liquidation_prices`
    result; today's price when already liquidatable; None when none."""
    if found.get("already"):
        return found.get("below")
    candidates = [p for p in (found.get("below"), found.get("above")) if p is not None]
    if not candidates:
        return None
    return min(candidates, key=lambda p: abs(np.log(p / today)))
