"""Claims the teaching texts make, as predicates over engine results. Pure; no streamlit.

A sample's story or a lesson's text that compares numbers ("cheaper", "dearer", "barely", "jumps",
"earlier", "saves"...) is either generated from the numbers it describes, or backed by a
:class:`Claim`: the words it backs (``quote``, verbatim), what it says in plain words (``says``),
and a named predicate (``check``, one of :data:`PREDICATES`) with its arguments.
tests/test_claims.py evaluates every claim under every combination of rule sets the app offers
(:func:`views.rules.every_rule_set`: CROSS_PRESETS × PORTFOLIO_PRESETS × correlated / segregated offsets), or
only under the ones its ``only`` names, which the text must then name too (a story names them in
the sentence; a lesson pins its rule sets and says so on screen). The same test finds every
comparative word in the texts (:data:`COMPARATIVE`) and fails on a sentence no claim quotes.

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
  ``only:<put|call|perp|spot>`` (only those positions, no collateral);
* scale: ``0.3*notional.HYPE``, ``-cross.equity``.

Money in USD; fractions as fractions.
"""

from __future__ import annotations

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


# -- the sample stories' claims ------------------------------------------------------------------
CORRELATED = (("offsets", "correlated"),)
SEGREGATED = (("offsets", "segregated"),)

