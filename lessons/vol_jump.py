"""Lesson: When volatility doubles (``VOL_JUMP``)."""

from __future__ import annotations

import inspect
import math

from lessons.claims import LESSON, claim, shock_line
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
    percent_change,
    sample,
)
from margin import Market, Portfolio, cross_margin, detect_jumps, portfolio_margin
from views import scenario_text, text

#: The slope ratio above which the Shocks page marks a jump (margin.detect_jumps' default).
SLOPE_RATIO = inspect.signature(detect_jumps).parameters["slope_ratio"].default
PAIR_SAMPLE = "03_btc_eth_pair.json"


def _vol_read(ctx: Context, mult: float) -> Readout:
    market = ctx.market.shocked(vol_mult=mult)
    cm, pm = both_margins(ctx, market=market)
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
    ranges = ""
    if "BTC" in r1 and "BTC" in r2:
        before, after = text.percent(r1["BTC"]), text.percent(r2["BTC"])
        ranges = (f" The BTC scan range stays at ±{after}." if before == after
                  else f" The BTC scan range goes from ±{before} to ±{after}.")
    return (f"Portfolio maintenance goes from {text.money(p1.maintenance)} to {text.money(p2.maintenance)} "
            f"({percent_change(p1.maintenance, p2.maintenance):+.1f} %); cross maintenance from {text.money(c1.maintenance)} "
            f"to {text.money(c2.maintenance)} ({percent_change(c1.maintenance, c2.maintenance):+.1f} %), through the "
            f"option marks only.{ranges} Binding scenario at ×2: {p2.binding_scenario}.")


def _solve_vol_rise(ctx: Context) -> Solution:
    c1, c2, p1, p2 = _vol_numbers(ctx)
    return Solution(_vol_why(c1, c2, p1, p2), value=percent_change(p1.maintenance, p2.maintenance))


def _solve_vol_which(ctx: Context) -> Solution:
    c1, c2, p1, p2 = _vol_numbers(ctx)
    cross, portfolio = percent_change(c1.maintenance, c2.maintenance), percent_change(p1.maintenance, p2.maintenance)
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
    if k <= 0:
        return (f"The {asset} scan range of {ctx.portfolio_name} is fixed at ±{text.percent(floor)}: volatility does "
                "not move it, so only the options' repricing moves the requirement.")
    responsive = k * vol * math.sqrt(days / 365.0)
    rule = (f"The {asset} scan range is max({text.percent(floor)}, {k:g}·σ·√({days:g}/365)): at today's "
            f"{text.percent(vol, 0)} volatility the second term is {text.percent(responsive)}, ")
    if responsive < floor:
        return rule + (f"so the range sits on its floor and leaves it at ×{floor / responsive:.2f}; from there every "
                       "step of volatility also widens the range.")
    return rule + "already above the floor, so every step of volatility widens the range."


def _widens(ctx: Context, asset: str = "BTC") -> bool:
    """Whether the active rule set's scan range of ``asset`` follows volatility (a positive multiple k)."""
    return ctx.portfolio_rules.range_vol_multiple > 0 and asset in ctx.market.vols


def _jump_why(ctx: Context) -> str:
    marked, _ = _line_text(ctx, ctx.book, ctx.market)
    pair_book, pair_market = sample(PAIR_SAMPLE)
    pair_marked, pair_span = _line_text(ctx, pair_book, pair_market)
    lifted = "a wider range adds to that slope" if _widens(ctx) else "the range stays where it is"
    strangle = (f"For the strangle, the options' repricing lifts the requirement from the first step and {lifted}: "
                f"the chart {marked}.")
    return (f"{_range_sentence(ctx)} {strangle} A book without options feels volatility only through its scan "
            f"ranges: for the BTC/ETH pair (sample 03, same rule sets) {pair_span}, and the chart {pair_marked}.")


def _double_why(ctx: Context) -> str:
    """What doubling volatility does to each mode, from the active rule set's ranges at ×1 and ×2."""
    _, _, p1, p2 = _vol_numbers(ctx)
    before, after = p1.details.get("ranges", {}).get("BTC"), p2.details.get("ranges", {}).get("BTC")
    cross = "Cross margin reacts only through the option marks."
    if before is None or after is None:
        return f"Portfolio margin revalues the options at the new volatility. {cross}"
    if after > before and text.percent(after) != text.percent(before):
        return ("Portfolio margin reacts twice: the options are revalued at the new volatility, and the scan range "
                f"widens (range = max(floor, k·σ·√h)), from ±{text.percent(before)} to ±{text.percent(after)} under "
                f"{ctx.portfolio_name}, so a bigger move is tested. {cross}")
    return (f"Portfolio margin reacts once: the options are revalued at the new volatility, while {ctx.portfolio_name}'s "
            f"scan range stays at ±{text.percent(after)} (it does not follow volatility). {cross}")


_DOUBLED = "vol*2"

VOL_JUMP = Lesson(
    id="vol-jump",
    title="When volatility doubles",
    sample="05_short_strangle.json",
    summary="A short strangle looks calm until volatility doubles: both requirements rise, cross margin's "
            "through the option marks alone, portfolio margin's more: it revalues the options in every scenario, "
            "and under the classroom rule set it also tests a wider range.",
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
             why=_double_why,
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
        claim("portfolio margin's more", "portfolio maintenance rises more in % than cross maintenance", "rises_more",
              first="portfolio.maintenance", second="cross.maintenance", change=_DOUBLED),
        claim("under the classroom rule set it also tests a wider range",
              "the BTC scan range is wider at ×2 under the lesson's rule sets (classroom widens it with volatility)",
              "compare", only=LESSON, a=f"range.BTC@{_DOUBLED}", op=">", b="range.BTC"),
        claim("loses when BTC moves far", "a 30 % fall loses money", "compare", a="portfolio.equity@BTC*0.7",
              op="<", b="portfolio.equity"),
        claim("loses when BTC moves far", "a 30 % rise loses money", "compare", a="portfolio.equity@BTC*1.3",
              op="<", b="portfolio.equity"),
        claim("or when volatility rises and the options get dearer", "doubling volatility loses money", "compare",
              a=f"portfolio.equity@{_DOUBLED}", op="<", b="portfolio.equity"),
        claim("through the option marks only", "cross maintenance rises exactly by the short options' value",
              "compare", a=f"cross.maintenance@{_DOUBLED}", op="==", b="cross.maintenance",
              plus=("cross.equity", f"-cross.equity@{_DOUBLED}")),
        claim("By how much, in %, does the portfolio maintenance margin rise when volatility doubles",
              "portfolio maintenance rises when volatility doubles", "compare",
              a=f"portfolio.maintenance@{_DOUBLED}", op=">", b="portfolio.maintenance"),
    ),
)
