"""Lesson: Diversification disappears in a crash (``DIVERSIFICATION``)."""

from __future__ import annotations

from lessons.claims import CORRELATED, claim
from lessons.correlation import corr_numbers, corr_read, corr_why
from lessons.framework import Context, Control, Lesson, Question, Solution, Step, close, percent_change
from margin import cross_margin
from views import text


def _solve_crash_rise(ctx: Context) -> Solution:
    c0, c1, p0, p1 = corr_numbers(ctx, 1.0)
    return Solution(corr_why(c0, c1, p0, p1, 1.0) + " In a crash alts fall together: the diversification "
                    "credit is taken back.", value=percent_change(p0, p1))


CREDIT_OPTIONS = ("Yes: its requirement moves with correlation", "No: its requirement does not move with correlation")


def _solve_cross_credit(ctx: Context) -> Solution:
    low = cross_margin(ctx.book, ctx.market.shocked(corr_shock=-1.0), ctx.cross).maintenance
    high = cross_margin(ctx.book, ctx.market.shocked(corr_shock=1.0), ctx.cross).maintenance
    index = 1 if close(low, high, max(low, high)) else 0
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
             control=Control("Correlation shock", 0.0, 1.0, 0.0, 0.1, corr_read,
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
