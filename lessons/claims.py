"""Claims the teaching texts make, as predicates over engine results. Pure; no streamlit.

A sample's story or a lesson's text that compares numbers ("cheaper", "dearer", "barely", "jumps",
"earlier", "saves"...) is either generated from the numbers it describes, or backed by a
:class:`Claim`: the words it backs (``quote``, verbatim), what it says in plain words (``says``),
and a named predicate (``check``, one of :data:`PREDICATES`) with its arguments.
tests/test_claims.py evaluates every claim under every combination of rule sets the app offers
(:func:`views.rules.every_rule_set`: CROSS_PRESETS × PORTFOLIO_PRESETS × correlated / segregated
offsets), or only under the ones its ``only`` names, which the text must then name too (a story names
them in the sentence; a lesson pins its rule sets and says so on screen). The same test finds every
comparative word in the texts (:data:`COMPARATIVE`) and fails on a sentence no claim quotes. The
stories' claims are in :mod:`lessons.stories`, each lesson's in its own module.

Predicates read *quantities* named by a small spec, ``[scale*]name[@change,change...]``:

* names: ``cross.initial``, ``cross.maintenance``, ``cross.equity``, ``portfolio.initial`` (and
  ``.maintenance``, ``.equity``), ``cross:binance.initial`` (a named cross preset, whatever the
  combination), ``benefit.<mode>.<initial|maintenance>`` (margin.hedging_benefit),
  ``liquidation.<cross|isolated|portfolio>.<ASSET>`` (USD; no liquidation reads 0),
  ``component.<breakdown component>`` (portfolio breakdown, USD, 0 when absent), ``range.<ASSET>``
  (portfolio scan range, fraction), ``notional.<ASSET>`` (|qty| × price of perps and futures, USD),
  ``held.<ASSET>`` (coins held, USD), ``price.<ASSET>``, ``correlation.<A>.<B>``,
  ``moneyness.<ASSET>.<call|put>`` (strike / price − 1 of that option), ``vol_notional.<ASSET>``
  (vol × notional, USD);
* changes: ``vol*2`` (every vol × 2), ``corr=-1`` (correlation shock), ``HYPE*1.3`` (a price × 1.3),
  ``USDT=0.9`` (a price set), ``k=2`` (vols of the moved assets follow vol × (P/S)^−k; and the
  liquidation search's spot-vol elasticity), ``sell:BTC`` (the BTC held sold for USDC at today's
  price: equity unchanged), ``drop:<put|call|perp|spot>`` (those positions removed),
  ``only:<put|call|perp|spot>`` (only those positions, no collateral), ``settle:<usd|coin>`` (every
  option settled in dollars or in its coin);
* scale: ``0.3*notional.HYPE``, ``-cross.equity``.

Money in USD; fractions as fractions.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from margin import (
    Future,
    Market,
    Option,
    Perp,
    Portfolio,
    PortfolioParams,
    Spot,
    cross_margin,
    detect_jumps,
    hedging_benefit,
    liquidation_price,
    portfolio_margin,
    shock_sweep,
)
from views import metrics
from views.rules import RuleSets

#: Two engine numbers within this share of the larger (or 1e-6 apart) count as equal.
SAME = 0.005
#: ``Claim.only`` value meaning "the rule sets the lesson pins" (the lesson names them on screen).
LESSON = (("lesson", "pinned"),)
#: ``Claim.only`` values: the claim holds with correlated (segregated) cross-unit offsets.
CORRELATED = (("offsets", "correlated"),)
SEGREGATED = (("offsets", "segregated"),)

#: Words that compare numbers. A sentence of a story or a lesson holding one must be quoted by a claim.
COMPARATIVE = re.compile(
    r"\b(cheap\w*|dear\w*|costl\w*|costs? (?:more|less)|barely|jumps?|earlier|later|late|sooner|more|less|"
    r"saves?|higher|lower|larger|smaller|bigger|deeper|wider|widens?|far|much|rises?|climbs?|shrinks?|above|"
    r"below|exceeds?|most|least|first|almost|nothing|never|not move|not change|in full|twice|times)\b",
    re.IGNORECASE,
)


# -- claims --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    """Words of a text (``quote``) backed by a named predicate (``check``) with ``args``.

    ``only``: (field, value) pairs of :class:`RuleSets` the claim holds for (empty: every combination);
    :data:`LESSON` for "the lesson's pinned rule sets". Build with :func:`claim`.
    """

    quote: str
    says: str
    check: str
    args: tuple[tuple[str, object], ...] = ()
    only: tuple[tuple[str, str], ...] = ()

    @property
    def kwargs(self) -> dict[str, object]:
        return dict(self.args)


def claim(quote: str, says: str, check: str, only: tuple[tuple[str, str], ...] = (), **args) -> Claim:
    if check not in PREDICATES:
        raise KeyError(f"no predicate called {check!r}; choose one of {sorted(PREDICATES)}")
    return Claim(quote, says, check, tuple((k, _frozen(v)) for k, v in args.items()), tuple(only))


def _frozen(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class Verdict:
    holds: bool
    numbers: str


@dataclass(frozen=True)
class Situation:
    """What a claim is evaluated on: a book, its market and one combination of rule sets."""

    book: Portfolio
    market: Market
    rules: RuleSets

    @property
    def cross(self) -> str:
        return self.rules.cross

    @property
    def portfolio(self) -> PortfolioParams:
        return self.rules.portfolio_params


def evaluate(item: Claim, situation: Situation) -> Verdict:
    """Whether ``item`` holds on ``situation``, with the numbers it was decided on."""
    return PREDICATES[item.check](situation, **item.kwargs)


# -- quantities ----------------------------------------------------------------------------------
_SCALE = re.compile(r"^(?P<sign>-)?(?:(?P<number>\d+(?:\.\d+)?(?:e-?\d+)?)\*)?(?P<rest>.+)$")


def quantity(spec: str | float, situation: Situation) -> float:
    """The number ``spec`` names on ``situation`` (see the module docstring); plain numbers pass through."""
    if isinstance(spec, (int, float)):
        return float(spec)
    match = _SCALE.match(spec.strip())
    scale = float(match["number"] or 1.0) * (-1.0 if match["sign"] else 1.0)
    name, _, changes = match["rest"].partition("@")
    book, market, elasticity = _changed(situation.book, situation.market, changes)
    return scale * _base(name.strip(), book, market, situation.rules, elasticity)


def _changed(book: Portfolio, market: Market, changes: str) -> tuple[Portfolio, Market, float]:
    vol_mult, corr_shock, elasticity = 1.0, 0.0, 0.0
    moved: dict[str, float] = {}
    for change in filter(None, (c.strip() for c in changes.split(","))):
        if change.startswith("vol*"):
            vol_mult = float(change[4:])
        elif change.startswith("corr="):
            corr_shock = float(change[5:])
        elif change.startswith("k="):
            elasticity = float(change[2:])
        elif change.startswith("sell:"):
            book = _sold(book, market, change[5:])
        elif change.startswith("drop:"):
            book = book.with_positions(p for p in book.positions if not _is(p, change[5:]))
        elif change.startswith("only:"):
            book = Portfolio(tuple(p for p in book.positions if _is(p, change[5:])), {}, book.title, book.story)
        elif change.startswith("settle:"):  # every option settled in dollars ("usd") or in its coin ("coin")
            book = book.with_positions(dataclasses.replace(p, settlement=change[7:]) if isinstance(p, Option) else p
                                       for p in book.positions)
        elif "*" in change:
            asset, mult = change.split("*")
            moved[asset] = market.prices[asset] * float(mult)
        elif "=" in change:
            asset, price = change.split("=")
            moved[asset] = float(price)
        else:
            raise ValueError(f"unknown change {change!r}")
    if vol_mult != 1.0 or corr_shock != 0.0:
        market = market.shocked(vol_mult=vol_mult, corr_shock=corr_shock)
    if moved:
        if elasticity:
            market = market.with_vols({a: market.vols[a] * (p / market.prices[a]) ** (-elasticity)
                                       for a, p in moved.items()})
        market = market.with_prices(moved)
    return book, market, elasticity


def _is(position, kind: str) -> bool:
    if kind in ("call", "put"):
        return isinstance(position, Option) and position.kind == kind
    return {"perp": Perp, "future": Future, "spot": Spot, "option": Option}[kind] is type(position)


def sold(book: Portfolio, market: Market, asset: str, amount: float | None = None,
         into: str = "USDC") -> Portfolio:
    """``book`` with ``amount`` (default: all) of the ``asset`` it holds (spot rows first, then
    collateral) sold for ``into`` at today's price: the account's value is unchanged, only the
    exposure goes."""
    held = book.holdings().get(asset, 0.0)
    amount = held if amount is None else min(max(amount, 0.0), held)
    left = amount
    positions = []
    for position in book.positions:
        if isinstance(position, Spot) and position.asset == asset and left > 0:
            take = min(position.qty, left)
            left -= take
            if position.qty - take > 1e-12:
                positions.append(Spot(asset, position.qty - take))
            continue
        positions.append(position)
    collateral = dict(book.collateral)
    if left > 0 and asset in collateral:
        collateral[asset] = collateral[asset] - left
    proceeds = amount * market.prices[asset] / market.prices.get(into, 1.0)
    collateral[into] = collateral.get(into, 0.0) + proceeds
    return Portfolio(tuple(positions), collateral, book.title, book.story)


def _sold(book: Portfolio, market: Market, asset: str) -> Portfolio:
    return sold(book, market, asset)


def _base(name: str, book: Portfolio, market: Market, rules: RuleSets, elasticity: float) -> float:
    kind, _, rest = name.partition(".")
    if kind.startswith("cross:"):  # a named cross preset, whatever the combination (a lesson about Binance)
        return float(getattr(cross_margin(book, market, kind[6:]), rest))
    if kind in ("cross", "portfolio"):
        result = (cross_margin(book, market, rules.cross) if kind == "cross"
                  else portfolio_margin(book, market, rules.portfolio_params))
        return float(getattr(result, rest))
    if kind == "benefit":
        mode, field = rest.split(".")
        params = rules.cross if mode == "cross" else rules.portfolio_params
        return float(getattr(hedging_benefit(book, market, mode, params), field))
    if kind == "liquidation":
        mode, asset = rest.split(".")
        params = rules.portfolio_params if mode == "portfolio" else rules.cross
        found = liquidation_price(book, market, asset, mode, params, spot_vol_elasticity=elasticity)
        return 0.0 if found is None else float(found)
    if kind == "component":
        rows = portfolio_margin(book, market, rules.portfolio_params).breakdown
        return float(rows.loc[rows["component"] == rest, "maintenance"].sum())
    if kind == "range":
        return float(portfolio_margin(book, market, rules.portfolio_params).details["ranges"][rest])
    if kind == "notional":
        return math.fsum(abs(p.qty) * market.prices[rest] for p in book.positions
                         if isinstance(p, (Perp, Future)) and p.asset == rest)
    if kind == "vol_notional":
        return _base(f"notional.{rest}", book, market, rules, elasticity) * float(market.vols[rest])
    if kind == "held":
        return book.holdings().get(rest, 0.0) * float(market.prices[rest])
    if kind == "price":
        return float(market.prices[rest])
    if kind == "correlation":
        a, b = rest.split(".")
        return float(market.correlation.loc[a, b])
    if kind == "moneyness":
        asset, option_kind = rest.split(".")
        option = next(p for p in book.positions if isinstance(p, Option) and p.asset == asset
                      and p.kind == option_kind)
        return option.strike / float(market.prices[asset]) - 1.0
    raise ValueError(f"unknown quantity {name!r}")


def _show(spec: str | float, value: float) -> str:
    shown = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"
    return shown if isinstance(spec, (int, float)) else f"{spec} = {shown}"


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= max(SAME * max(abs(a), abs(b)), 1e-6)


# -- predicates ----------------------------------------------------------------------------------
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b and not _same(a, b),
    ">": lambda a, b: a > b and not _same(a, b),
    "<=": lambda a, b: a <= b or _same(a, b),
    ">=": lambda a, b: a >= b or _same(a, b),
    "==": _same,
}


def compare(s: Situation, a: str, op: str, b: str | float, times: str | float = 1.0,
            plus: str | float | tuple = 0.0) -> Verdict:
    """a ``op`` times × b + plus (``plus`` may be a tuple of specs, summed). Equal within :data:`SAME`."""
    x, y, factor = quantity(a, s), quantity(b, s), quantity(times, s)
    extras = plus if isinstance(plus, tuple) else (plus,)
    added = math.fsum(quantity(p, s) for p in extras)
    right = factor * y + added
    parts = [_show(a, x), op, (f"{factor:.4g} × " if factor != 1.0 else "") + _show(b, y)]
    if added:
        parts.append(f"+ {added:,.2f}")
    return Verdict(_OPS[op](x, right), " ".join(parts))


def between(s: Situation, a: str, low: str | float = -math.inf, high: str | float = math.inf) -> Verdict:
    """low ≤ a ≤ high."""
    x, lo, hi = quantity(a, s), quantity(low, s), quantity(high, s)
    return Verdict(lo <= x <= hi, f"{lo:.4g} ≤ {_show(a, x)} ≤ {hi:.4g}")


def ratio(s: Situation, a: str, b: str, low: str | float = -math.inf, high: str | float = math.inf) -> Verdict:
    """low ≤ a / b ≤ high."""
    x, y, lo, hi = quantity(a, s), quantity(b, s), quantity(low, s), quantity(high, s)
    value = x / y if y else math.inf
    return Verdict(lo <= value <= hi, f"{_show(a, x)} / {_show(b, y)} = {value:.4g}, wanted in [{lo:.4g}, {hi:.4g}]")


def rises_more(s: Situation, first: str, second: str, change: str, times: float = 1.0) -> Verdict:
    """Under ``change``, ``first`` rises (in %) at least ``times`` × as much as ``second``, which rises."""
    rises = []
    for spec in (first, second):
        before, after = quantity(spec, s), quantity(f"{spec}@{change}", s)
        rises.append((after / before - 1.0) if before else math.inf)
    holds = rises[1] > 0 and rises[0] >= times * rises[1]
    return Verdict(holds, f"{first} {rises[0]:+.1%}, {second} {rises[1]:+.1%} under {change}")


def steady(s: Situation, a: str, changes: tuple[str, ...], within: str | float) -> Verdict:
    """|a under each change − a| ≤ within (USD)."""
    base, limit = quantity(a, s), quantity(within, s)
    moves = [abs(quantity(f"{a}@{change}", s) - base) for change in changes]
    return Verdict(max(moves) <= limit, f"{a} moves at most {max(moves):,.2f} over {', '.join(changes)}; "
                                         f"limit {limit:,.2f}")


def correlations(s: Situation, assets: tuple[str, ...], low: float, high: float) -> Verdict:
    """Every pairwise correlation among ``assets`` lies in [low, high]."""
    values = [float(s.market.correlation.loc[a, b]) for a, b in itertools.combinations(assets, 2)]
    return Verdict(all(low <= v <= high for v in values), f"correlations from {min(values):.2f} to {max(values):.2f}")


def equity_at_liquidation(s: Situation, mode: str, asset: str, share: float) -> Verdict:
    """At the ``mode`` liquidation price of ``asset``, equity is at most ``share`` of today's."""
    price = quantity(f"liquidation.{mode}.{asset}", s)
    today = quantity(f"{mode}.equity", s)
    there = quantity(f"{mode}.equity@{asset}={price}", s)
    return Verdict(there <= share * today, f"equity {there:,.0f} at {asset} {price:,.2f}, {there / today:.2%} of "
                                            f"today's {today:,.0f}")


