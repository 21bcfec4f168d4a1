"""Lesson: Correlation breakdown (``CORRELATION``)."""

from __future__ import annotations

import math

from lessons.claims import CORRELATED, claim
from lessons.framework import (
    SAME,
    Context,
    Control,
    Lesson,
    Question,
    Readout,
    Solution,
    Step,
    both_margins,
    close,
    liquidation_at,
    price_from_today,
    which_word,
)
from margin import cross_margin, portfolio_margin
from margin.market import is_stablecoin
from views import scenario_text, text


def corr_read(ctx: Context, shock: float) -> Readout:
    market = ctx.market.shocked(corr_shock=shock)
    cm, pm = both_margins(ctx, market=market)
    assets = [a for a in ctx.book.assets() if not is_stablecoin(a)]
    rho = ""
    if len(assets) >= 2:
        rho = f"ρ {assets[0]}/{assets[1]} = {market.correlation.loc[assets[0], assets[1]]:.2f}. "
    return Readout((("Cross maintenance", text.money(cm.maintenance)),
                    ("Portfolio maintenance", text.money(pm.maintenance))),
                   rho + scenario_text.read_binding(pm.binding_scenario))


def corr_numbers(ctx: Context, shock: float):
    shocked = ctx.market.shocked(corr_shock=shock)
    return (cross_margin(ctx.book, ctx.market, ctx.cross).maintenance,
            cross_margin(ctx.book, shocked, ctx.cross).maintenance,
            portfolio_margin(ctx.book, ctx.market, ctx.portfolio).maintenance,
            portfolio_margin(ctx.book, shocked, ctx.portfolio).maintenance)


def corr_why(c0, c1, p0, p1, shock: float) -> str:
    label = f"{shock:+.0f}".replace("-", "−")
    return (f"At a correlation shock of {label} portfolio maintenance is {text.money(p1)} against "
            f"{text.money(p0)} today ({p1 / p0 if p0 else math.inf:.2f}×); cross maintenance is {text.money(c1)} "
            f"against {text.money(c0)}: cross margin never looks at correlations.")


BREAKDOWN_OPTIONS = ("Both rise", "Portfolio rises; cross does not move", "Cross rises; portfolio does not move",
                     "Neither rises")


def _solve_breakdown_which(ctx: Context) -> Solution:
    c0, c1, p0, p1 = corr_numbers(ctx, -1.0)
    cross_up, pm_up = c1 > c0 * (1 + SAME), p1 > p0 * (1 + SAME)
    index = {(True, True): 0, (False, True): 1, (True, False): 2, (False, False): 3}[(cross_up, pm_up)]
    return Solution(corr_why(c0, c1, p0, p1, -1.0), accepted=frozenset({index}))


def _solve_breakdown_ratio(ctx: Context) -> Solution:
    c0, c1, p0, p1 = corr_numbers(ctx, -1.0)
    return Solution(corr_why(c0, c1, p0, p1, -1.0) + " The hedge's credit was a bet that BTC and ETH keep "
                    "moving together.", value=p1 / p0 if p0 else None)


def _pair_look(ctx: Context) -> str:
    cm, pm = both_margins(ctx)
    return (f"On Compare: initial margin {text.money(cm.initial)} under cross, {text.money(pm.initial)} under "
            f"portfolio ({ctx.portfolio_name}); maintenance {text.money(cm.maintenance)} under cross, "
            f"{text.money(pm.maintenance)} under portfolio. On the Liquidation page, choose BTC.")


def _pair_why(ctx: Context) -> str:
    cm, pm = both_margins(ctx)
    today = ctx.market.prices["BTC"]
    open_word = which_word(pm.initial, cm.initial, "more", "less", "the same")
    keep_word = which_word(pm.maintenance, cm.maintenance, "more", "less", "the same")
    times = f", {pm.maintenance / cm.maintenance:.1f}× as much" if cm.maintenance > 0 else ""
    cross_liq, pm_liq = liquidation_at(ctx, "BTC", "cross"), liquidation_at(ctx, "BTC", "portfolio")
    if pm_liq is not None and close(pm_liq, today, today):
        when = (f"Under portfolio margin the account is already below maintenance today (equity "
                f"{text.money(pm.equity)}); cross margin liquidates it with BTC at {price_from_today(cross_liq, today)}.")
    else:
        far = [abs(math.log(p / today)) if p else 1e9 for p in (pm_liq, cross_liq)]  # 1e9: never
        first = which_word(far[1], far[0], "portfolio margin", "cross margin", "both at once")
        when = (f"Moving BTC alone, portfolio margin liquidates the pair with BTC at {price_from_today(pm_liq, today)}, cross "
                f"margin at {price_from_today(cross_liq, today)}: the first to liquidate is {first}.")
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
             control=Control("Correlation shock", -1.0, 1.0, 0.0, 0.1, corr_read,
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
