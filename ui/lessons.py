"""Guided lessons: definitions and pure check functions. No streamlit.

A lesson is a sample book, a few steps (what to look at, one control to move, what happens and
why) and questions. Answers are never hard-coded: each question's ``solve`` calls the engine when
the student answers, on the lesson's sample book and the default market, with the ACTIVE rule
sets (``Context.cross`` / ``Context.portfolio``). Numeric answers count within a tolerance; in a
multiple-choice question the correct option is picked by comparing engine numbers. A wrong answer
gets a second try (with a hint from the numbers) before the engine's answer is shown.

Texts that compare numbers are either generated from those numbers (a step's ``look`` / ``move`` /
``why`` may be a function of the :class:`Context`) or backed by a :class:`ui.claims.Claim` in the
lesson's ``claims``, which tests/test_claims.py evaluates under every combination of rule sets, or
under the lesson's own (``Lesson.rules``: the lesson pins them and names them on screen).

Money is USD; percentages the student types are in percent (85.1 means 85.1 %).
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from margin import (
    CROSS_PRESETS,
    Market,
    Option,
    Portfolio,
    PortfolioParams,
    Spot,
    cross_margin,
    detect_jumps,
    hedging_benefit,
    liquidation_price,
    portfolio_margin,
)
from margin.market import is_stablecoin
from margin.presets import DEFAULT_CROSS, DEFAULT_PORTFOLIO, portfolio_params
from ui.claims import CORRELATED, Claim, claim, shock_line, sold
from views import samples, scenario_text, text
from views.rules import RuleSets

#: Relative change below which two engine numbers count as "the same" in multiple-choice questions.
SAME = 0.005
#: Tries a student gets at a question before the engine's answer is shown.
TRIES = 2


# -- data ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Context:
    """What an answer is computed on: the lesson's book and market, and the active rule sets (a portfolio
    rule set by name or as PortfolioParams, e.g. a preset with the sidebar's offsets choice)."""

    book: Portfolio
    market: Market
    cross: str = DEFAULT_CROSS
    portfolio: str | PortfolioParams = DEFAULT_PORTFOLIO

    @property
    def portfolio_name(self) -> str:
        return getattr(self.portfolio, "name", self.portfolio)

    @property
    def portfolio_rules(self) -> PortfolioParams:
        return portfolio_params(self.portfolio)


#: A text of a step: fixed words, or words generated from the numbers of a Context.
Text = str | Callable[[Context], str]


def say(words: Text, ctx: Context) -> str:
    """The words of a step field: ``words`` itself, or generated from ``ctx``."""
    return words(ctx) if callable(words) else words


@dataclass(frozen=True)
class Readout:
    """Live engine numbers next to a lesson's control: (label, value) metrics and a sentence."""

    metrics: tuple[tuple[str, str], ...]
    note: str = ""


@dataclass(frozen=True)
class Control:
    """One slider the student moves inside the lesson; ``read`` computes the numbers it shows."""

    label: str
    minimum: float
    maximum: float
    value: float
    step: float
    read: Callable[[Context, float], Readout]
    help: str = ""


@dataclass(frozen=True)
class Step:
    """What to look at, one control to move, what happens and why (each fixed or generated, see :data:`Text`).

    ``page`` is the app page that shows it in full; ``preset`` = ("cross" | "portfolio", name)
    offers a button that switches the sidebar's rule set.
    """

    title: str
    look: Text
    why: Text
    move: Text = ""
    page: str | None = None
    control: Control | None = None
    preset: tuple[str, str] | None = None


@dataclass(frozen=True)
class Solution:
    """The engine's answer: ``value`` (numeric) or ``accepted`` option indices, and why."""

    why: str
    value: float | None = None
    accepted: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Question:
    """A question checked on the spot. ``options`` empty means a numeric answer in ``unit``."""

    prompt: str
    solve: Callable[[Context], Solution]
    options: tuple[str, ...] = ()
    unit: str = ""
    abs_tol: float = 0.0
    rel_tol: float = 0.0

    @property
    def is_choice(self) -> bool:
        return bool(self.options)


@dataclass(frozen=True)
class Feedback:
    """The result of a check. ``retry``: wrong, and the student may try again before the answer is shown."""

    correct: bool
    message: str
    retry: bool = False


@dataclass(frozen=True)
class Lesson:
    """A lesson on one sample book, taught with the rule sets ``rules`` (pinned while it is open).

    ``claims`` back the fixed words of its texts that compare numbers (see :mod:`ui.claims`).
    """

    id: str
    title: str
    sample: str
    summary: str
    steps: tuple[Step, ...]
    questions: tuple[Question, ...]
    rules: RuleSets = RuleSets()
    claims: tuple[Claim, ...] = ()

    @property
    def n_steps(self) -> int:
        """Content steps plus the final "check yourself" step."""
        return len(self.steps) + 1


def rules_label(rules: RuleSets) -> str:
    """'cross hyperliquid / portfolio deribit, correlated offsets'."""
    return f"cross {rules.cross} / portfolio {rules.portfolio}, {rules.offsets} offsets"


# -- samples and context -------------------------------------------------------------------------
@lru_cache(maxsize=32)
def sample(name: str) -> tuple[Portfolio, Market]:
    """A sample's book and market, as the app loads them (:func:`views.samples.load_sample`), kept once read."""
    return samples.load_sample(name)


def context(lesson: Lesson, cross: str = DEFAULT_CROSS,
            portfolio: str | PortfolioParams = DEFAULT_PORTFOLIO) -> Context:
    book, market = sample(lesson.sample)
    return Context(book, market, cross, portfolio)


def pinned_context(lesson: Lesson) -> Context:
    """The lesson's book and market with the rule sets it teaches with."""
    return context(lesson, lesson.rules.cross, lesson.rules.portfolio_params)


# -- checking ------------------------------------------------------------------------------------
def tolerance(question: Question, expected: float) -> float:
    return max(question.abs_tol, question.rel_tol * abs(expected))


def fmt(value: float | None, unit: str) -> str:
    """A number in the question's unit: '$1,234', '$121.12' (prices), '85.1 %', '2.36×'."""
    if value is None or not math.isfinite(value):
        return "—"
    if unit == "USD":
        return text.money(value)
    if unit == "USD price":
        return text.price(value)
    if unit == "%":
        return f"{value:.1f} %".replace("-", "−")
    if unit == "×":
        return f"{value:.2f}×"
    return f"{value:g}"


def check(question: Question, solution: Solution, answer: float | int | None, attempt: int = TRIES) -> Feedback:
    """Compare the student's answer with the engine's.

    ``attempt`` counts the student's checks of this question (1 = first). A wrong answer before the
    last try gets a hint and another try (``retry``), without the answer; from the last try on, the
    message carries the engine's answer and its numbers.
    """
    if question.is_choice:
        if answer is None:
            return Feedback(False, "Choose one of the options first.", retry=True)
        right = " / ".join(f"“{question.options[i]}”" for i in sorted(solution.accepted))
        if int(answer) in solution.accepted:
            return Feedback(True, f"Right: {right}. {solution.why}")
        if attempt < TRIES:
            return Feedback(False, f"Not quite: “{question.options[int(answer)]}” is not what the engine finds. "
                                   f"{_tries_left(attempt)}", retry=True)
        return Feedback(False, f"Not quite: you chose “{question.options[int(answer)]}”, the engine says {right}. "
                               f"{solution.why}")
    if answer is None or not math.isfinite(float(answer)):
        return Feedback(False, "Enter a number first.", retry=True)
    if solution.value is None:
        return Feedback(False, f"The engine finds no such number with these rule sets. {solution.why}")
    answer, expected = float(answer), float(solution.value)
    tol = tolerance(question, expected)
    shown = f"the engine says {fmt(expected, question.unit)} (answers within ±{fmt(tol, question.unit)} count)"
    if abs(answer - expected) <= tol:
        return Feedback(True, f"Right: {shown}; you answered {fmt(answer, question.unit)}. {solution.why}")
    if attempt < TRIES:
        direction = "high" if answer > expected else "low"
        return Feedback(False, f"Not quite: {fmt(answer, question.unit)} is too {direction}. {_tries_left(attempt)}",
                        retry=True)
    return Feedback(False, f"Not quite: you answered {fmt(answer, question.unit)}; {shown}. {solution.why}")


def _tries_left(attempt: int) -> str:
    left = TRIES - attempt
    return (f"Try again: {'one more try' if left == 1 else f'{left} more tries'} before the engine's answer "
            "is shown.")


