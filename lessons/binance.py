"""Lesson: Binance's “portfolio margin” is cross margin with haircuts (``BINANCE_PM``)."""

from __future__ import annotations

from lessons.claims import LESSON, claim, sold
from lessons.framework import (
    CLASSROOM_RULES,
    Context,
    Control,
    Lesson,
    Question,
    Readout,
    Solution,
    Step,
    differs,
)
from margin import CROSS_PRESETS, Portfolio, Spot, cross_margin, portfolio_margin
from views import scenario_text, text
from views.rules import RuleSets

BINANCE = CROSS_PRESETS["binance"]


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
    moved = (differs(b0, b1, max(b0, b1)), differs(p0, p1, max(p0, p1)))
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
    rules=RuleSets("binance", CLASSROOM_RULES.portfolio, "correlated"),
    claims=(
        claim("how much equity does the haircut on the BTC held remove",
              "Binance's equity (after haircuts) is below the book's value", "compare",
              a="cross:binance.equity", op="<", b="portfolio.equity"),
        claim("A basis trade is nearly riskless", "a 20 % BTC move leaves the book's value within $1", "steady",
              a="portfolio.equity", changes=("BTC*0.8", "BTC*1.2"), within=1.0),
        claim("a risk model sees it", "portfolio initial is under a tenth of cross initial", "compare",
              only=LESSON,
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
              only=LESSON,
              a=f"portfolio.maintenance@{_SOLD}", op=">", b="portfolio.maintenance", times=5.0),
        claim("The risk-based requirement rises from a basis add-on to the scan loss of a naked short perp",
              "after the sale the scenario loss is the perp's notional × the BTC scan range", "compare",
              only=LESSON,
              a=f"component.scenario loss@{_SOLD}", op="==", b="notional.BTC", times="range.BTC"),
        claim("Binance never counted the coins as a hedge", "selling the BTC leaves Binance's initial unchanged",
              "compare", a=f"cross:binance.initial@{_SOLD}", op="==", b="cross:binance.initial"),
    ),
)
