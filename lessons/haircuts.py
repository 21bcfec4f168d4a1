"""Lesson: Collateral haircuts and a stablecoin depeg (``HAIRCUTS``)."""

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
    both_margins,
    which_word,
)
from margin import CROSS_PRESETS, PORTFOLIO_PRESETS, cross_margin, portfolio_margin
from views import text

BINANCE = CROSS_PRESETS["binance"]
COLLATERALS = ("USDT", "BTC", "SOL", "DOGE")
COLLATERAL_VALUE = 50_000.0


def _depeg_addon(pm) -> float:
    rows = pm.breakdown
    return float(rows.loc[rows["component"] == "depeg add-on", "maintenance"].sum())


def _at_usdt(ctx: Context, usdt: float):
    return both_margins(ctx, market=ctx.market.with_prices({"USDT": usdt}))


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
    charge = (f"The add-on is {text.percent(rate)} of the USDT's current value: {text.money(addon)} (at the peg "
              f"{text.money(addon_at_peg)})." if rate > 0 else
              f"The {ctx.portfolio_name} rule set charges no depeg add-on ({text.money(addon)}).")
    note = f"USDT at {usdt:.2f}: the {held:,.0f} USDT are worth {text.money(held * usdt)} and {equity}. {charge}"
    return Readout((("Cross equity", text.money(cm.equity)), ("Equity lost since the peg", text.money(loss)),
                    ("Portfolio depeg add-on", text.money(addon))), note)


def _depeg_look(ctx: Context) -> str:
    rate = ctx.portfolio_rules.depeg_addon_rate
    if rate > 0:
        return (f"The portfolio breakdown on Compare has a 'depeg add-on' row on the USDT: {text.percent(rate)} of its "
                f"value under {ctx.portfolio_name}.")
    return (f"Under {ctx.portfolio_name} the portfolio breakdown on Compare has no depeg add-on row: this rule set "
            f"charges 0 % on stablecoins. Switch the portfolio rule set to {_charging()} to see one.")


def _charging() -> str:
    """The portfolio presets that charge a depeg add-on, 'a, b or c'."""
    names = [name for name, params in PORTFOLIO_PRESETS.items() if params.depeg_addon_rate > 0]
    return ", ".join(names[:-1]) + (" or " if len(names) > 1 else "") + names[-1]


def _depeg_why(ctx: Context) -> str:
    held = ctx.book.holdings().get("USDT", 0.0)
    rate = ctx.portfolio_rules.depeg_addon_rate
    if rate <= 0:
        return (f"A depeg takes equity away dollar for dollar, in both modes: at 0.90 the {held:,.0f} USDT are worth "
                f"{text.money(0.9 * held)}, and that loss lands in equity, not in the requirement. "
                f"The {ctx.portfolio_name} rule set charges no depeg add-on (0 % of the stablecoin's current value), so nothing is "
                "set aside in advance for a further slide; other rule sets charge a share of the current value. "
                "Cross margin charges nothing for a depeg.")
    peg, low = (_depeg_addon(_at_usdt(ctx, price)[1]) for price in (1.0, 0.9))
    follows = which_word(low, peg, "grows", "shrinks", "stays")
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
    row = (f"The depeg add-on row of the portfolio breakdown: {text.money(addon)} ({explained})." if len(rows) else
           f"The {ctx.portfolio_name} rule set charges no depeg add-on, so its breakdown has no such row: "
           f"{text.money(addon)}.")
    why = (f"{row} Cross margin counts "
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
             look=_depeg_look,
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