STORY_CLAIMS: dict[str, tuple[Claim, ...]] = {
    "01_naked_long_perp.json": (
        claim("Nothing offsets it, so neither mode has a hedging benefit",
              "the hedging benefit is 0 under cross margin", "compare", a="benefit.cross.initial", op="==", b=0.0),
        claim("Nothing offsets it, so neither mode has a hedging benefit",
              "the hedging benefit is 0 under portfolio margin (initial)", "compare",
              a="benefit.portfolio.initial", op="==", b=0.0),
        claim("Nothing offsets it, so neither mode has a hedging benefit",
              "the hedging benefit is 0 under portfolio margin (maintenance)", "compare",
              a="benefit.portfolio.maintenance", op="==", b=0.0),
        claim("10 % of the notional up front", "cross initial is 10 % of the BTC notional", "ratio",
              a="cross.initial", b="notional.BTC", low=0.0995, high=0.1005),
        claim("1.25 % under hyperliquid", "cross maintenance is 1.25 % of the notional under hyperliquid", "ratio",
              only=(("cross", "hyperliquid"),), a="cross.maintenance", b="notional.BTC", low=0.0124, high=0.0126),
        claim("16 % under deribit", "the BTC scan loss is 16 % of the notional under deribit", "ratio",
              only=(("portfolio", "deribit"),), a="component.scenario loss", b="notional.BTC", low=0.159, high=0.161),
        claim("plus a depeg add-on on the USDC", "portfolio maintenance is the BTC scan loss plus the depeg add-on",
              "compare", a="portfolio.maintenance", op="==", b="component.scenario loss",
              plus="component.depeg add-on"),
        claim("asks more than cross margin, both up front and to stay open",
              "portfolio initial is above cross initial", "compare", a="portfolio.initial", op=">", b="cross.initial"),
        claim("asks more than cross margin, both up front and to stay open",
              "portfolio maintenance is above cross maintenance", "compare", a="portfolio.maintenance", op=">",
              b="cross.maintenance"),
        claim("it liquidates the long at a higher BTC price",
              "the portfolio liquidation price of BTC is above the cross one", "compare",
              a="liquidation.portfolio.BTC", op=">", b="liquidation.cross.BTC"),
    ),
    "02_basis_trade.json": (
        claim("The book barely moves with the BTC price",
              "a 10 % BTC move changes portfolio equity by at most 1 % of the BTC held", "steady",
              a="portfolio.equity", changes=("BTC*0.9", "BTC*1.1"), within="0.01*held.BTC"),
        claim("The book barely moves with the BTC price",
              "a 10 % BTC move changes cross equity (after haircuts) by at most 1 % of the BTC held", "steady",
              a="cross.equity", changes=("BTC*0.9", "BTC*1.1"), within="0.01*held.BTC"),
        claim("20 % of its notional up front", "cross initial is 20 % of the perp's notional", "ratio",
              a="cross.initial", b="notional.BTC", low=0.1995, high=0.2005),
        claim("asks far less initial margin", "portfolio initial is under a tenth of cross initial", "compare",
              a="portfolio.initial", op="<", b="cross.initial", times=0.1),
        claim("with almost no scenario loss", "the scenario loss is under 0.1 % of the BTC held", "compare",
              a="component.scenario loss", op="<=", b="held.BTC", times=0.001),
        claim("a basis add-on and a depeg add-on on the USDC",
              "the basis and depeg add-ons make up the portfolio maintenance", "compare",
              a="portfolio.maintenance", op="==", b="component.basis add-on", plus="component.depeg add-on"),
    ),
    "03_btc_eth_pair.json": (
        claim("each leg on its own", "the cross hedging benefit is 0", "compare",
              a="benefit.cross.initial", op="==", b=0.0),
        claim("10 % of its notional up front", "cross initial is 10 % of the two legs' notional", "compare",
              a="cross.initial", op="==", b="0.1*notional.BTC", plus="0.1*notional.ETH"),
        claim("of matched volatility", "vol × notional of the two legs within 1 %", "ratio",
              a="vol_notional.BTC", b="vol_notional.ETH", low=0.99, high=1.01),
        claim("85 % correlated", "BTC/ETH correlation is 0.85", "between", a="correlation.BTC.ETH", low=0.85,
              high=0.85),
        claim("With correlated offsets the legs partly cancel and its initial margin is below cross's",
              "with correlated offsets, portfolio initial is below cross initial", "compare", only=CORRELATED,
              a="portfolio.initial", op="<", b="cross.initial"),
        claim("With correlated offsets the legs partly cancel",
              "with correlated offsets, the portfolio hedging benefit is positive", "compare", only=CORRELATED,
              a="benefit.portfolio.initial", op=">", b=0.0),
        claim("with segregated offsets each coin is margined alone, nothing offsets, and it is above",
              "with segregated offsets, the portfolio hedging benefit is 0", "compare", only=SEGREGATED,
              a="benefit.portfolio.initial", op="==", b=0.0),
        claim("with segregated offsets each coin is margined alone, nothing offsets, and it is above",
              "with segregated offsets, portfolio initial is above cross initial", "compare", only=SEGREGATED,
              a="portfolio.initial", op=">", b="cross.initial"),
        claim("more than the 20,000 USDC posted",
              "with segregated offsets, portfolio initial is above the account's equity", "compare", only=SEGREGATED,
              a="portfolio.initial", op=">", b="portfolio.equity"),
        claim("its maintenance margin is at least twice cross's",
              "portfolio maintenance is at least 2 × cross maintenance", "compare",
              a="portfolio.maintenance", op=">=", b="cross.maintenance", times=2.0),
        claim("it liquidates the pair at a higher BTC price than cross margin",
              "the portfolio liquidation price of BTC is above the cross one", "compare",
              a="liquidation.portfolio.BTC", op=">", b="liquidation.cross.BTC"),
        claim("the offset shrinks and the portfolio requirement climbs",
              "with correlated offsets, the hedging benefit falls as the correlation shock goes to −1", "compare",
              only=CORRELATED, a="benefit.portfolio.maintenance@corr=-1", op="<", b="benefit.portfolio.maintenance"),
        claim("the offset shrinks and the portfolio requirement climbs",
              "with correlated offsets, portfolio maintenance rises as the correlation shock goes to −1", "compare",
              only=CORRELATED, a="portfolio.maintenance@corr=-1", op=">", b="portfolio.maintenance"),
    ),
    "04_covered_call.json": (
        claim("16 % above the market", "the call strike is 16 % above ETH's price", "between",
              a="moneyness.ETH.call", low=0.155, high=0.165),
        claim("charges the short calls as if they were naked",
              "cross initial is the calls' initial standing alone", "compare",
              a="cross.initial", op="==", b="cross.initial@only:call"),
        claim("charges the short calls as if they were naked",
              "cross maintenance is the calls' maintenance standing alone", "compare",
              a="cross.maintenance", op="==", b="cross.maintenance@only:call"),
        claim("the calls' upside risk is covered", "the portfolio hedging benefit is positive", "compare",
              a="benefit.portfolio.initial", op=">", b=0.0),
        claim("but the coins' downside is now charged",
              "the portfolio requirement is set by a fall in ETH", "binding_move", side="down"),
        claim("a hedge saves margin only when it removes risk the cross rules were charging, and they charge "
              "nothing for the coins", "cross margin asks nothing for the coins alone (initial)", "compare",
              a="cross.initial@drop:call", op="==", b=0.0),
        claim("a hedge saves margin only when it removes risk the cross rules were charging, and they charge "
              "nothing for the coins", "cross margin asks nothing for the coins alone (maintenance)", "compare",
              a="cross.maintenance@drop:call", op="==", b=0.0),
        claim("Here portfolio margin costs more", "portfolio initial is above cross initial", "compare",
              a="portfolio.initial", op=">", b="cross.initial"),
        claim("Here portfolio margin costs more", "portfolio maintenance is above cross maintenance", "compare",
              a="portfolio.maintenance", op=">", b="cross.maintenance"),
    ),
    "05_short_strangle.json": (
        claim("when vol doubles, both requirements rise",
              "cross maintenance rises when volatility doubles", "compare",
              a="cross.maintenance@vol*2", op=">", b="cross.maintenance"),
        claim("when vol doubles, both requirements rise",
              "portfolio maintenance rises when volatility doubles", "compare",
              a="portfolio.maintenance@vol*2", op=">", b="portfolio.maintenance"),
        claim("cross maintenance through the option marks alone",
              "the rise of cross maintenance equals the rise of the short options' value", "compare",
              a="cross.maintenance@vol*2", op="==", b="cross.maintenance",
              plus=("cross.equity", "-cross.equity@vol*2")),
        claim("portfolio maintenance more than twice as much, in %",
              "portfolio maintenance rises at least twice as much in % as cross maintenance", "rises_more",
              first="portfolio.maintenance", second="cross.maintenance", change="vol*2", times=2.0),
        claim("because its scan range widens too", "the BTC scan range is wider at vol ×2", "compare",
              a="range.BTC@vol*2", op=">", b="range.BTC"),
    ),
    "06_conversion.json": (
        claim("Whatever BTC does, the book ends at 88,000",
              "the book's value does not move with BTC (put-call parity)", "steady",
              a="portfolio.equity", changes=("BTC*0.5", "BTC*0.8", "BTC*1.2", "BTC*2"), within=1.0),
        claim("Portfolio margin charges almost nothing",
              "portfolio initial is under 0.5 % of the BTC held", "compare", a="portfolio.initial", op="<",
              b="held.BTC", times=0.005),
        claim("cross margin still charges the short call",
              "cross initial is the short call's initial standing alone", "compare",
              a="cross.initial", op="==", b="cross.initial@only:call"),
        claim("cross margin still charges the short call",
              "cross initial is above 10 % of the BTC held", "compare", a="cross.initial", op=">", b="held.BTC",
              times=0.1),
    ),
    "07_diversified_alts.json": (
        claim("about 20,000 USD each", "each perp's notional is within 5 % of 20,000", "between",
              a="notional.SOL", low=19_000, high=21_000),
        claim("about 20,000 USD each", "each perp's notional is within 5 % of 20,000", "between",
              a="notional.XRP", low=19_000, high=21_000),
        claim("about 20,000 USD each", "each perp's notional is within 5 % of 20,000", "between",
              a="notional.DOGE", low=19_000, high=21_000),
        claim("about 20,000 USD each", "each perp's notional is within 5 % of 20,000", "between",
              a="notional.ADA", low=19_000, high=21_000),
        claim("about 20,000 USD each", "each perp's notional is within 5 % of 20,000", "between",
              a="notional.LINK", low=19_000, high=21_000),
        claim("the coins move together", "pairwise correlations between 0.6 and 0.8", "correlations",
              assets=("SOL", "XRP", "DOGE", "ADA", "LINK"), low=0.6, high=0.8),
        claim("With correlated offsets, portfolio margin gives some diversification credit at today's correlations",
              "with correlated offsets, the hedging benefit is positive today", "compare", only=CORRELATED,
              a="benefit.portfolio.maintenance", op=">", b=0.0),
        claim("takes it back when correlations jump toward 1 in a crash",
              "at a correlation shock of +1 the hedging benefit is 0", "compare",
              a="benefit.portfolio.maintenance@corr=1", op="==", b=0.0),
        claim("with segregated offsets it gives none to begin with",
              "with segregated offsets, the hedging benefit is 0 today", "compare", only=SEGREGATED,
              a="benefit.portfolio.maintenance", op="==", b=0.0),
    ),
    "08_stablecoin_depeg.json": (
        claim("Cross margin counts the USDT at face value",
              "without the perp, cross equity is the 50,000 USDT", "compare",
              a="cross.equity@drop:perp", op="==", b="held.USDT"),
        claim("Portfolio margin adds a depeg add-on", "the portfolio breakdown has a depeg add-on", "compare",
              a="component.depeg add-on", op=">", b=0.0),
        claim("a stablecoin that loses its peg shrinks the collateral",
              "USDT at 0.90 takes 5,000 off equity", "compare", a="cross.equity@USDT=0.9", op="==",
              b="cross.equity", plus="-0.1*held.USDT"),
    ),
    "09_cross_contagion.json": (
        claim("If HYPE rallies 50 %, its loss drains the shared pool",
              "HYPE up 50 % takes half the HYPE notional out of cross equity", "compare",
              a="cross.equity@HYPE*1.5", op="==", b="cross.equity", plus="-0.5*notional.HYPE"),
        claim("the cross account falls below maintenance, the healthy SOL position with it",
              "HYPE up 50 %, SOL unchanged: cross equity is below cross maintenance", "compare",
              a="cross.equity@HYPE*1.5", op="<", b="cross.maintenance@HYPE*1.5"),
        claim("in isolated mode the SOL position would not notice",
              "the isolated SOL liquidation price is the same after a 50 % HYPE rally", "compare",
              a="liquidation.isolated.SOL@HYPE*1.5", op="==", b="liquidation.isolated.SOL"),
    ),
}
