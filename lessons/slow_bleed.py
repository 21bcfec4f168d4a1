"""Lesson: Liquidation: slow bleed or step function (``SLOW_BLEED``)."""

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
    differs,
    liquidation_at,
    price_from_today,
    which_word,
)
from margin import portfolio_margin
from views import text

ELASTICITY = 2.0
#: The fall (a fraction of today's ETH price) at which the lesson compares the requirements.
FALL = 0.7


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


def _fallen(ctx: Context):
    """(today's, fallen) portfolio results: ETH at today's price, and at FALL x today with volatility lifted
    by the elasticity (vol x FALL^-k), under the active rule set."""
    today = ctx.market.prices["ETH"]
    lifted = ctx.market.with_vols({"ETH": ctx.market.vols["ETH"] * FALL ** (-ELASTICITY)})
    fallen = lifted.with_prices({"ETH": today * FALL})
    return portfolio_margin(ctx.book, ctx.market, ctx.portfolio), portfolio_margin(ctx.book, fallen, ctx.portfolio)


def _range_reading(ctx: Context) -> str:
    """How the active rule set's ETH scan range answers volatility: widening (and from where to where after
    the fall), or fixed."""
    now, fallen = _fallen(ctx)
    before, after = now.details["ranges"]["ETH"], fallen.details["ranges"]["ETH"]
    if after > before and text.percent(after) != text.percent(before):
        return (f"Under {ctx.portfolio_name}, portfolio maintenance is the loss over a scan range that widens with "
                f"volatility (ETH: ±{text.percent(before)} today, ±{text.percent(after)} after a "
                f"{text.percent(1 - FALL, 0)} fall at elasticity {ELASTICITY:g}), so as the price falls and volatility "
                "rises the requirement climbs to meet equity.")
    return (f"Under {ctx.portfolio_name}, the ETH scan range is fixed at ±{text.percent(after)}: volatility does not "
            "move it, and a perp has no option to reprice, so the portfolio requirement follows the notional down "
            "as cross maintenance does.")


def _bleed_why(ctx: Context, c0, c1, p0, p1) -> str:
    today = ctx.market.prices["ETH"]
    cross_moved = which_word(c1 or 0.0, c0 or 0.0, "moves up", "moves down", "stays put")
    pm_moved = which_word(p1 or 0.0, p0 or 0.0, "moves up", "moves down", "stays put")
    first = which_word(p1 or 0.0, c1 or 0.0, "portfolio margin", "cross margin", "both at once")
    return (f"Cross liquidation: {text.price(c0)} at elasticity 0, {text.price(c1)} at {ELASTICITY:g} "
            f"(it {cross_moved}). "
            f"Portfolio liquidation: {text.price(p0)} at 0, {price_from_today(p1, today)} at {ELASTICITY:g} (it {pm_moved}). "
            "Cross maintenance is a fixed share of notional, blind to volatility: equity just bleeds down to it. "
            f"{_range_reading(ctx)} With ETH falling, the first to liquidate is {first}.")


def _lift_why(ctx: Context) -> str:
    """Step 2's why: cross ignores volatility; portfolio margin's answer depends on its rule set's range."""
    c0, c1, p0, p1 = _bleed_numbers(ctx)
    today = ctx.market.prices["ETH"]
    moved = which_word(p1 or 0.0, p0 or 0.0, "moves up", "moves down", "stays put")
    return ("Cross margin ignores volatility, so its liquidation price does not move: a slow bleed. "
            f"{_range_reading(ctx)} Here the portfolio liquidation price {moved}: {price_from_today(p0, today)} at "
            f"elasticity 0, {price_from_today(p1, today)} at {ELASTICITY:g}.")


def _curves_look(ctx: Context) -> str:
    """Step 3's look: what the two maintenance curves do after the fall, from the numbers."""
    now, fallen = _fallen(ctx)
    turn = which_word(fallen.maintenance, now.maintenance, "turns up", "drifts down", "stays level")
    cross = ("as the cross curve does with the notional" if turn == "drifts down"
             else "while the cross curve drifts down with the notional")
    return (f"On the Liquidation page, choose ETH and set the spot-vol slider to {ELASTICITY:g}: under "
            f"{ctx.portfolio_name} the portfolio maintenance curve {turn} as the price falls (from "
            f"{text.money(now.maintenance)} today to {text.money(fallen.maintenance)} at {text.percent(FALL, 0)} of "
            f"today's price), {cross}.")


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
    summary="When a falling price lifts volatility, cross margin liquidates late and smoothly; under the "
            "classroom rule set, whose scan range widens with volatility, portfolio margin's requirement climbs "
            "with volatility and liquidates much earlier.",
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
             why=_lift_why,
             control=Control("Spot-vol elasticity k", 0.0, 3.0, 0.0, 0.25, _bleed_read,
                             "0 keeps volatility fixed; 2 lifts it by about 100 % after a 30 % fall.")),
        Step("See the two curves",
             look=_curves_look,
             why="A rule based on notional bleeds; a rule based on risk steps up when the risk its scenarios "
                 "see does.",
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
        claim("whose scan range widens with volatility",
              "under the lesson's rule sets the ETH scan range is wider after a 30 % fall that lifts volatility",
              "compare", only=LESSON, a=f"range.ETH@{_FALLEN}", op=">", b="range.ETH"),
        claim("portfolio margin's requirement climbs with volatility",
              "under the lesson's rule sets portfolio maintenance is higher after a 30 % fall that lifts volatility",
              "compare", only=LESSON, a=f"portfolio.maintenance@{_FALLEN}", op=">", b="portfolio.maintenance"),
        claim("and liquidates much earlier",
              "under the lesson's rule sets, with elasticity 2 the portfolio liquidation price is over twice the "
              "cross one", "compare", only=LESSON,
              a=f"liquidation.portfolio.ETH@{_K}", op=">", b=f"liquidation.cross.ETH@{_K}", times=2.0),
        claim("As ETH falls, equity falls by 20 USD for each USD of ETH", "ETH −10 % costs 10 % of the notional",
              "compare", a="cross.equity@ETH*0.9", op="==", b="cross.equity", plus="-0.1*notional.ETH"),
        claim("so cross liquidation comes only when equity has bled almost to zero",
              "at the cross liquidation price equity is under 2 % of today's", "equity_at_liquidation",
              mode="cross", asset="ETH", share=0.02),
        claim("so its liquidation price does not move", "the cross liquidation price ignores the elasticity (k = 3)",
              "compare", a="liquidation.cross.ETH@k=3", op="==", b="liquidation.cross.ETH"),
        claim("while the cross curve drifts down with the notional",
              "cross maintenance is lower at 70 % of today's ETH price", "compare",
              a="cross.maintenance@ETH*0.7", op="<", b="cross.maintenance"),
    ),
)