def binding_move(s: Situation, side: str) -> Verdict:
    """The scenario that sets the portfolio requirement moves the price ``side`` ("down" / "up");
    for a single risk unit (the identity key of a joint scenario does not carry its sign)."""
    key = portfolio_margin(s.book, s.market, s.portfolio).details.get("binding_key") or ""
    found = re.search(r"([+-]\d+(?:\.\d+)?) x range", key)
    move = float(found.group(1)) if found else 0.0
    holds = move < 0 if side == "down" else move > 0
    return Verdict(holds and key.startswith("alone"), f"binding scenario {key!r}")


def shock_line(book: Portfolio, market: Market, cross: object, portfolio: object,
               column: str = "portfolio_maintenance", held: float = 0.0):
    """What the Shocks page draws on its requirement-vs-volatility chart for ``book``: (the sweep line
    with the correlation shock held at ``held``, the jumps it marks), with the page's own grids
    (views.metrics.VOL_MULTS × CORR_SHOCKS) and jump rule (margin.detect_jumps, views.metrics.jumps_on_line)."""
    sweep = _sweep(book, market, cross, portfolio)
    jumps = metrics.jumps_on_line(detect_jumps(sweep, along="vol_mult", column=column), "corr_shock", held)
    return metrics.sweep_line(sweep, "corr_shock", held), jumps


