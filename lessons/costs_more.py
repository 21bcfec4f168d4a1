"""Lesson: When portfolio margin costs more (``COSTS_MORE``)."""

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
from margin import Option
from views import scenario_text, text


def _covered_read(ctx: Context, calls: float) -> Readout:
    book = with_qty(ctx.book, position_index(ctx.book, lambda p: isinstance(p, Option)), calls)
    cm, pm = both_margins(ctx, book)
    return Readout((("Cross initial", text.money(cm.initial)), ("Portfolio initial", text.money(pm.initial))),
                   scenario_text.read_binding(pm.binding_scenario))


COSTLIER_OPTIONS = ("Cross margin", "Portfolio margin", "About the same")


def _covered_numbers(ctx: Context):
    cm, pm = both_margins(ctx)
    why = (f"Cross initial {text.money(cm.initial)} (the short calls alone; the coins are only collateral), "
           f"portfolio initial {text.money(pm.initial)} (the ETH unit's worst scenario: "
           f"{pm.binding_scenario}). A hedge saves margin only when it removes risk the cross rules were charging; "
           "here portfolio margin charges the coins' own downside, which cross margin ignores.")
    return cm.initial, pm.initial, why


def _solve_costlier(ctx: Context) -> Solution:
    cross, portfolio, why = _covered_numbers(ctx)
    index = 2 if close(cross, portfolio, max(cross, portfolio)) else (1 if portfolio > cross else 0)
    return Solution(why, accepted=frozenset({index}))


def _solve_costlier_by(ctx: Context) -> Solution:
    cross, portfolio, why = _covered_numbers(ctx)
    return Solution(why, value=abs(portfolio - cross))


_COSTS_MORE = (
    claim("When portfolio margin costs more", "portfolio initial is above cross initial", "compare",
          only=LESSON, a="portfolio.initial", op=">", b="cross.initial"),
    claim("When portfolio margin costs more", "portfolio maintenance is above cross maintenance", "compare",
          only=LESSON, a="portfolio.maintenance", op=">", b="cross.maintenance"),
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
              "the portfolio requirement is set by a fall in ETH", "binding_move", only=LESSON, side="down"),
        claim("16 % above the market", "the call strike is 16 % above ETH's price", "between",
              a="moneyness.ETH.call", low=0.155, high=0.165),
        claim("cross margin charges the short calls as if naked", "cross maintenance is the calls' standing alone",
              "compare", a="cross.maintenance", op="==", b="cross.maintenance@only:call"),
        claim("a long coin position can lose a lot on the way down",
              "the portfolio requirement is set by a fall in ETH", "binding_move", only=LESSON, side="down"),
        claim("cross margin asks nothing (coins are collateral, not positions)",
              "without the calls, cross initial is 0", "compare", a="cross.initial@drop:call", op="==", b=0.0),
        claim("while portfolio margin charges their stress loss in full",
              "without the calls, the scenario loss is the coins' value × the ETH scan range", "compare",
              only=LESSON, a="component.scenario loss@drop:call", op="==", b="held.ETH", times="range.ETH"),
        claim("How much more initial margin does the dearer mode ask", "portfolio initial is above cross initial",
              "compare", only=LESSON, a="portfolio.initial", op=">", b="cross.initial"),
        claim("A hedge saves margin only when it removes risk the cross rules were charging",
              "cross margin asks nothing for the coins alone", "compare", a="cross.initial@drop:call", op="==", b=0.0),
        claim("which cross margin ignores", "cross initial is the calls' standing alone", "compare",
              a="cross.initial", op="==", b="cross.initial@only:call"),
    ),
)
