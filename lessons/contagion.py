"""Lesson: Shared collateral and contagion in cross margin (``CONTAGION``)."""

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
    close,
    liquidation_at,
    price_from_today,
)
from margin import CROSS_PRESETS, Market, cross_margin
from views import text

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
    cross, isolated = liquidation_at(ctx, "SOL", "cross", market), liquidation_at(ctx, "SOL", "isolated", market)
    note = f"HYPE at {text.price(market.prices['HYPE'])}; cross maintenance {text.money(cm.maintenance)}."
    if cm.is_liquidatable:
        note += " The cross account is already below maintenance: both positions would be liquidated now."
    return Readout((("Cross account equity", text.money(cm.equity)),
                    ("SOL liquidation, cross", text.price(cross)),
                    ("SOL liquidation, isolated", text.price(isolated))), note)


def _solve_first_liquidated(ctx: Context) -> Solution:
    today = ctx.market.prices["SOL"]
    cross, isolated = liquidation_at(ctx, "SOL", "cross"), liquidation_at(ctx, "SOL", "isolated")
    equity = cross_margin(ctx.book, ctx.market, ctx.cross).equity
    c, i = cross or 0.0, isolated or 0.0
    accepted = {2} if close(c, i, today) else ({0} if c > i else {1})
    why = (f"The engine liquidates the SOL perp at {price_from_today(cross, today)} in the cross account and at "
           f"{price_from_today(isolated, today)} in isolated mode; falling from today's price, the higher one comes first. "
           f"In cross, the whole pool of {text.money(equity)} (USDC plus the HYPE position's P&L) stands behind "
           f"SOL; isolated, it has only its own {text.money(_isolated_margin(ctx, 'SOL'))}.")
    return Solution(why, accepted=frozenset(accepted))


def _solve_cross_after_rally(ctx: Context) -> Solution:
    today = ctx.market.prices["SOL"]
    market = _rallied(ctx, RALLY)
    before, after = liquidation_at(ctx, "SOL", "cross"), liquidation_at(ctx, "SOL", "cross", market)
    isolated = liquidation_at(ctx, "SOL", "isolated", market)
    e0 = cross_margin(ctx.book, ctx.market, ctx.cross).equity
    e1 = cross_margin(ctx.book, market, ctx.cross).equity
    why = (f"HYPE up {RALLY * 100:.0f} % costs the short HYPE perp {text.money(e0 - e1)}, so the shared equity "
           f"falls from {text.money(e0)} to {text.money(e1)} and SOL's cross liquidation price moves from "
           f"{text.price(before)} to {price_from_today(after, today)}. The isolated SOL perp stays at {text.price(isolated)}: "
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
