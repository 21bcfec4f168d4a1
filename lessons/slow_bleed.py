"""Lesson: Liquidation: slow bleed or step function (``SLOW_BLEED``)."""

from __future__ import annotations

from lessons.claims import claim
from lessons.framework import (
    Context,
    Control,
    Lesson,
    Question,
    Readout,
    Solution,
    Step,
    differs,
    liquidation_at,
    price_from_today,
    which_word,
)
from views import text

ELASTICITY = 2.0


def _bleed_read(ctx: Context, k: float) -> Readout:
    today, vol = ctx.market.prices["ETH"], ctx.market.vols["ETH"]
    cross, pm = liquidation_at(ctx, "ETH", "cross", elasticity=k), liquidation_at(ctx, "ETH", "portfolio", elasticity=k)
    note = ""
    if pm is not None:
        there = vol * (pm / today) ** (-k)
        note = (f"At the portfolio liquidation price ETH volatility is {text.percent(there, 0)} "
                f"(today {text.percent(vol, 0)}).")
    return Readout((("ETH liquidation, cross", text.price(cross)), ("ETH liquidation, portfolio", text.price(pm))),
                   note)


BLEED_OPTIONS = ("Cross only", "Portfolio only", "Both", "Neither")


def _bleed_numbers(ctx: Context):
    return (liquidation_at(ctx, "ETH", "cross"), liquidation_at(ctx, "ETH", "cross", elasticity=ELASTICITY),
            liquidation_at(ctx, "ETH", "portfolio"), liquidation_at(ctx, "ETH", "portfolio", elasticity=ELASTICITY))


def _bleed_why(ctx: Context, c0, c1, p0, p1) -> str:
    today = ctx.market.prices["ETH"]
    cross_moved = which_word(c1 or 0.0, c0 or 0.0, "moves up", "moves down", "stays put")
    pm_moved = which_word(p1 or 0.0, p0 or 0.0, "moves up", "moves down", "stays put")
    first = which_word(p1 or 0.0, c1 or 0.0, "portfolio margin", "cross margin", "both at once")
    return (f"Cross liquidation: {text.price(c0)} at elasticity 0, {text.price(c1)} at {ELASTICITY:g} "
            f"(it {cross_moved}). "
            f"Portfolio liquidation: {text.price(p0)} at 0, {price_from_today(p1, today)} at {ELASTICITY:g} (it {pm_moved}). "
            "Cross maintenance is a fixed share of notional, blind to volatility: equity just bleeds down to it. "
            "Portfolio maintenance is the loss over a scan range that widens with volatility, so as the price "
            f"falls and volatility rises the requirement climbs to meet equity. With ETH falling, the first to "
            f"liquidate is {first}.")


def _solve_bleed_which(ctx: Context) -> Solution:
    today = ctx.market.prices["ETH"]
    c0, c1, p0, p1 = _bleed_numbers(ctx)
    moved = (differs(c0, c1, today), differs(p0, p1, today))
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