def _same(a: float | None, b: float | None, scale: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= SAME * max(abs(scale), 1e-12)


def _moved(before: float | None, after: float | None, scale: float) -> bool:
    return not _same(before, after, scale)


def _rise(before: float, after: float) -> float:
    """Relative change in %, 0 when ``before`` is 0."""
    return (after / before - 1.0) * 100.0 if before else 0.0


def _word(first: float, second: float, more: str, less: str, same: str) -> str:
    """``more`` / ``less`` / ``same`` as ``first`` is above, below or (within SAME) equal to ``second``."""
    if _same(first, second, max(abs(first), abs(second))):
        return same
    return more if first > second else less


def _liq(ctx: Context, asset: str, mode: str, market: Market | None = None, book: Portfolio | None = None,
         elasticity: float = 0.0) -> float | None:
    params = ctx.portfolio if mode == "portfolio" else ctx.cross
    return liquidation_price(book or ctx.book, market or ctx.market, asset, mode, params,
                             spot_vol_elasticity=elasticity)


def _where(value: float | None, today: float) -> str:
    if value is None:
        return "nowhere between 0 and 100× today's price"
    return f"{text.price(value)} ({text.percent(value / today - 1, signed=True)} from {text.price(today)})"


def _margins(ctx: Context, book: Portfolio | None = None, market: Market | None = None):
    book, market = book or ctx.book, market or ctx.market
    return cross_margin(book, market, ctx.cross), portfolio_margin(book, market, ctx.portfolio)


# -- 1. contagion --------------------------------------------------------------------------------
RALLY = 0.30


def _rallied(ctx: Context, fraction: float) -> Market:
    return ctx.market.with_prices({"HYPE": ctx.market.prices["HYPE"] * (1.0 + fraction)})


def _isolated_margin(ctx: Context, asset: str) -> float:
    total = 0.0
    for p in ctx.book.positions:
        if p.asset == asset and hasattr(p, "isolated_margin"):
            lev = p.leverage or CROSS_PRESETS[ctx.cross].asset_max_leverage(asset)
            total += p.isolated_margin if p.isolated_margin is not None else abs(p.qty) * p.entry_price / lev
    return total


def _contagion_read(ctx: Context, rally_pct: float) -> Readout:
    market = _rallied(ctx, rally_pct / 100.0)
    cm = cross_margin(ctx.book, market, ctx.cross)
    cross, isolated = _liq(ctx, "SOL", "cross", market), _liq(ctx, "SOL", "isolated", market)
    note = f"HYPE at {text.price(market.prices['HYPE'])}; cross maintenance {text.money(cm.maintenance)}."
    if cm.is_liquidatable:
        note += " The cross account is already below maintenance: both positions would be liquidated now."
    return Readout((("Cross account equity", text.money(cm.equity)),
                    ("SOL liquidation, cross", text.price(cross)),
                    ("SOL liquidation, isolated", text.price(isolated))), note)


def _solve_first_liquidated(ctx: Context) -> Solution:
    today = ctx.market.prices["SOL"]
    cross, isolated = _liq(ctx, "SOL", "cross"), _liq(ctx, "SOL", "isolated")
    equity = cross_margin(ctx.book, ctx.market, ctx.cross).equity
    c, i = cross or 0.0, isolated or 0.0
    accepted = {2} if _same(c, i, today) else ({0} if c > i else {1})
    why = (f"The engine liquidates the SOL perp at {_where(cross, today)} in the cross account and at "
           f"{_where(isolated, today)} in isolated mode; falling from today's price, the higher one comes first. "
           f"In cross, the whole pool of {text.money(equity)} (USDC plus the HYPE position's P&L) stands behind "
           f"SOL; isolated, it has only its own {text.money(_isolated_margin(ctx, 'SOL'))}.")
    return Solution(why, accepted=frozenset(accepted))


def _solve_cross_after_rally(ctx: Context) -> Solution:
    today = ctx.market.prices["SOL"]
    market = _rallied(ctx, RALLY)
    before, after = _liq(ctx, "SOL", "cross"), _liq(ctx, "SOL", "cross", market)
    isolated = _liq(ctx, "SOL", "isolated", market)
    e0 = cross_margin(ctx.book, ctx.market, ctx.cross).equity
    e1 = cross_margin(ctx.book, market, ctx.cross).equity
    why = (f"HYPE up {RALLY * 100:.0f} % costs the short HYPE perp {text.money(e0 - e1)}, so the shared equity "
           f"falls from {text.money(e0)} to {text.money(e1)} and SOL's cross liquidation price moves from "
           f"{text.price(before)} to {_where(after, today)}. The isolated SOL perp stays at {text.price(isolated)}: "
           "its margin is walled off from HYPE. That is contagion.")
    return Solution(why, value=after)


_DEEPER = ("cross margin lets the SOL perp survive a deeper fall than it could alone",
           "so it survives a deeper fall than the isolated SOL perp")
_HYPE = f"HYPE*{1 + RALLY:g}"

CONTAGION = Lesson(
    id="contagion",
    title="Shared collateral and contagion in cross margin",
    sample="09_cross_contagion.json",
    summary="A winner and a loser share one pool: cross margin lets the SOL perp survive a deeper fall than it "
            "could alone, until losses on HYPE drain the pool and drag it down.",
    steps=(
        Step("One pool, two positions",
             look="The book: a long SOL perp (300 SOL at 10×) and a short HYPE perp (900 HYPE at 5×) in one "
                  "cross account with 15,000 USDC. Each perp also has an isolated margin set (6,000 and "
                  "9,000 USD), used when the position is isolated.",
             why="Under cross margin both positions draw on the same collateral; under isolated margin each "
                 "lives on its own margin and nothing else.",
             page="pages/compare.py"),
        Step("Where does SOL liquidate?",
             look="On the Liquidation page, pick SOL: equity and each mode's maintenance as SOL's price moves, "
                  "with each mode's liquidation price dashed.",
             move="Compare the cross and the isolated liquidation price of SOL.",
             why="The cross SOL position is backed by the whole pool, so it survives a deeper fall than the "
                 "isolated SOL perp, which has only its own 6,000 USD. Shared collateral is a cushion.",
             page="pages/liquidation.py"),
        Step("HYPE rallies",
             look="The short HYPE position loses money as HYPE rises; SOL has not moved.",
             move="Move the HYPE rally slider.",
             why="Every dollar the HYPE short loses leaves the shared pool, so SOL's cross liquidation price "
                 "climbs toward today's price: a loss on one asset can liquidate a position on another "
                 "(contagion). The isolated SOL perp does not move: its margin is walled off.",
             control=Control("HYPE rally (%)", 0.0, 60.0, 0.0, 5.0, _contagion_read,
                             "HYPE's price up by this much, everything else held.")),
    ),
    questions=(
        Question("Today (HYPE unchanged), SOL starts to fall. Which SOL position is liquidated first?",
                 _solve_first_liquidated,
                 options=("The SOL perp in the cross account", "The isolated SOL perp",
                          "Both at the same SOL price")),
        Question(f"HYPE rallies {RALLY * 100:.0f} % (SOL unchanged). At what SOL price is the cross account now "
                 "liquidated? (USD)", _solve_cross_after_rally, unit="USD price", rel_tol=0.01),
    ),
    claims=(
        *(claim(quote, "the cross SOL liquidation price is below the isolated one", "compare",
                a="liquidation.cross.SOL", op="<", b="liquidation.isolated.SOL") for quote in _DEEPER),
        claim("until losses on HYPE drain the pool and drag it down",
              "HYPE up 50 %, SOL unchanged: the cross account is below maintenance", "compare",
              a="cross.equity@HYPE*1.5", op="<", b="cross.maintenance@HYPE*1.5"),
        claim("each lives on its own margin and nothing else",
              "the isolated SOL liquidation price ignores a 30 % HYPE rally", "compare",
              a=f"liquidation.isolated.SOL@{_HYPE}", op="==", b="liquidation.isolated.SOL"),
        claim("The short HYPE position loses money as HYPE rises",
              "HYPE up 30 % costs the short 30 % of its notional", "compare", a=f"cross.equity@{_HYPE}", op="==",
              b="cross.equity", plus=f"-{RALLY:g}*notional.HYPE"),
        claim("Every dollar the HYPE short loses leaves the shared pool",
              "HYPE up 30 % takes 30 % of the HYPE notional out of cross equity", "compare",
              a=f"cross.equity@{_HYPE}", op="==", b="cross.equity", plus=f"-{RALLY:g}*notional.HYPE"),
        claim("so SOL's cross liquidation price climbs toward today's price",
              "after a 30 % HYPE rally, SOL's cross liquidation price is higher, still below today's price",
              "between", a=f"liquidation.cross.SOL@{_HYPE}", low="liquidation.cross.SOL", high="price.SOL"),
        claim("so SOL's cross liquidation price climbs toward today's price",
              "after a 30 % HYPE rally, SOL's cross liquidation price is higher", "compare",
              a=f"liquidation.cross.SOL@{_HYPE}", op=">", b="liquidation.cross.SOL"),
        claim("The isolated SOL perp does not move", "the isolated SOL liquidation price ignores the HYPE rally",
              "compare", a=f"liquidation.isolated.SOL@{_HYPE}", op="==", b="liquidation.isolated.SOL"),
        claim("The isolated SOL perp stays at", "the isolated SOL liquidation price ignores the HYPE rally",
              "compare", a=f"liquidation.isolated.SOL@{_HYPE}", op="==", b="liquidation.isolated.SOL"),
    ),
)


# -- 2. a cheap hedge ----------------------------------------------------------------------------
def _with_qty(book: Portfolio, index: int, qty: float) -> Portfolio:
    """``book`` with position ``index`` resized (dropped at 0)."""
    positions = list(book.positions)
    if qty <= 0:
        positions.pop(index)
    else:
        positions[index] = dataclasses.replace(positions[index], qty=math.copysign(qty, positions[index].qty))
    return book.with_positions(positions)


def _index(book: Portfolio, test: Callable[[object], bool]) -> int:
    return next(i for i, p in enumerate(book.positions) if test(p))


def _hedge_read(ctx: Context, put_size: float) -> Readout:
    book = _with_qty(ctx.book, _index(ctx.book, lambda p: isinstance(p, Option) and p.kind == "put"), put_size)
    cm, pm = _margins(ctx, book)
    return Readout((("Cross initial", text.money(cm.initial)), ("Portfolio initial", text.money(pm.initial))),
                   scenario_text.read_binding(pm.binding_scenario))


def _solve_hedge_benefit(ctx: Context) -> Solution:
    """The portfolio-margin hedging benefit (margin.hedging_benefit): standalone sum − the book's, initial."""
    pm = hedging_benefit(ctx.book, ctx.market, "portfolio", ctx.portfolio)
    cm = hedging_benefit(ctx.book, ctx.market, "cross", ctx.cross)
    alone = "; ".join(f"{row.position} {text.money(row.initial)}" for row in pm.standalone.itertuples())
    share = (f" ({text.percent(pm.initial_share)} of the standalone sum)" if pm.initial_share is not None else "")
    why = (f"Standing alone under {ctx.portfolio_name}, the positions ask: {alone}; "
           f"{text.money(pm.standalone_initial)} of initial margin in all. The book together asks {text.money(pm.book_initial)}, so offsets save "
           f"{text.money(pm.initial)}{share}: the coin, the put and the call cancel in every scenario. Under cross "
           f"margin the hedging benefit is {text.money(cm.initial)}: it charges each position on its own rule "
           f"({text.money(cm.book_initial)} for the book, the same as its positions alone). The gap between the "
           f"modes, cross initial minus portfolio initial ({text.money_gap(cm.book_initial, pm.book_initial)}), is "
           "a different number: the mode difference, not an offset.")
    return Solution(why, value=pm.initial)


COMPONENTS = ("Scenario loss of the BTC unit", "Short-option minimum", "Depeg add-on on the USDC", "Basis add-on")
_COMPONENT_KEYS = ("scenario loss", "short-option minimum", "depeg add-on", "basis add-on")


def _solve_largest_component(ctx: Context) -> Solution:
    breakdown = portfolio_margin(ctx.book, ctx.market, ctx.portfolio).breakdown
    amounts = [float(breakdown.loc[breakdown["component"] == key, "maintenance"].clip(lower=0).sum())
               for key in _COMPONENT_KEYS]
    top = max(amounts)
    accepted = {i for i, a in enumerate(amounts) if _same(a, top, top) and a > 0} or {0}
    listed = "; ".join(f"{name} {text.money(a)}" for name, a in zip(COMPONENTS, amounts, strict=True))
    largest = " and ".join(COMPONENTS[i][0].lower() + COMPONENTS[i][1:] for i in sorted(accepted))
    why = (f"Portfolio maintenance components: {listed}. The three legs cancel in every scenario, so the "
           f"scenario loss is {text.money(amounts[0])}; the short-option minimum counts NET short contracts per "
           f"strike and expiry, and the call is hedged by the put at the same strike. The largest is the {largest}.")
    return Solution(why, accepted=frozenset(accepted))


HEDGE = Lesson(
    id="hedge",
    title="Why a hedge is cheap under portfolio margin",
    sample="06_conversion.json",
    summary="A conversion (long coin, long put, short call) cannot lose: portfolio margin sees that, "
            "cross margin charges the short call as if it were naked.",
    steps=(
        Step("A book that cannot lose",
             look="Own 1 BTC, long the 88,000 put, short the 88,000 call, both expiring in 30 days. At expiry "
                  "the book is worth 88,000 USD whatever BTC does.",
             why="The put floors the coin's value and the call caps it: the three legs cancel.",
             page="pages/build.py"),
        Step("What cross margin charges",
             look="On Compare, the cross breakdown charges the short call as if it were naked (up to 15 % of the "
                  "underlying plus its mark) and gives the coin and the put no credit.",
             why="Cross margin adds up per-position rules: it cannot see that the put and the coin cover the call.",
             page="pages/compare.py"),
        Step("What portfolio margin charges",
             look="The portfolio breakdown revalues the whole BTC unit in every scenario of the grid.",
             move="Move the long put slider toward 0.",
             why="With the put, every scenario loses about nothing. Without it the book is a covered call: its "
                 "downside is back and portfolio margin charges it at once, while cross margin does not change "
                 "(a long option needs no margin).",
             control=Control("Long put (contracts)", 0.0, 1.0, 1.0, 0.25, _hedge_read,
                             "Size of the long 88,000 put; 0 removes it.")),
    ),
    questions=(
        Question("What is the hedging benefit under portfolio margin: the initial margin the three positions "
                 "would ask standing alone, minus what the book asks? (USD)", _solve_hedge_benefit, unit="USD",
                 abs_tol=1.0, rel_tol=0.01),
        Question("Which component makes up most of the portfolio maintenance margin?", _solve_largest_component,
                 options=COMPONENTS),
    ),
    claims=(
        claim("a hedge is cheap under portfolio margin", "portfolio initial is under 0.5 % of the BTC held",
              "compare", a="portfolio.initial", op="<", b="held.BTC", times=0.005),
        claim("cannot lose", "the book's value does not move with BTC", "steady", a="portfolio.equity",
              changes=("BTC*0.5", "BTC*0.8", "BTC*1.2", "BTC*2"), within=1.0),
        claim("the book is worth 88,000 USD whatever BTC does", "equity is 88,000 plus the USDC, at any BTC price",
              "compare", a="portfolio.equity@BTC*0.6", op="==", b="held.USDC", plus=88_000.0),
        claim("cross margin charges the short call as if it were naked",
              "cross initial is the short call's standing alone", "compare", a="cross.initial", op="==",
              b="cross.initial@only:call"),
        claim("charges the short call as if it were naked (up to 15 % of the underlying plus its mark)",
              "cross maintenance is the short call's standing alone", "compare", a="cross.maintenance", op="==",
              b="cross.maintenance@only:call"),
        claim("it cannot see that the put and the coin cover the call", "the cross hedging benefit is 0",
              "compare", a="benefit.cross.initial", op="==", b=0.0),
        claim("With the put, every scenario loses about nothing", "the scenario loss is under 0.1 % of the BTC held",
              "compare", a="component.scenario loss", op="<=", b="held.BTC", times=0.001),
        claim("its downside is back and portfolio margin charges it at once",
              "without the put, portfolio initial is over 10 × the book's", "compare",
              a="portfolio.initial@drop:put", op=">", b="portfolio.initial", times=10.0),
        claim("while cross margin does not change", "cross initial is the same without the put", "compare",
              a="cross.initial@drop:put", op="==", b="cross.initial"),
        claim("while cross margin does not change", "cross maintenance is the same without the put", "compare",
              a="cross.maintenance@drop:put", op="==", b="cross.maintenance"),
        claim("The three legs cancel in every scenario", "the scenario loss is under 0.1 % of the BTC held",
              "compare", a="component.scenario loss", op="<=", b="held.BTC", times=0.001),
    ),
)


# -- 3. volatility doubles -----------------------------------------------------------------------
#: The slope ratio above which the Shocks page marks a jump (margin.detect_jumps' default).
SLOPE_RATIO = inspect.signature(detect_jumps).parameters["slope_ratio"].default
PAIR_SAMPLE = "03_btc_eth_pair.json"


def _vol_read(ctx: Context, mult: float) -> Readout:
    market = ctx.market.shocked(vol_mult=mult)
    cm, pm = _margins(ctx, market=market)
    ranges = pm.details.get("ranges", {})
    scan = f" BTC scan range ±{text.percent(ranges['BTC'])}." if "BTC" in ranges else ""
    return Readout((("Cross maintenance", text.money(cm.maintenance)),
                    ("Portfolio maintenance", text.money(pm.maintenance))),
                   scenario_text.read_binding(pm.binding_scenario) + scan)


def _vol_numbers(ctx: Context):
    doubled = ctx.market.shocked(vol_mult=2.0)
    return (cross_margin(ctx.book, ctx.market, ctx.cross), cross_margin(ctx.book, doubled, ctx.cross),
            portfolio_margin(ctx.book, ctx.market, ctx.portfolio), portfolio_margin(ctx.book, doubled, ctx.portfolio))


def _vol_why(c1, c2, p1, p2) -> str:
    r1, r2 = p1.details.get("ranges", {}), p2.details.get("ranges", {})
    ranges = (f" The BTC scan range goes from ±{text.percent(r1['BTC'])} to ±{text.percent(r2['BTC'])}."
              if "BTC" in r1 and "BTC" in r2 else "")
    return (f"Portfolio maintenance goes from {text.money(p1.maintenance)} to {text.money(p2.maintenance)} "
            f"({_rise(p1.maintenance, p2.maintenance):+.1f} %); cross maintenance from {text.money(c1.maintenance)} "
            f"to {text.money(c2.maintenance)} ({_rise(c1.maintenance, c2.maintenance):+.1f} %), through the "
            f"option marks only.{ranges} Binding scenario at ×2: {p2.binding_scenario}.")


def _solve_vol_rise(ctx: Context) -> Solution:
    c1, c2, p1, p2 = _vol_numbers(ctx)
    return Solution(_vol_why(c1, c2, p1, p2), value=_rise(p1.maintenance, p2.maintenance))


def _solve_vol_which(ctx: Context) -> Solution:
    c1, c2, p1, p2 = _vol_numbers(ctx)
    cross, portfolio = _rise(c1.maintenance, c2.maintenance), _rise(p1.maintenance, p2.maintenance)
    if abs(cross - portfolio) <= 100 * SAME * max(abs(cross), abs(portfolio), 1.0):
        accepted = {2}
    else:
        accepted = {1} if portfolio > cross else {0}
    return Solution(_vol_why(c1, c2, p1, p2), accepted=frozenset(accepted))


def _marks(found) -> str:
    """'×1.25 (requirement starts rising faster) and ×1.5 (…)', or '' when the page marks nothing."""
    parts = [f"×{row.vol_mult:g} ({row.reason})" for row in found.itertuples()]
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + (parts[-1] if parts else "")


def _line_text(ctx: Context, book: Portfolio, market: Market) -> tuple[str, str]:
    """(what the Shocks page marks on the requirement-vs-volatility line of ``book``, from where to where
    portfolio maintenance goes along it), with the page's own grid and jump rule."""
    line, found = shock_line(book, market, ctx.cross, ctx.portfolio)
    low, high = line.iloc[0], line.iloc[-1]
    span = (f"portfolio maintenance goes from {text.money(low['portfolio_maintenance'])} at ×{low['vol_mult']:g} "
            f"to {text.money(high['portfolio_maintenance'])} at ×{high['vol_mult']:g}")
    marked = _marks(found)
    return (f"marks {marked}" if marked else "marks no jump"), span


def _jump_look(ctx: Context) -> str:
    marked, span = _line_text(ctx, ctx.book, ctx.market)
    return ("On the Shocks page, the requirement-vs-volatility chart (correlation shock held at 0) puts a diamond "
            f"where the slope steepens more than {SLOPE_RATIO:g}× from one step to the next or another scenario "
            f"becomes binding. For this book under {ctx.portfolio_name}, the chart {marked}: {span}.")


def _range_sentence(ctx: Context, asset: str = "BTC") -> str:
    rules, vol = ctx.portfolio_rules, float(ctx.market.vols[asset])
    floor, k, days = rules.range_floor(asset), rules.range_vol_multiple, rules.range_horizon_days
    responsive = k * vol * math.sqrt(days / 365.0)
    rule = (f"The {asset} scan range is max({text.percent(floor)}, {k:g}·σ·√({days:g}/365)): at today's "
            f"{text.percent(vol, 0)} volatility the second term is {text.percent(responsive)}, ")
    if responsive < floor:
        return rule + (f"so the range sits on its floor and leaves it at ×{floor / responsive:.2f}; from there every "
                       "step of volatility also widens the range.")
    return rule + "already above the floor, so every step of volatility widens the range."


def _jump_why(ctx: Context) -> str:
    marked, _ = _line_text(ctx, ctx.book, ctx.market)
    pair_book, pair_market = sample(PAIR_SAMPLE)
    pair_marked, pair_span = _line_text(ctx, pair_book, pair_market)
    strangle = ("For the strangle, the options' repricing lifts the requirement from the first step and a wider "
                f"range adds to that slope: the chart {marked}.")
    return (f"{_range_sentence(ctx)} {strangle} A book without options feels volatility only through its scan "
            f"ranges: for the BTC/ETH pair (sample 03, same rule sets) {pair_span}, and the chart {pair_marked}.")


_DOUBLED = "vol*2"

VOL_JUMP = Lesson(
    id="vol-jump",
    title="When volatility doubles",
    sample="05_short_strangle.json",
    summary="A short strangle looks calm until volatility doubles: both requirements rise, cross margin's "
            "through the option marks alone, portfolio margin's more, because it also tests a wider range.",
    steps=(
        Step("A short-volatility book",
             look="Two short BTC options, a 100,000 call and a 76,000 put, two weeks to expiry, backed by "
                  "40,000 USDC.",
             why="A short strangle earns the premium when BTC stays between the strikes and loses when BTC moves "
                 "far, or when volatility rises and the options get dearer.",
             page="pages/compare.py"),
        Step("Double the volatility",
             look="Cross and portfolio maintenance, and the scenario that sets the portfolio requirement.",
             move="Move the volatility multiplier to ×2.",
             why="Portfolio margin reacts twice: the options are revalued at the new volatility, and the scan "
                 "range widens (range = max(floor, k·σ·√h)), so a bigger move is tested. Cross margin reacts only "
                 "through the option marks.",
             control=Control("Volatility multiplier (×)", 1.0, 3.0, 1.0, 0.25, _vol_read,
                             "Every volatility times this factor (Market.shocked(vol_mult=...)).")),
        Step("Where the slope changes", look=_jump_look, why=_jump_why, page="pages/shocks.py"),
    ),
    questions=(
        Question("By how much, in %, does the portfolio maintenance margin rise when volatility doubles?",
                 _solve_vol_rise, unit="%", abs_tol=2.0, rel_tol=0.02),
        Question("Which requirement rises more, in %, when volatility doubles?", _solve_vol_which,
                 options=("Cross maintenance", "Portfolio maintenance", "They rise by the same %")),
    ),
    claims=(
        claim("both requirements rise", "cross maintenance rises when volatility doubles", "compare",
              a=f"cross.maintenance@{_DOUBLED}", op=">", b="cross.maintenance"),
        claim("both requirements rise", "portfolio maintenance rises when volatility doubles", "compare",
              a=f"portfolio.maintenance@{_DOUBLED}", op=">", b="portfolio.maintenance"),
        claim("cross margin's through the option marks alone",
              "cross maintenance rises exactly by the short options' value", "compare",
              a=f"cross.maintenance@{_DOUBLED}", op="==", b="cross.maintenance",
              plus=("cross.equity", f"-cross.equity@{_DOUBLED}")),
        claim("portfolio margin's more, because it also tests a wider range",
              "portfolio maintenance rises more in % than cross maintenance", "rises_more",
              first="portfolio.maintenance", second="cross.maintenance", change=_DOUBLED),
        claim("portfolio margin's more, because it also tests a wider range", "the BTC scan range is wider at ×2",
              "compare", a=f"range.BTC@{_DOUBLED}", op=">", b="range.BTC"),
        claim("loses when BTC moves far", "a 30 % fall loses money", "compare", a="portfolio.equity@BTC*0.7",
              op="<", b="portfolio.equity"),
        claim("loses when BTC moves far", "a 30 % rise loses money", "compare", a="portfolio.equity@BTC*1.3",
              op="<", b="portfolio.equity"),
        claim("or when volatility rises and the options get dearer", "doubling volatility loses money", "compare",
              a=f"portfolio.equity@{_DOUBLED}", op="<", b="portfolio.equity"),
        claim("Portfolio margin reacts twice", "doubling volatility revalues the options (equity falls)",
              "compare", a=f"portfolio.equity@{_DOUBLED}", op="<", b="portfolio.equity"),
        claim("Portfolio margin reacts twice", "doubling volatility widens the BTC scan range", "compare",
              a=f"range.BTC@{_DOUBLED}", op=">", b="range.BTC"),
        claim("the scan range widens (range = max(floor, k·σ·√h)), so a bigger move is tested",
              "the BTC scan range is wider at ×2", "compare", a=f"range.BTC@{_DOUBLED}", op=">", b="range.BTC"),
        claim("Cross margin reacts only through the option marks",
              "cross maintenance rises exactly by the short options' value", "compare",
              a=f"cross.maintenance@{_DOUBLED}", op="==", b="cross.maintenance",
              plus=("cross.equity", f"-cross.equity@{_DOUBLED}")),
        claim("through the option marks only", "cross maintenance rises exactly by the short options' value",
              "compare", a=f"cross.maintenance@{_DOUBLED}", op="==", b="cross.maintenance",
              plus=("cross.equity", f"-cross.equity@{_DOUBLED}")),
        claim("By how much, in %, does the portfolio maintenance margin rise when volatility doubles",
              "portfolio maintenance rises when volatility doubles", "compare",
              a=f"portfolio.maintenance@{_DOUBLED}", op=">", b="portfolio.maintenance"),
    ),
)


# -- 4. correlation breakdown --------------------------------------------------------------------
def _corr_read(ctx: Context, shock: float) -> Readout:
    market = ctx.market.shocked(corr_shock=shock)
    cm, pm = _margins(ctx, market=market)
    assets = [a for a in ctx.book.assets() if not is_stablecoin(a)]
    rho = ""
    if len(assets) >= 2:
        rho = f"ρ {assets[0]}/{assets[1]} = {market.correlation.loc[assets[0], assets[1]]:.2f}. "
    return Readout((("Cross maintenance", text.money(cm.maintenance)),
                    ("Portfolio maintenance", text.money(pm.maintenance))),
                   rho + scenario_text.read_binding(pm.binding_scenario))


def _corr_numbers(ctx: Context, shock: float):
    shocked = ctx.market.shocked(corr_shock=shock)
    return (cross_margin(ctx.book, ctx.market, ctx.cross).maintenance,
            cross_margin(ctx.book, shocked, ctx.cross).maintenance,
            portfolio_margin(ctx.book, ctx.market, ctx.portfolio).maintenance,
            portfolio_margin(ctx.book, shocked, ctx.portfolio).maintenance)


def _corr_why(c0, c1, p0, p1, shock: float) -> str:
    label = f"{shock:+.0f}".replace("-", "−")
    return (f"At a correlation shock of {label} portfolio maintenance is {text.money(p1)} against "
            f"{text.money(p0)} today ({p1 / p0 if p0 else math.inf:.2f}×); cross maintenance is {text.money(c1)} "
            f"against {text.money(c0)}: cross margin never looks at correlations.")


BREAKDOWN_OPTIONS = ("Both rise", "Portfolio rises; cross does not move", "Cross rises; portfolio does not move",
                     "Neither rises")


def _solve_breakdown_which(ctx: Context) -> Solution:
    c0, c1, p0, p1 = _corr_numbers(ctx, -1.0)
    cross_up, pm_up = c1 > c0 * (1 + SAME), p1 > p0 * (1 + SAME)
    index = {(True, True): 0, (False, True): 1, (True, False): 2, (False, False): 3}[(cross_up, pm_up)]
    return Solution(_corr_why(c0, c1, p0, p1, -1.0), accepted=frozenset({index}))


def _solve_breakdown_ratio(ctx: Context) -> Solution:
    c0, c1, p0, p1 = _corr_numbers(ctx, -1.0)
    return Solution(_corr_why(c0, c1, p0, p1, -1.0) + " The hedge's credit was a bet that BTC and ETH keep "
                    "moving together.", value=p1 / p0 if p0 else None)


def _pair_look(ctx: Context) -> str:
    cm, pm = _margins(ctx)
    return (f"On Compare: initial margin {text.money(cm.initial)} under cross, {text.money(pm.initial)} under "
            f"portfolio ({ctx.portfolio_name}); maintenance {text.money(cm.maintenance)} under cross, "
            f"{text.money(pm.maintenance)} under portfolio. On the Liquidation page, choose BTC.")


def _pair_why(ctx: Context) -> str:
    cm, pm = _margins(ctx)
    today = ctx.market.prices["BTC"]
    open_word = _word(pm.initial, cm.initial, "more", "less", "the same")
    keep_word = _word(pm.maintenance, cm.maintenance, "more", "less", "the same")
    times = f", {pm.maintenance / cm.maintenance:.1f}× as much" if cm.maintenance > 0 else ""
    cross_liq, pm_liq = _liq(ctx, "BTC", "cross"), _liq(ctx, "BTC", "portfolio")
    if pm_liq is not None and _same(pm_liq, today, today):
        when = (f"Under portfolio margin the account is already below maintenance today (equity "
                f"{text.money(pm.equity)}); cross margin liquidates it with BTC at {_where(cross_liq, today)}.")
    else:
        far = [abs(math.log(p / today)) if p else 1e9 for p in (pm_liq, cross_liq)]  # 1e9: never
        first = _word(far[1], far[0], "portfolio margin", "cross margin", "both at once")
        when = (f"Moving BTC alone, portfolio margin liquidates the pair with BTC at {_where(pm_liq, today)}, cross "
                f"margin at {_where(cross_liq, today)}: the first to liquidate is {first}.")
    return (f"Portfolio margin asks {open_word} to open the pair ({text.money(pm.initial)} against "
            f"{text.money(cm.initial)}) and {keep_word} to keep it open ({text.money(pm.maintenance)} against "
            f"{text.money(cm.maintenance)}{times}). Cross initial is each leg's notional over the leverage you chose "
            "(10× here); cross maintenance is a small fixed share of each leg's notional, whatever the hedge. "
            f"Portfolio maintenance is what the pair can lose together in its scenarios. {when}")


CORRELATION = Lesson(
    id="correlation",
    title="Correlation breakdown",
    sample="03_btc_eth_pair.json",
    summary="With correlated offsets, portfolio margin credits a BTC/ETH pair for moving together: cheaper to "
            "open than cross margin, yet dearer to keep open. When correlations break down, the credit shrinks.",
    steps=(
        Step("A hedged pair",
             look="Long 1 BTC perp against a short ETH perp of matched volatility; BTC and ETH are 85 % "
                  "correlated. On Compare, the portfolio breakdown shows a negative 'correlation offset' row.",
             why="When BTC falls ETH usually falls too, so the short ETH gains much of what the long BTC loses. "
                 "Portfolio margin credits that; cross margin charges each leg on its own rule.",
             page="pages/compare.py"),
        Step("Opening and keeping", look=_pair_look, why=_pair_why, page="pages/liquidation.py"),
        Step("Break the correlation",
             look="Cross and portfolio maintenance, and the BTC/ETH correlation.",
             move="Move the correlation shock toward −1 (every correlation toward 0).",
             why="At −1 the two coins are treated as unrelated: the short ETH no longer offsets the long BTC, and "
                 "portfolio margin charges the legs as two independent risks, which still diversify a little, so "
                 "it asks less than for the legs alone. Cross margin does not move: it never looked at "
                 "correlation.",
             control=Control("Correlation shock", -1.0, 1.0, 0.0, 0.1, _corr_read,
                             "−1: correlations to 0 (hedges break); +1: correlations to 1 (everything moves "
                             "together).")),
        Step("Read it on the Shocks page",
             look="Requirement vs correlation shock: the x axis runs from +1 (hedges hold) to −1 (hedges break).",
             why="Correlations tend to break in a crisis, exactly when the hedge matters: a hedge's margin credit "
                 "is only as good as the correlation behind it.",
             page="pages/shocks.py"),
    ),
    questions=(
        Question("As the correlation shock goes from 0 to −1, what happens to the two maintenance requirements?",
                 _solve_breakdown_which, options=BREAKDOWN_OPTIONS),
        Question("How many times larger is the portfolio maintenance at a correlation shock of −1 than at 0? (×)",
                 _solve_breakdown_ratio, unit="×", abs_tol=0.02, rel_tol=0.03),
    ),
    claims=(
        claim("portfolio margin credits a BTC/ETH pair for moving together",
              "with correlated offsets, the portfolio hedging benefit is positive", "compare", only=CORRELATED,
              a="benefit.portfolio.initial", op=">", b=0.0),
        claim("cheaper to open than cross margin", "with correlated offsets, portfolio initial is below cross initial",
              "compare", only=CORRELATED, a="portfolio.initial", op="<", b="cross.initial"),
        claim("yet dearer to keep open", "portfolio maintenance is above cross maintenance", "compare",
              a="portfolio.maintenance", op=">", b="cross.maintenance"),
        claim("When correlations break down, the credit shrinks",
              "with correlated offsets, the hedging benefit is smaller at a correlation shock of −1", "compare",
              only=CORRELATED, a="benefit.portfolio.maintenance@corr=-1", op="<",
              b="benefit.portfolio.maintenance"),
        claim("of matched volatility", "vol × notional of the two legs within 1 %", "ratio",
              a="vol_notional.BTC", b="vol_notional.ETH", low=0.99, high=1.01),
        claim("BTC and ETH are 85 % correlated", "BTC/ETH correlation is 0.85", "between",
              a="correlation.BTC.ETH", low=0.85, high=0.85),
        claim("the portfolio breakdown shows a negative 'correlation offset' row",
              "with correlated offsets, the correlation offset is negative", "compare", only=CORRELATED,
              a="component.correlation offset", op="<", b=0.0),
        claim("so the short ETH gains much of what the long BTC loses",
              "with correlated offsets, the offset takes back over half of the two units' losses", "compare",
              only=CORRELATED, a="-component.correlation offset", op=">", b="component.scenario loss", times=0.5),
        claim("cross margin charges each leg on its own rule", "the cross hedging benefit is 0", "compare",
              a="benefit.cross.initial", op="==", b=0.0),
        claim("which still diversify a little, so it asks less than for the legs alone",
              "with correlated offsets, the hedging benefit is still positive at −1", "compare", only=CORRELATED,
              a="benefit.portfolio.maintenance@corr=-1", op=">", b=0.0),
        claim("portfolio margin charges the legs as two independent risks",
              "with correlated offsets, portfolio maintenance rises at −1", "compare", only=CORRELATED,
              a="portfolio.maintenance@corr=-1", op=">", b="portfolio.maintenance"),
        claim("Cross margin does not move: it never looked at correlation",
              "cross maintenance is the same at correlation shocks −1 and 0", "compare",
              a="cross.maintenance@corr=-1", op="==", b="cross.maintenance"),
        claim("Cross margin does not move: it never looked at correlation",
              "cross maintenance is the same at correlation shocks +1 and 0", "compare",
              a="cross.maintenance@corr=1", op="==", b="cross.maintenance"),
        claim("cross margin never looks at correlations", "cross maintenance is the same at −1 and 0", "compare",
              a="cross.maintenance@corr=-1", op="==", b="cross.maintenance"),
        claim("How many times larger is the portfolio maintenance at a correlation shock of −1 than at 0",
              "with correlated offsets, portfolio maintenance is larger at −1", "compare", only=CORRELATED,
              a="portfolio.maintenance@corr=-1", op=">", b="portfolio.maintenance"),
    ),
)


# -- 5. slow bleed vs step function --------------------------------------------------------------
ELASTICITY = 2.0


def _bleed_read(ctx: Context, k: float) -> Readout:
    today, vol = ctx.market.prices["ETH"], ctx.market.vols["ETH"]
    cross, pm = _liq(ctx, "ETH", "cross", elasticity=k), _liq(ctx, "ETH", "portfolio", elasticity=k)
    note = ""
    if pm is not None:
        there = vol * (pm / today) ** (-k)
        note = (f"At the portfolio liquidation price ETH volatility is {text.percent(there, 0)} "
                f"(today {text.percent(vol, 0)}).")
    return Readout((("ETH liquidation, cross", text.price(cross)), ("ETH liquidation, portfolio", text.price(pm))),
                   note)


BLEED_OPTIONS = ("Cross only", "Portfolio only", "Both", "Neither")


def _bleed_numbers(ctx: Context):
    return (_liq(ctx, "ETH", "cross"), _liq(ctx, "ETH", "cross", elasticity=ELASTICITY),
            _liq(ctx, "ETH", "portfolio"), _liq(ctx, "ETH", "portfolio", elasticity=ELASTICITY))


def _bleed_why(ctx: Context, c0, c1, p0, p1) -> str:
    today = ctx.market.prices["ETH"]
    cross_moved = _word(c1 or 0.0, c0 or 0.0, "moves up", "moves down", "stays put")
    pm_moved = _word(p1 or 0.0, p0 or 0.0, "moves up", "moves down", "stays put")
    first = _word(p1 or 0.0, c1 or 0.0, "portfolio margin", "cross margin", "both at once")
    return (f"Cross liquidation: {text.price(c0)} at elasticity 0, {text.price(c1)} at {ELASTICITY:g} "
            f"(it {cross_moved}). "
            f"Portfolio liquidation: {text.price(p0)} at 0, {_where(p1, today)} at {ELASTICITY:g} (it {pm_moved}). "
            "Cross maintenance is a fixed share of notional, blind to volatility: equity just bleeds down to it. "
            "Portfolio maintenance is the loss over a scan range that widens with volatility, so as the price "
            f"falls and volatility rises the requirement climbs to meet equity. With ETH falling, the first to "
            f"liquidate is {first}.")


def _solve_bleed_which(ctx: Context) -> Solution:
    today = ctx.market.prices["ETH"]
    c0, c1, p0, p1 = _bleed_numbers(ctx)
    moved = (_moved(c0, c1, today), _moved(p0, p1, today))
    index = {(True, False): 0, (False, True): 1, (True, True): 2, (False, False): 3}[moved]
    return Solution(_bleed_why(ctx, c0, c1, p0, p1), accepted=frozenset({index}))


def _solve_bleed_price(ctx: Context) -> Solution:
    c0, c1, p0, p1 = _bleed_numbers(ctx)
    return Solution(_bleed_why(ctx, c0, c1, p0, p1), value=p1)


_K = f"k={ELASTICITY:g}"
_FALLEN = f"ETH*0.7,{_K}"

SLOW_BLEED = Lesson(
    id="slow-bleed",
    title="Liquidation: slow bleed or step function",
    sample="08_stablecoin_depeg.json",
    summary="When a falling price lifts volatility, cross margin liquidates late and smoothly; portfolio "
            "margin's requirement climbs with volatility and liquidates much earlier.",
    steps=(
        Step("A plain long",
             look="A long 20 ETH perp at 5× backed by 50,000 USDT. As ETH falls, equity falls by 20 USD for each "
                  "USD of ETH.",
             why="Cross maintenance is a small fixed share of the notional, so cross liquidation comes only when "
                 "equity has bled almost to zero.",
             page="pages/liquidation.py"),
        Step("When a falling price lifts volatility",
             look="The ETH liquidation price under each mode.",
             move="Raise the spot-vol elasticity (vol' = vol × (P / today)^−k).",
             why="Cross margin ignores volatility, so its liquidation price does not move: a slow bleed. Portfolio "
                 "margin's scan range widens with volatility, so on the way down its requirement steps up to meet "
                 "equity: liquidation comes much earlier.",
             control=Control("Spot-vol elasticity k", 0.0, 3.0, 0.0, 0.25, _bleed_read,
                             "0 keeps volatility fixed; 2 lifts it by about 100 % after a 30 % fall.")),
        Step("See the two curves",
             look="On the Liquidation page, choose ETH and set the spot-vol slider to 2: the portfolio maintenance "
                  "curve turns up as the price falls while the cross curve drifts down with the notional.",
             why="A rule based on notional bleeds; a rule based on risk steps up when risk does.",
             page="pages/liquidation.py"),
    ),
    questions=(
        Question(f"Raise the spot-vol elasticity from 0 to {ELASTICITY:g}. Which ETH liquidation price moves?",
                 _solve_bleed_which, options=BLEED_OPTIONS),
        Question(f"With elasticity {ELASTICITY:g}, at what ETH price does portfolio margin liquidate the account? "
                 "(USD)", _solve_bleed_price, unit="USD price", rel_tol=0.02),
    ),
    claims=(
        claim("cross margin liquidates late and smoothly",
              "the cross liquidation price ignores the spot-vol elasticity", "compare",
              a=f"liquidation.cross.ETH@{_K}", op="==", b="liquidation.cross.ETH"),
        claim("cross margin liquidates late and smoothly", "cross liquidates ETH only after a fall of over 75 %",
              "compare", a="liquidation.cross.ETH", op="<", b="price.ETH", times=0.25),
        claim("portfolio margin's requirement climbs with volatility",
              "portfolio maintenance is higher after a 30 % fall that lifts volatility", "compare",
              a=f"portfolio.maintenance@{_FALLEN}", op=">", b="portfolio.maintenance"),
        claim("and liquidates much earlier",
              "with elasticity 2 the portfolio liquidation price is over twice the cross one", "compare",
              a=f"liquidation.portfolio.ETH@{_K}", op=">", b=f"liquidation.cross.ETH@{_K}", times=2.0),
        claim("As ETH falls, equity falls by 20 USD for each USD of ETH", "ETH −10 % costs 10 % of the notional",
              "compare", a="cross.equity@ETH*0.9", op="==", b="cross.equity", plus="-0.1*notional.ETH"),
        claim("so cross liquidation comes only when equity has bled almost to zero",
              "at the cross liquidation price equity is under 2 % of today's", "equity_at_liquidation",
              mode="cross", asset="ETH", share=0.02),
        claim("so its liquidation price does not move", "the cross liquidation price ignores the elasticity (k = 3)",
              "compare", a="liquidation.cross.ETH@k=3", op="==", b="liquidation.cross.ETH"),
        claim("Portfolio margin's scan range widens with volatility",
              "the ETH scan range is wider after a 30 % fall that lifts volatility", "compare",
              a=f"range.ETH@{_FALLEN}", op=">", b="range.ETH"),
        claim("its requirement steps up to meet equity: liquidation comes much earlier",
              "elasticity 2 at least doubles the portfolio liquidation price", "compare",
              a=f"liquidation.portfolio.ETH@{_K}", op=">", b="liquidation.portfolio.ETH", times=2.0),
        claim("the portfolio maintenance curve turns up as the price falls",
              "portfolio maintenance is higher at 70 % of today's ETH price with elasticity 2", "compare",
              a=f"portfolio.maintenance@{_FALLEN}", op=">", b="portfolio.maintenance"),
        claim("while the cross curve drifts down with the notional",
              "cross maintenance is lower at 70 % of today's ETH price", "compare",
              a="cross.maintenance@ETH*0.7", op="<", b="cross.maintenance"),
    ),
)


# -- 6. haircuts and depeg -----------------------------------------------------------------------
BINANCE = CROSS_PRESETS["binance"]
COLLATERALS = ("USDT", "BTC", "SOL", "DOGE")
COLLATERAL_VALUE = 50_000.0


def _depeg_addon(pm) -> float:
    rows = pm.breakdown
    return float(rows.loc[rows["component"] == "depeg add-on", "maintenance"].sum())


def _at_usdt(ctx: Context, usdt: float):
    return _margins(ctx, market=ctx.market.with_prices({"USDT": usdt}))


def _depeg_read(ctx: Context, usdt: float) -> Readout:
    cm, pm = _at_usdt(ctx, usdt)
    peg_cm, peg_pm = _at_usdt(ctx, 1.0)
    held = ctx.book.holdings().get("USDT", 0.0)
    loss = peg_cm.equity - cm.equity
    addon, addon_at_peg = _depeg_addon(pm), _depeg_addon(peg_pm)
    rate = ctx.portfolio_rules.depeg_addon_rate
    if text.shown_gap(peg_cm.equity, cm.equity) == 0:
        equity = "equity is what it is at the peg"
    else:
        equity = (f"equity is {text.money(abs(loss))} {'lower' if loss > 0 else 'higher'} than at the peg, in both "
                  "modes alike")
    note = (f"USDT at {usdt:.2f}: the {held:,.0f} USDT are worth {text.money(held * usdt)} and {equity}. The add-on "
            f"is {text.percent(rate)} of the USDT's current value: {text.money(addon)} (at the peg "
            f"{text.money(addon_at_peg)}).")
    return Readout((("Cross equity", text.money(cm.equity)), ("Equity lost since the peg", text.money(loss)),
                    ("Portfolio depeg add-on", text.money(addon))), note)


def _depeg_why(ctx: Context) -> str:
    held = ctx.book.holdings().get("USDT", 0.0)
    rate = ctx.portfolio_rules.depeg_addon_rate
    peg, low = (_depeg_addon(_at_usdt(ctx, price)[1]) for price in (1.0, 0.9))
    follows = _word(low, peg, "grows", "shrinks", "stays")
    return (f"A depeg takes equity away dollar for dollar, in both modes: at 0.90 the {held:,.0f} USDT are worth "
            f"{text.money(0.9 * held)}, and that loss lands in equity, not in the requirement. Portfolio margin's "
            f"depeg add-on is charged in advance, as {text.percent(rate)} of the stablecoin's current value under "
            f"{ctx.portfolio_name}: a cushion for a further slide, not the loss itself. It follows the USDT's value, "
            f"so as the depeg deepens it {follows} ({text.money(peg)} at the peg, {text.money(low)} at 0.90). Cross "
            "margin charges nothing for a depeg.")


def _solve_depeg_addon(ctx: Context) -> Solution:
    pm = portfolio_margin(ctx.book, ctx.market, ctx.portfolio)
    rows = pm.breakdown[pm.breakdown["component"] == "depeg add-on"]
    addon = float(rows["maintenance"].sum())
    explained = "; ".join(str(e) for e in rows.get("explanation", []))
    why = (f"The depeg add-on row of the portfolio breakdown: {text.money(addon)} ({explained}). Cross margin counts "
           f"the USDT at face value and charges nothing for a depeg; cross maintenance is "
           f"{text.money(cross_margin(ctx.book, ctx.market, ctx.cross).maintenance)}, all of it for the ETH perp.")
    return Solution(why, value=addon)


def _collateral_equity(ctx: Context, asset: str) -> float:
    book = ctx.book.with_collateral({asset: COLLATERAL_VALUE / ctx.market.prices[asset]})
    return cross_margin(book, ctx.market, "binance").equity - cross_margin(ctx.book.with_collateral({}),
                                                                            ctx.market, "binance").equity


def _solve_least_collateral(ctx: Context) -> Solution:
    counted = [_collateral_equity(ctx, a) for a in COLLATERALS]
    low = min(counted)
    if max(counted) - low < 0.5:
        accepted = {len(COLLATERALS)}
    else:
        accepted = {i for i, c in enumerate(counted) if abs(c - low) < 0.5}
    listed = ", ".join(f"{a} {text.money(c)}" for a, c in zip(COLLATERALS, counted, strict=True))
    why = (f"Under the binance preset, {text.money(COLLATERAL_VALUE)} of each counts in equity as: {listed}. "
           "The haircut depends only on which coin it is (the preset's table), not on how it moves with your "
           "positions.")
    return Solution(why, accepted=frozenset(accepted))


def _haircut_list() -> str:
    parts = [f"{a} at {(1 - h) * 100:.0f} %" for a, h in BINANCE.haircuts.items()]
    return ", ".join(parts) + f", other coins at {(1 - BINANCE.default_haircut) * 100:.0f} %"


HAIRCUTS = Lesson(
    id="haircuts-depeg",
    title="Collateral haircuts and a stablecoin depeg",
    sample="08_stablecoin_depeg.json",
    summary="Collateral is not cash: some rule sets count coins after a haircut, and even a stablecoin can lose "
            "its peg.",
    steps=(
        Step("Stablecoin collateral",
             look="A long ETH perp backed by 50,000 USDT. On Compare, cross equity counts the USDT at face value.",
             why="Stablecoins carry no haircut: the rule set assumes 1 USDT = 1 USD.",
             page="pages/compare.py"),
        Step("The depeg add-on",
             look="The portfolio breakdown on Compare has a 'depeg add-on' row on the USDT.",
             move="Slide the USDT price toward 0.80.",
             why=_depeg_why,
             control=Control("USDT price (USD)", 0.80, 1.00, 1.00, 0.01, _depeg_read,
                             "USDT's market price; 1.00 is the peg.")),
        Step("Haircuts on coins",
             look=f"Switch the cross rule set to binance. It counts collateral coins after a haircut: "
                  f"{_haircut_list()} (an assumption in the spirit of Binance's collateral ratios).",
             why="A haircut is the cross model's defence against collateral that can fall. It is a flat cut per "
                 "coin, charged whatever the coin does to your positions.",
             page="pages/compare.py", preset=("cross", "binance")),
    ),
    questions=(
        Question("With your portfolio rule set, what does the depeg add-on charge on the USDT? (USD)",
                 _solve_depeg_addon, unit="USD", abs_tol=1.0, rel_tol=0.01),
        Question(f"Under the binance preset, which collateral worth {text.money(COLLATERAL_VALUE)} counts for the "
                 "LEAST equity?", _solve_least_collateral, options=(*COLLATERALS, "They all count the same")),
    ),
    claims=(
        claim("cross equity counts the USDT at face value", "without the perp, cross equity is the 50,000 USDT",
              "compare", a="cross.equity@drop:perp", op="==", b="held.USDT"),
        claim("Stablecoins carry no haircut", "without the perp, cross equity is the 50,000 USDT", "compare",
              a="cross.equity@drop:perp", op="==", b="held.USDT"),
        claim("has a 'depeg add-on' row on the USDT", "the depeg add-on is positive", "compare",
              a="component.depeg add-on", op=">", b=0.0),
        claim("A depeg takes equity away dollar for dollar, in both modes",
              "USDT at 0.90 takes 10 % of the USDT off cross equity", "compare", a="cross.equity@USDT=0.9", op="==",
              b="cross.equity", plus="-0.1*held.USDT"),
        claim("A depeg takes equity away dollar for dollar, in both modes",
              "USDT at 0.90 takes 10 % of the USDT off portfolio equity", "compare",
              a="portfolio.equity@USDT=0.9", op="==", b="portfolio.equity", plus="-0.1*held.USDT"),
        claim("that loss lands in equity, not in the requirement",
              "cross maintenance does not move with the USDT price", "compare", a="cross.maintenance@USDT=0.9",
              op="==", b="cross.maintenance"),
        claim("Cross margin charges nothing for a depeg", "cross maintenance does not move with the USDT price",
              "compare", a="cross.maintenance@USDT=0.9", op="==", b="cross.maintenance"),
        claim("Cross margin charges nothing for a depeg", "cross maintenance is the ETH perp's alone", "compare",
              a="cross.maintenance", op="==", b="cross.maintenance@only:perp"),
        claim("charges nothing for a depeg; cross maintenance is", "cross maintenance is the ETH perp's alone",
              "compare", a="cross.maintenance", op="==", b="cross.maintenance@only:perp"),
    ),
)


# -- 7. Binance's "portfolio margin" -------------------------------------------------------------
def _without_haircuts() -> object:
    return BINANCE.with_changes(haircuts={}, default_haircut=0.0)


def _sold_down_to(ctx: Context, held: float) -> Portfolio:
    """The book with its BTC sold for USDC (at today's price) down to ``held`` coins: equity is unchanged."""
    have = ctx.book.holdings().get("BTC", 0.0)
    return sold(ctx.book, ctx.market, "BTC", max(have - held, 0.0))


def _binance_read(ctx: Context, held: float) -> Readout:
    book = _sold_down_to(ctx, held)
    cm, pm = cross_margin(book, ctx.market, "binance"), portfolio_margin(book, ctx.market, ctx.portfolio)
    usdc = book.holdings().get("USDC", 0.0)
    return Readout((("Binance initial (cross + haircuts)", text.money(cm.initial)),
                    (f"Portfolio initial ({ctx.portfolio_name})", text.money(pm.initial)),
                    ("Binance equity", text.money(cm.equity))),
                   f"{held:g} BTC held, {text.money(usdc)} USDC; the account's value before haircuts is "
                   f"{text.money(pm.equity)} whatever you sell. {scenario_text.read_binding(pm.binding_scenario)}")


def _solve_haircut_cost(ctx: Context) -> Solution:
    full = cross_margin(ctx.book, ctx.market, _without_haircuts()).equity
    cut = cross_margin(ctx.book, ctx.market, "binance").equity
    held = sum(p.qty for p in ctx.book.positions if isinstance(p, Spot) and p.asset == "BTC")
    why = (f"Without haircuts the account's equity is {text.money(full)}; with Binance's "
           f"{text.percent(BINANCE.haircut('BTC'), 0)} haircut on the {held:g} BTC held it is {text.money(cut)}: "
           f"{text.money(full - cut)} less. The haircut is all Binance's model knows about the coins' risk.")
    return Solution(why, value=full - cut)


HEDGE_OPTIONS = ("Binance's “portfolio margin” (cross with haircuts)", "Risk-based portfolio margin", "Both",
                 "Neither")


def _solve_binance_which(ctx: Context) -> Solution:
    unhedged = _sold_down_to(ctx, 0.0)
    b0, b1 = cross_margin(ctx.book, ctx.market, "binance").initial, cross_margin(unhedged, ctx.market, "binance").initial
    p0 = portfolio_margin(ctx.book, ctx.market, ctx.portfolio).initial
    p1 = portfolio_margin(unhedged, ctx.market, ctx.portfolio).initial
    moved = (_moved(b0, b1, max(b0, b1)), _moved(p0, p1, max(p0, p1)))
    index = {(True, False): 0, (False, True): 1, (True, True): 2, (False, False): 3}[moved]
    why = (f"Binance initial margin: {text.money(b0)} with the coins, {text.money(b1)} after selling them for USDC. "
           f"Portfolio initial margin ({ctx.portfolio_name}): {text.money(p0)} with the coins, {text.money(p1)} "
           "after. Binance never counted the coins as a hedge, only as collateral: unified cross margin with "
           "haircuts, not a risk model.")
    return Solution(why, accepted=frozenset({index}))


def _binance_rules_look(ctx: Context) -> str:
    binance = (f"On Compare, the perp is charged at notional / leverage as if alone, and the 2 BTC count at "
               f"{(1 - BINANCE.haircut('BTC')) * 100:.0f} % of their value.")
    if ctx.cross == "binance":
        return f"This lesson uses the binance cross rule set. {binance}"
    yours = CROSS_PRESETS[ctx.cross].haircut("BTC") if ctx.cross in CROSS_PRESETS else 0.0
    return (f"This lesson is about the binance cross rule set; under yours ({ctx.cross}) the 2 BTC count at "
            f"{(1 - yours) * 100:.0f} % of their value. With binance: {binance[0].lower()}{binance[1:]}")


_SOLD = "sell:BTC"

BINANCE_PM = Lesson(
    id="binance",
    title="Binance's “portfolio margin” is cross margin with haircuts",
    sample="02_basis_trade.json",
    summary="A basis trade is nearly riskless; a risk model sees it, a unified cross account with haircuts "
            "does not.",
    steps=(
        Step("A basis trade",
             look="Hold 2 BTC and short 2 BTC perps at 5×, to earn funding. The book barely moves with BTC.",
             why="The coins and the short perp cancel; what is left is the basis (perp vs spot) and funding.",
             page="pages/build.py"),
        Step("Binance's rules", look=_binance_rules_look,
             why="Binance's “portfolio margin” is unified cross margin with collateral haircuts: one pool, the "
                 "same per-position rules, no scenarios. It never asks how the coins and the perp move together.",
             page="pages/compare.py", preset=("cross", "binance")),
        Step("Sell the hedge",
             look="Binance's requirement against the risk-based portfolio requirement.",
             move="Sell BTC for USDC with the slider: the account keeps its value, only the hedge goes.",
             why="Binance's initial margin does not change, because the coins were never counted as a hedge; its "
                 "equity even rises a little, since USDC carries no haircut. The risk-based requirement rises from "
                 "a basis add-on to the scan loss of a naked short perp.",
             control=Control("BTC held (coins)", 0.0, 2.0, 2.0, 0.25, _binance_read,
                             "The spot leg of the basis trade; the rest is sold for USDC at today's price. 0 leaves "
                             "a naked short perp.")),
    ),
    questions=(
        Question("Under the binance preset, how much equity does the haircut on the BTC held remove? (USD)",
                 _solve_haircut_cost, unit="USD", abs_tol=1.0, rel_tol=0.01),
        Question("Sell the 2 BTC held (the hedge) for USDC. Whose initial margin changes?", _solve_binance_which,
                 options=HEDGE_OPTIONS),
    ),
    rules=RuleSets("binance", DEFAULT_PORTFOLIO, "correlated"),
    claims=(
        claim("how much equity does the haircut on the BTC held remove",
              "Binance's equity (after haircuts) is below the book's value", "compare",
              a="cross:binance.equity", op="<", b="portfolio.equity"),
        claim("A basis trade is nearly riskless", "a 20 % BTC move leaves the book's value within $1", "steady",
              a="portfolio.equity", changes=("BTC*0.8", "BTC*1.2"), within=1.0),
        claim("a risk model sees it", "portfolio initial is under a tenth of cross initial", "compare",
              a="portfolio.initial", op="<", b="cross.initial", times=0.1),
        claim("a unified cross account with haircuts does not", "selling the BTC leaves Binance's initial unchanged",
              "compare", a=f"cross:binance.initial@{_SOLD}", op="==", b="cross:binance.initial"),
        claim("The book barely moves with BTC",
              "a 10 % BTC move changes cross equity (after haircuts) by at most 1 % of the BTC held", "steady",
              a="cross.equity", changes=("BTC*0.9", "BTC*1.1"), within="0.01*held.BTC"),
        claim("the perp is charged at notional / leverage as if alone", "cross initial is 20 % of the perp notional",
              "ratio", a="cross.initial", b="notional.BTC", low=0.1995, high=0.2005),
        claim("one pool, the same per-position rules, no scenarios", "cross initial is the perp's standing alone",
              "compare", a="cross.initial", op="==", b="cross.initial@only:perp"),
        claim("It never asks how the coins and the perp move together", "the cross hedging benefit is 0",
              "compare", a="benefit.cross.initial", op="==", b=0.0),
        claim("the account keeps its value, only the hedge goes", "selling the BTC leaves the account's value",
              "compare", a=f"portfolio.equity@{_SOLD}", op="==", b="portfolio.equity"),
        claim("Binance's initial margin does not change, because the coins were never counted as a hedge",
              "selling the BTC leaves Binance's initial unchanged", "compare", a=f"cross:binance.initial@{_SOLD}",
              op="==", b="cross:binance.initial"),
        claim("its equity even rises a little, since USDC carries no haircut",
              "selling the BTC for USDC raises Binance's equity by the haircut, under 5 % of it", "between",
              a=f"cross:binance.equity@{_SOLD}", low="1.0001*cross:binance.equity", high="1.05*cross:binance.equity"),
        claim("The risk-based requirement rises from a basis add-on to the scan loss of a naked short perp",
              "selling the BTC multiplies portfolio maintenance by over 5", "compare",
              a=f"portfolio.maintenance@{_SOLD}", op=">", b="portfolio.maintenance", times=5.0),
        claim("The risk-based requirement rises from a basis add-on to the scan loss of a naked short perp",
              "after the sale the scenario loss is the perp's notional × the BTC scan range", "compare",
              a=f"component.scenario loss@{_SOLD}", op="==", b="notional.BTC", times="range.BTC"),
        claim("Binance never counted the coins as a hedge", "selling the BTC leaves Binance's initial unchanged",
              "compare", a=f"cross:binance.initial@{_SOLD}", op="==", b="cross:binance.initial"),
    ),
)


# -- 8. diversification in a crash ---------------------------------------------------------------
def _solve_crash_rise(ctx: Context) -> Solution:
    c0, c1, p0, p1 = _corr_numbers(ctx, 1.0)
    return Solution(_corr_why(c0, c1, p0, p1, 1.0) + " In a crash alts fall together: the diversification "
                    "credit is taken back.", value=_rise(p0, p1))


CREDIT_OPTIONS = ("Yes: its requirement moves with correlation", "No: its requirement does not move with correlation")


def _solve_cross_credit(ctx: Context) -> Solution:
    low = cross_margin(ctx.book, ctx.market.shocked(corr_shock=-1.0), ctx.cross).maintenance
    high = cross_margin(ctx.book, ctx.market.shocked(corr_shock=1.0), ctx.cross).maintenance
    index = 1 if _same(low, high, max(low, high)) else 0
    why = (f"Cross maintenance is {text.money(low)} at a correlation shock of −1 and {text.money(high)} at +1: "
           "it adds each perp's own requirement, so diversification earns nothing and a crash costs nothing more.")
    return Solution(why, accepted=frozenset({index}))


ALTS = ("SOL", "XRP", "DOGE", "ADA", "LINK")

DIVERSIFICATION = Lesson(
    id="diversification",
    title="Diversification disappears in a crash",
    sample="07_diversified_alts.json",
    summary="Five alts look diversified; with correlated offsets portfolio margin gives credit for it at today's "
            "correlations and takes it back when correlations jump toward 1.",
    steps=(
        Step("Five alts",
             look="Long perps on SOL, XRP, DOGE, ADA and LINK, about 20,000 USD each, 30,000 USDC of collateral.",
             why="Diversified on paper, but alts are 68-75 % correlated in the default market: they mostly move "
                 "together.",
             page="pages/compare.py"),
        Step("Crash correlations",
             look="Cross and portfolio maintenance.",
             move="Move the correlation shock toward +1.",
             why="In a crash everything falls together: correlations jump toward 1 and the diversification credit "
                 "disappears. Cross margin gave none to begin with, so it does not move.",
             control=Control("Correlation shock", 0.0, 1.0, 0.0, 0.1, _corr_read,
                             "+1: every correlation 1, the five alts move as one.")),
        Step("Both shocks at once",
             look="On the Shocks page, the heatmap of portfolio maintenance over volatility × correlation.",
             why="The worst corner, high volatility with correlations near 1, is what a crash looks like.",
             page="pages/shocks.py"),
    ),
    questions=(
        Question("By how much, in %, does the portfolio maintenance rise when the correlation shock goes from 0 to "
                 "+1?", _solve_crash_rise, unit="%", abs_tol=1.0, rel_tol=0.02),
        Question("Does cross margin give this book any credit for diversification?", _solve_cross_credit,
                 options=CREDIT_OPTIONS),
    ),
    claims=(
        claim("Diversification disappears in a crash", "at a correlation shock of +1 the hedging benefit is 0",
              "compare", a="benefit.portfolio.maintenance@corr=1", op="==", b=0.0),
        claim("with correlated offsets portfolio margin gives credit for it at today's correlations",
              "with correlated offsets, the hedging benefit is positive today", "compare", only=CORRELATED,
              a="benefit.portfolio.maintenance", op=">", b=0.0),
        claim("takes it back when correlations jump toward 1", "at a correlation shock of +1 the hedging benefit is 0",
              "compare", a="benefit.portfolio.maintenance@corr=1", op="==", b=0.0),
        *(claim("about 20,000 USD each", f"the {asset} perp's notional is within 5 % of 20,000", "between",
                a=f"notional.{asset}", low=19_000, high=21_000) for asset in ALTS),
        claim("alts are 68-75 % correlated in the default market", "pairwise correlations between 0.68 and 0.75",
              "correlations", assets=ALTS, low=0.68, high=0.75),
        claim("correlations jump toward 1 and the diversification credit disappears",
              "at a correlation shock of +1 the hedging benefit is 0", "compare",
              a="benefit.portfolio.maintenance@corr=1", op="==", b=0.0),
        claim("Cross margin gave none to begin with", "the cross hedging benefit is 0", "compare",
              a="benefit.cross.maintenance", op="==", b=0.0),
        claim("so it does not move", "cross maintenance is the same at a correlation shock of +1", "compare",
              a="cross.maintenance@corr=1", op="==", b="cross.maintenance"),
        claim("The worst corner, high volatility with correlations near 1",
              "the sweep's largest portfolio maintenance is at the top vol multiplier and +1", "worst_corner"),
        claim("By how much, in %, does the portfolio maintenance rise when the correlation shock goes from 0 to +1",
              "with correlated offsets, portfolio maintenance rises at +1", "compare", only=CORRELATED,
              a="portfolio.maintenance@corr=1", op=">", b="portfolio.maintenance"),
        claim("the diversification credit is taken back", "at a correlation shock of +1 the hedging benefit is 0",
              "compare", a="benefit.portfolio.maintenance@corr=1", op="==", b=0.0),
        claim("so diversification earns nothing and a crash costs nothing more",
              "cross maintenance is the same at correlation shocks −1 and +1", "compare",
              a="cross.maintenance@corr=1", op="==", b="cross.maintenance@corr=-1"),
    ),
)


# -- 9. when portfolio margin costs more ---------------------------------------------------------
def _covered_read(ctx: Context, calls: float) -> Readout:
    book = _with_qty(ctx.book, _index(ctx.book, lambda p: isinstance(p, Option)), calls)
    cm, pm = _margins(ctx, book)
    return Readout((("Cross initial", text.money(cm.initial)), ("Portfolio initial", text.money(pm.initial))),
                   scenario_text.read_binding(pm.binding_scenario))


COSTLIER_OPTIONS = ("Cross margin", "Portfolio margin", "About the same")


def _covered_numbers(ctx: Context):
    cm, pm = _margins(ctx)
    why = (f"Cross initial {text.money(cm.initial)} (the short calls alone; the coins are only collateral), "
           f"portfolio initial {text.money(pm.initial)} (the ETH unit's worst scenario: "
           f"{pm.binding_scenario}). A hedge saves margin only when it removes risk the cross rules were charging; "
           "here portfolio margin charges the coins' own downside, which cross margin ignores.")
    return cm.initial, pm.initial, why


def _solve_costlier(ctx: Context) -> Solution:
    cross, portfolio, why = _covered_numbers(ctx)
    index = 2 if _same(cross, portfolio, max(cross, portfolio)) else (1 if portfolio > cross else 0)
    return Solution(why, accepted=frozenset({index}))


def _solve_costlier_by(ctx: Context) -> Solution:
    cross, portfolio, why = _covered_numbers(ctx)
    return Solution(why, value=abs(portfolio - cross))


_COSTS_MORE = (
    claim("When portfolio margin costs more", "portfolio initial is above cross initial", "compare",
          a="portfolio.initial", op=">", b="cross.initial"),
    claim("When portfolio margin costs more", "portfolio maintenance is above cross maintenance", "compare",
          a="portfolio.maintenance", op=">", b="cross.maintenance"),
)

COSTS_MORE = Lesson(
    id="costs-more",
    title="When portfolio margin costs more",
    sample="04_covered_call.json",
    summary="A covered call: cross margin charges the calls and ignores the coins; portfolio margin nets them "
            "and charges the coins' downside.",
    steps=(
        Step("A covered call",
             look="Hold 10 ETH and sell 10 one-month calls 16 % above the market.",
             why="If ETH rallies, the coins pay for the calls: the calls' risk is covered. If ETH falls, the "
                 "coins lose and the premium only cushions it.",
             page="pages/build.py"),
        Step("Who charges what",
             look="On Compare, cross margin charges the short calls as if naked and counts the coins as collateral; "
                  "portfolio margin nets calls and coins in one ETH unit.",
             why="Portfolio margin charges what the whole unit can lose, and a long coin position can lose a lot "
                 "on the way down.",
             page="pages/compare.py"),
        Step("Remove the calls",
             look="Cross and portfolio initial margin.",
             move="Move the calls-sold slider toward 0.",
             why="With no calls the book is just coins: cross margin asks nothing (coins are collateral, not "
                 "positions), while portfolio margin charges their stress loss in full.",
             control=Control("Calls sold (contracts)", 0.0, 10.0, 10.0, 1.0, _covered_read,
                             "The short 3,400 calls; 0 leaves 10 ETH held.")),
    ),
    questions=(
        Question("Which mode asks more initial margin for the covered call?", _solve_costlier,
                 options=COSTLIER_OPTIONS),
        Question("How much more initial margin does the dearer mode ask? (USD)", _solve_costlier_by, unit="USD",
                 abs_tol=1.0, rel_tol=0.01),
    ),
    claims=(
        *_COSTS_MORE,
        claim("cross margin charges the calls and ignores the coins", "cross initial is the calls' standing alone",
              "compare", a="cross.initial", op="==", b="cross.initial@only:call"),
        claim("portfolio margin nets them and charges the coins' downside",
              "the portfolio requirement is set by a fall in ETH", "binding_move", side="down"),
        claim("16 % above the market", "the call strike is 16 % above ETH's price", "between",
              a="moneyness.ETH.call", low=0.155, high=0.165),
        claim("cross margin charges the short calls as if naked", "cross maintenance is the calls' standing alone",
              "compare", a="cross.maintenance", op="==", b="cross.maintenance@only:call"),
        claim("a long coin position can lose a lot on the way down",
              "the portfolio requirement is set by a fall in ETH", "binding_move", side="down"),
        claim("cross margin asks nothing (coins are collateral, not positions)",
              "without the calls, cross initial is 0", "compare", a="cross.initial@drop:call", op="==", b=0.0),
        claim("while portfolio margin charges their stress loss in full",
              "without the calls, the scenario loss is the coins' value × the ETH scan range", "compare",
              a="component.scenario loss@drop:call", op="==", b="held.ETH", times="range.ETH"),
        claim("How much more initial margin does the dearer mode ask", "portfolio initial is above cross initial",
              "compare", a="portfolio.initial", op=">", b="cross.initial"),
        claim("A hedge saves margin only when it removes risk the cross rules were charging",
              "cross margin asks nothing for the coins alone", "compare", a="cross.initial@drop:call", op="==", b=0.0),
        claim("which cross margin ignores", "cross initial is the calls' standing alone", "compare",
              a="cross.initial", op="==", b="cross.initial@only:call"),
    ),
)


LESSONS: tuple[Lesson, ...] = (CONTAGION, HEDGE, VOL_JUMP, CORRELATION, SLOW_BLEED, HAIRCUTS, BINANCE_PM,
                               DIVERSIFICATION, COSTS_MORE)
BY_ID: dict[str, Lesson] = {lesson.id: lesson for lesson in LESSONS}


def get(lesson_id: str | None) -> Lesson | None:
    return BY_ID.get(lesson_id) if lesson_id else None


def next_lesson(lesson: Lesson) -> Lesson | None:
    """The lesson after ``lesson`` in the list, None after the last."""
    index = LESSONS.index(lesson)
    return LESSONS[index + 1] if index + 1 < len(LESSONS) else None


def clamp_step(lesson: Lesson, step: object) -> int:
    """A 1-based step number from a URL value, clamped to the lesson (1 when unreadable)."""
    try:
        number = int(str(step))
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), lesson.n_steps)


def solve(lesson: Lesson, index: int, cross: str = DEFAULT_CROSS,
          portfolio: str | PortfolioParams = DEFAULT_PORTFOLIO) -> Solution:
    """The engine's answer to question ``index`` of ``lesson`` with the given rule sets."""
    return lesson.questions[index].solve(context(lesson, cross, portfolio))


def read(lesson: Lesson, step: int, value: float, cross: str = DEFAULT_CROSS,
         portfolio: str | PortfolioParams = DEFAULT_PORTFOLIO) -> Readout:
    """The live numbers of the control of ``step`` (0-based content step) at ``value``."""
    control = lesson.steps[step].control
    if control is None:
        raise ValueError(f"step {step + 1} of {lesson.id} has no control")
    return control.read(context(lesson, cross, portfolio), value)


def step_text(lesson: Lesson, step: int, cross: str = DEFAULT_CROSS,
              portfolio: str | PortfolioParams = DEFAULT_PORTFOLIO) -> tuple[str, str, str]:
    """(look, move, why) of ``step`` (0-based content step), generated where they are functions of the numbers."""
    ctx = context(lesson, cross, portfolio)
    item = lesson.steps[step]
    return say(item.look, ctx), say(item.move, ctx), say(item.why, ctx)