def _sweep(book: Portfolio, market: Market, cross: object, portfolio: object):
    return shock_sweep(book, market, list(metrics.VOL_MULTS), list(metrics.CORR_SHOCKS), cross, portfolio)


def jumps(s: Situation, expect: str, column: str = "portfolio_maintenance") -> Verdict:
    """The Shocks page marks a jump on the volatility line (correlation shock 0): ``expect`` "some" / "none"."""
    _, marks = shock_line(s.book, s.market, s.cross, s.portfolio, column)
    found = [f"×{v:g}" for v in marks["vol_mult"]]
    return Verdict(bool(found) == (expect == "some"), f"marks: {', '.join(found) or 'none'}")


def worst_corner(s: Situation, column: str = "portfolio_maintenance") -> Verdict:
    """The sweep's largest ``column`` is at the highest vol multiplier and a correlation shock of +1."""
    sweep = _sweep(s.book, s.market, s.cross, s.portfolio)
    top = sweep.loc[sweep[column].idxmax()]
    corner = sweep[(sweep["vol_mult"] == max(metrics.VOL_MULTS)) & (sweep["corr_shock"] == max(metrics.CORR_SHOCKS))]
    value = float(corner[column].iloc[0])
    return Verdict(_same(value, float(top[column])),
                   f"largest {float(top[column]):,.0f} at vol ×{top['vol_mult']:g}, corr {top['corr_shock']:+.1f}; "
                   f"corner {value:,.0f}")


PREDICATES: dict[str, Callable[..., Verdict]] = {
    "compare": compare, "between": between, "ratio": ratio, "rises_more": rises_more, "steady": steady,
    "correlations": correlations, "equity_at_liquidation": equity_at_liquidation, "binding_move": binding_move,
    "jumps": jumps, "worst_corner": worst_corner,
}
