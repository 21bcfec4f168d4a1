"""Lesson: Why a hedge is cheap under portfolio margin (``HEDGE``)."""

from __future__ import annotations

from lessons.claims import LESSON, claim
from lessons.framework import (
    Context,
    Control,
    Lesson,
    Question,
    Readout,
    Solution,
    Step,
    both_margins,
    close,
    position_index,
    with_qty,
)
from margin import Option, hedging_benefit, portfolio_margin
from views import scenario_text, text


def _hedge_read(ctx: Context, put_size: float) -> Readout:
    book = with_qty(ctx.book, position_index(ctx.book, lambda p: isinstance(p, Option) and p.kind == "put"), put_size)
    cm, pm = both_margins(ctx, book)
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
    accepted = {i for i, a in enumerate(amounts) if close(a, top, top) and a > 0} or {0}
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
        Question("What is the hedging benefit under portfolio margin: the initial margin each position and "
                 "holding (the coin, the put, the call and the USDC collateral) would ask standing alone, minus "
                 "what the book asks? (USD)", _solve_hedge_benefit, unit="USD",
                 abs_tol=1.0, rel_tol=0.01),
        Question("Which component makes up most of the portfolio maintenance margin?", _solve_largest_component,
                 options=COMPONENTS),
    ),
    claims=(
        claim("a hedge is cheap under portfolio margin", "portfolio initial is under 0.5 % of the BTC held",
              "compare", only=LESSON, a="portfolio.initial", op="<", b="held.BTC", times=0.005),
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
              "compare", only=LESSON, a="component.scenario loss", op="<=", b="held.BTC", times=0.001),
        claim("its downside is back and portfolio margin charges it at once",
              "without the put, portfolio initial is over 10 × the book's", "compare",
              only=LESSON,
              a="portfolio.initial@drop:put", op=">", b="portfolio.initial", times=10.0),
        claim("while cross margin does not change", "cross initial is the same without the put", "compare",
              a="cross.initial@drop:put", op="==", b="cross.initial"),
        claim("while cross margin does not change", "cross maintenance is the same without the put", "compare",
              a="cross.maintenance@drop:put", op="==", b="cross.maintenance"),
        claim("The three legs cancel in every scenario", "the scenario loss is under 0.1 % of the BTC held",
              "compare", only=LESSON, a="component.scenario loss", op="<=", b="held.BTC", times=0.001),
    ),
)
