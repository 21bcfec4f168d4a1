"""The app's number formats (money, price, percent: the charts' too) and the plain-language readings of
requirements, equity, hedging benefit and liquidation: each function turns numbers into one sentence.
Pure; no streamlit. Readings of scenarios and shocks are in :mod:`views.scenario_text`.

Money is USD. Fractions are given as fractions (0.12 means 12 %).
"""

from __future__ import annotations

import math

MODE_NAMES = {"cross": "cross margin", "portfolio": "portfolio margin", "isolated": "isolated margin"}

BINANCE_NOTE = (
    "Binance's \"portfolio margin\" is unified cross margin with collateral haircuts: one pool of "
    "collateral and the same per-position rules, not a risk model that revalues the book under "
    "scenarios. On this page it is the cross mode with the \"binance\" preset."
)


def count(number: int, noun: str) -> str:
    """'1 position', '2 positions', '0 positions'."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def small_note(words: str) -> str:
    """``words`` as a caption inside a markdown block (small, grey): one element where a caption beside
    the markdown would be two. Brackets are escaped, so a book's title cannot end the directive early."""
    escaped = words.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return f":gray[:small[{escaped}]]"


def money(value: float | None, decimals: int = 0) -> str:
    """'$1,100', '−$250' (a true minus sign), '—' for None or non-finite values."""
    if value is None or not math.isfinite(value):
        return "—"
    sign = "−" if value < 0 and round(abs(value), decimals) != 0 else ""
    return f"{sign}${abs(value):,.{decimals}f}"


def signed_money(value: float) -> str:
    """'+$5,187' / '-$5,736' with ASCII signs, as st.metric reads the sign of a delta from its text."""
    return f"{'-' if round(value) < 0 else '+'}${abs(value):,.0f}"


def shown_gap(first: float, second: float) -> float:
    """first - second as the page shows them, in whole dollars: the difference of the two rounded
    figures, so a gap read off the page adds up ($32,928 - $9,970 = $22,958, not the $22,959 that
    rounding 22,958.6 would give). Within a dollar of the exact gap."""
    return float(round(first) - round(second))


def money_gap(first: float, second: float) -> str:
    """:func:`money` of :func:`shown_gap`: '$5,736', '−$5,188', '$0'."""
    return money(shown_gap(first, second))


def versus_cross(portfolio_value: float, cross_value: float) -> str:
    """The delta under a portfolio card: '-$5,736 vs cross' (negative: portfolio margin asks less)."""
    return f"{signed_money(shown_gap(portfolio_value, cross_value))} vs cross"


def price(value: float | None) -> str:
    """A USD price with sensible precision: '$87,960', '$138.09', '$0.1509'."""
    if value is None or not math.isfinite(value):
        return "—"
    if abs(value) >= 1000:
        return f"${value:,.0f}"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    return f"${value:.4g}"


def percent(fraction: float | None, decimals: int = 1, signed: bool = False) -> str:
    """'12.4 %' from 0.124; '+3.0 %' when ``signed``; '—' for None or non-finite."""
    if fraction is None or not math.isfinite(fraction):
        return "—"
    text = f"{fraction * 100:+.{decimals}f} %" if signed else f"{fraction * 100:.{decimals}f} %"
    return text.replace("-", "−")


def ratio(value: float) -> str:
    """A margin ratio (maintenance / equity) as a percentage; '∞' when equity is gone."""
    return "∞" if not math.isfinite(value) else percent(value)


def mode_name(mode: str) -> str:
    return MODE_NAMES.get(mode, mode)


def read_initial(mode: str, value: float) -> str:
    if value <= 0:
        return f"Under {mode_name(mode)} this book needs no initial margin."
    return f"To open this book under {mode_name(mode)} you must post at least {money(value)}."


def read_maintenance(mode: str, value: float) -> str:
    if value <= 0:
        return f"Under {mode_name(mode)} nothing has to stay in the account to keep this book open."
    return (f"Under {mode_name(mode)} you must keep at least {money(value)} in the account "
            "or the positions are closed.")


def read_summary(cross_equity: float, portfolio_equity: float, cross_maintenance: float,
                 portfolio_maintenance: float) -> str:
    """The sidebar summary in one sentence: how far the account is above each mode's maintenance,
    each against its own equity (the modes' haircuts can differ)."""
    if cross_equity <= 0 and portfolio_equity <= 0:
        return "The account is worth nothing: both modes would close the positions now."
    cushions = [("cross", cross_equity - cross_maintenance), ("portfolio", portfolio_equity - portfolio_maintenance)]
    parts = [f"{money(cushion)} above {mode_name(mode)} maintenance" if cushion >= 0
             else f"{money(-cushion)} short of {mode_name(mode)} maintenance (liquidated)"
             for mode, cushion in cushions]
    return f"The account is {parts[0]} and {parts[1]}; initial margin is what opening the book needs."


def read_equity(value: float, mode: str | None = None) -> str:
    where = f" (with {mode_name(mode)} haircuts)" if mode else ""
    if value <= 0:
        return f"The account is worth nothing today{where}: losses have used up the collateral."
    return (f"The account is worth {money(value)} today{where}: collateral, plus unrealised profit "
            "and option values.")


def read_margin_ratio(value: float, mode: str) -> str:
    if not math.isfinite(value):
        return f"Equity is zero or negative: under {mode_name(mode)} the account would be liquidated now."
    if value >= 1:
        return (f"Maintenance is {percent(value)} of equity: at 100 % or more the account is liquidated, "
                "so it would be liquidated now.")
    return (f"Maintenance takes {percent(value)} of your equity; liquidation starts when it reaches 100 %.")


def read_free_collateral(value: float, mode: str) -> str:
    if value >= 0:
        return (f"Under {mode_name(mode)} you could still open positions needing up to {money(value)} "
                "of initial margin.")
    return (f"Under {mode_name(mode)} you are {money(-value)} short of initial margin: you may not add "
            "risk, only reduce it.")


def is_zero(usd: float) -> bool:
    """True when ``usd`` shows as $0 (:func:`money` rounds to whole dollars): a sentence never calls
    a figure that reads $0 "more" or "less"."""
    return round(abs(usd)) == 0


def read_hedging_benefit(standalone: float, together: float, requirement: str = "initial",
                         mode: str = "portfolio") -> str:
    """The hedging benefit of one requirement in words, from the two numbers it is the gap between:
    ``standalone`` (the positions' requirements standing alone, summed) and ``together`` (the book's).
    The direction word (save / more) comes from the sign of standalone - together."""
    benefit = shown_gap(standalone, together)
    where = mode_name(mode)
    if is_zero(benefit):
        return (f"Hedging benefit under {where}: $0 of {requirement} margin. The positions standing alone "
                f"ask {money(standalone)} and the book asks the same {money(together)}: no position offsets "
                "another here.")
    if benefit > 0:
        return (f"Offsets save {money(benefit)} of {requirement} margin under {where}: the positions "
                f"standing alone would ask {money(standalone)}, the book together asks {money(together)}, "
                f"{percent(benefit / standalone)} less.")
    return (f"Under {where} the book asks {money(-benefit)} more {requirement} margin than its positions "
            f"standing alone ({money(together)} together against {money(standalone)} apart): holding them "
            "together costs more than holding them apart, so there is no hedging benefit.")


def read_benefit_share(initial_share: float | None, maintenance_share: float | None) -> str:
    """The hedging benefit as shares of the standalone requirements (fractions; None: nothing alone)."""
    if initial_share is None and maintenance_share is None:
        return "The positions ask nothing standing alone, so there is nothing to offset."
    return (f"Of what the positions would ask standing alone: {percent(initial_share)} of the initial "
            f"margin, {percent(maintenance_share)} of the maintenance margin.")


def read_cross_benefit(standalone_initial: float, initial: float, standalone_maintenance: float,
                       maintenance: float) -> str:
    """The cross-margin hedging benefit in words: 0 by construction, said from the numbers."""
    gaps = (shown_gap(standalone_initial, initial), shown_gap(standalone_maintenance, maintenance))
    if all(is_zero(gap) for gap in gaps):
        return ("$0 under cross margin, by construction: cross margin is the sum of each position's own "
                f"requirement, so the positions standing alone ask exactly what the book asks "
                f"({money(initial)} initial, {money(maintenance)} maintenance).")
    return (f"Under cross margin the positions standing alone ask {money(standalone_initial)} initial and "
            f"{money(standalone_maintenance)} maintenance, the book {money(initial)} and {money(maintenance)}: "
            f"gaps of {money(gaps[0])} and {money(gaps[1])} where the construction promises $0.")


def read_mode_difference(cross_value: float, portfolio_value: float, requirement: str = "initial") -> str:
    """Cross minus portfolio for one requirement in words; less / more comes from the sign."""
    gap = shown_gap(cross_value, portfolio_value)
    if is_zero(gap):
        return f"Both modes ask the same {requirement} margin, {money(cross_value)}."
    word = "less" if gap > 0 else "more"
    return (f"Portfolio margin asks {money(abs(gap))} {word} {requirement} margin than cross margin "
            f"({money(portfolio_value)} against {money(cross_value)}).")


def read_leverage_caveat(leverages: list[float], linear_initial: float, cross_initial: float) -> str:
    """Why the initial gap between the modes is partly a leverage choice. ``leverages``: the leverage
    cross margin uses for each perp or future; ``linear_initial``: their part of cross initial (USD)."""
    if not leverages:
        return ("Cross initial margin here involves no leverage choice: the book has no perps or futures "
                "(short options and borrows are charged at fixed rates).")
    low, high = min(leverages), max(leverages)
    chosen = f"{low:g}x" if low == high else f"{low:g}x to {high:g}x"
    at = ("at 1x, as here, it is the whole notional" if high == 1
          else f"at 1x it is the whole notional, at {high:g}x, {percent(1 / high)} of it")
    part = (f"All of the {money(cross_initial)}" if is_zero(shown_gap(cross_initial, linear_initial))
            else f"{money(linear_initial)} of the {money(cross_initial)}")
    return (f"Cross initial margin is notional / your leverage ({chosen} here): {at}. {part} cross initial "
            "margin is perps and futures at the leverage you chose, so the initial gap between the modes "
            "moves with that choice, not with hedging. The maintenance gap and the hedging benefit do not "
            "depend on leverage.")


def read_liquidation(mode: str, asset: str, liquidation: float | None, today: float, already: bool,
                     other: float | None = None) -> str:
    """The nearest liquidation price in words; ``other`` is the crossing on the far side, if any.
    Under isolated margin what is liquidated is the asset's own sub-account, not the account."""
    whom = f"the {asset} sub-account" if mode == "isolated" else "the account"
    if already:
        return f"Under {mode_name(mode)} {whom} is already below maintenance: it would be liquidated now."
    if liquidation is None:
        return (f"Under {mode_name(mode)} no {asset} price between 0 and 100× today's liquidates {whom} "
                "(others held as set).")
    direction = "falls" if liquidation < today else "rises"
    sentence = (f"Under {mode_name(mode)} {whom} is liquidated if {asset} {direction} to "
                f"{price(liquidation)} ({percent(liquidation / today - 1, signed=True)} from {price(today)})")
    if other is not None:
        way = "down" if other < today else "up"
        sentence += f"; on the way {way}, at {price(other)} ({percent(other / today - 1, signed=True)})"
    return sentence + "."


def _every(days: float) -> str:
    if not math.isfinite(days):
        return "practically never"
    if days < 1.5:
        return "on most days"
    if days < 60:
        return f"about once every {days:,.0f} days"
    years = days / 365
    if years < 1.5:
        return f"about once every {days / 30.4:,.0f} months"
    if years > 1000:
        return "less than once in a thousand years"
    return f"about once every {years:,.0f} years"


#: Closer than this (a fraction of today's price) a distance reads "within 0.1 %", not "−0.0 %".
NEAR = 0.0005


def distance_delta(fraction: float | None, sigmas: float | None, already: bool = False) -> str | None:
    """The distance to a liquidation price, under its card: '−8.9 % · 1.8 daily σ'; 'below maintenance now'
    for an account already there (its card shows today's price); None with no price in range."""
    if already:
        return "below maintenance now"
    if fraction is None or sigmas is None:
        return None
    if abs(fraction) < NEAR:
        return "within 0.1 % of today's price"
    return f"{percent(fraction, signed=True)} · {sigmas:.1f} daily σ"


def read_distance(fraction: float | None, sigmas: float | None, daily_sigma: float, days_between: float | None) -> str:
    if fraction is None or sigmas is None:
        return "No liquidation price in range, so there is no distance to measure."
    if sigmas == 0:
        return "No distance left: the account is at or past its liquidation point."
    if abs(fraction) < NEAR:
        return (f"That is within 0.1 % of today's price: almost any {'fall' if fraction < 0 else 'rise'} "
                "liquidates it.")
    often = _every(days_between) if days_between is not None else ""
    return (f"That is {percent(abs(fraction))} away, {sigmas:.1f} daily standard deviations "
            f"(one daily σ at today's volatility = {percent(daily_sigma)}); a one-day move that large comes {often} "
            "(normal model; crypto has fatter tails).")


# -- initial against maintenance -------------------------------------------------------------------
def _times(initial: float, maintenance: float) -> str:
    """'$15,706 is 6.3× maintenance ($2,481)' and its zero and equal cases, from the two numbers."""
    if is_zero(initial) and is_zero(maintenance):
        return "asks no initial and no maintenance margin"
    if is_zero(maintenance):
        return f"asks {money(initial)} initial and no maintenance margin"
    if is_zero(shown_gap(initial, maintenance)):
        return f"asks the same {money(initial)} initial and maintenance margin"
    ratio = initial / maintenance
    if shown_gap(initial, maintenance) > 0:
        hundredths = ratio * 100
        exact = abs(hundredths - round(hundredths)) < 0.05 and round(ratio, 2) != round(ratio, 1)
        shown = f"{ratio:.2f}" if exact else f"{ratio:.1f}"  # a rule's 1.25× as 1.25×, not 1.2×
        return f"asks {money(initial)} initial, {shown}× its {money(maintenance)} maintenance"
    return f"asks {money(initial)} initial, below its {money(maintenance)} maintenance ({ratio:.2f}×)"


def _rate(fraction: float) -> str:
    """A maintenance rate as the rule sets write it: '1.25 %', '2 %', '0.4 %'."""
    return f"{fraction * 100:.3g} %"


def read_initial_vs_maintenance(cross_parts: dict, cross_initial: float, cross_maintenance: float,
                                portfolio_initial: float, portfolio_maintenance: float, im_multiplier: float,
                                portfolio_preset: str, option_rule: tuple[float, float, float],
                                mm_factor: float = 1.0) -> str:
    """Why each mode's initial and maintenance margins stand where they do, from the engine's numbers.

    ``cross_parts``: :func:`views.metrics.cross_parts` (perps and futures, short options, borrows: their
    initial, maintenance and notional, USD, and the leverages used); ``im_multiplier``: the portfolio
    rule set's initial / maintenance; ``option_rule``: the cross rule set's (initial base, initial
    floor, maintenance rate) for short options, fractions of the underlying; ``mm_factor``: the
    portfolio rule set's maintenance / (loss + add-ons) (Deribit's 0.8).
    """
    reasons = []
    linear = cross_parts.get("linear")
    if linear and linear["notional"] > 0:
        low, high = min(linear["leverages"]), max(linear["leverages"])
        chosen = f"{low:g}x" if low == high else f"{low:g}x to {high:g}x"
        rates = sorted({_rate(r) for r in linear["rates"]}, key=lambda r: float(r.split()[0]))
        tier = rates[0] if len(rates) == 1 else f"{rates[0]} to {rates[-1]}"
        reasons.append(f"perps and futures post notional / your leverage as initial ({chosen}: "
                       f"{money(linear['initial'])} on {money(linear['notional'])} of notional) and the tier rate of "
                       f"notional as maintenance ({tier}: {money(linear['maintenance'])})")
    options = cross_parts.get("options")
    if options and (options["initial"] > 0 or options["maintenance"] > 0):
        base, floor, rate = option_rule
        reasons.append(f"short options post max({percent(base, 0)} − OTM, {percent(floor, 0)}) of the underlying "
                       f"+ mark as initial ({money(options['initial'])}) and {percent(rate, 1)} of it + mark as "
                       f"maintenance ({money(options['maintenance'])})")
    borrows = cross_parts.get("borrows")
    if borrows and (borrows["initial"] > 0 or borrows["maintenance"] > 0):
        reasons.append(f"borrows post {money(borrows['initial'])} initial and {money(borrows['maintenance'])} "
                       "maintenance at fixed rates of their value")
    cross = f"Cross margin {_times(cross_initial, cross_maintenance)}"
    cross += (": " + "; ".join(reasons) + "." if reasons else ".")
    portfolio = f"Portfolio margin {_times(portfolio_initial, portfolio_maintenance)}"
    if not is_zero(portfolio_maintenance):
        if mm_factor == 1.0:
            portfolio += (f": {portfolio_preset}'s rule set sets initial at {im_multiplier:g} × maintenance "
                          "(its im_multiplier), and maintenance is the worst scenario loss plus add-ons.")
        else:
            product = mm_factor * im_multiplier
            initial = ("equal to the loss plus add-ons" if abs(product - 1.0) < 1e-9
                       else f"{product:g} × the loss plus add-ons")
            portfolio += (f": {portfolio_preset}'s rule set sets maintenance at {mm_factor:g} × the worst scenario "
                          f"loss plus add-ons (its mm_factor) and initial at {im_multiplier:g} × maintenance (its "
                          f"im_multiplier), so initial is {initial}.")
    else:
        portfolio += "."
    return f"{cross} {portfolio}"


# -- the Build page ----------------------------------------------------------------------------------
def read_filled_entries(filled: list[tuple[int, str, float]]) -> str:
    """The entries the positions table took from today's prices: [(row number, asset, USD)]."""
    rows = "; ".join(f"row {number}, {asset} at {price(entry)}" for number, asset, entry in filled)
    return f"Entry set to today's price where it was blank: {rows}. Type another entry to change it."


def read_stablecoins(assets: list[str], prices) -> str:
    """One line on the book's stablecoins: each one's price against its $1 peg, from the prices."""
    parts = []
    for asset in assets:
        value = float(prices[asset])
        off = value - 1.0
        if abs(off) < 0.01:
            parts.append(f"{asset} {price(value)}, on its $1 peg to within 1 %")
        else:
            parts.append(f"{asset} {price(value)}, {percent(abs(off))} {'below' if off < 0 else 'above'} its $1 peg")
    return ("; ".join(parts) + ". Their volatility and correlations matter only if a peg breaks: change them here "
            "to study a depeg.")


def read_spot_vol(with_vol, without_vol, today: float, fall: float = 0.2,
                  modes: tuple[str, ...] = ("cross", "portfolio")) -> str:
    """What the spot-vol slider adds, read off two liquidation-curve frames (``margin.margin_curves``):
    with volatility rising as the price falls, and with volatility held. Each mode's maintenance at the
    trial price nearest ``fall`` below today is compared across the two, so the sentence credits
    volatility only with what volatility adds (a put going in the money adds to both frames alike)."""
    row = int((with_vol["price"] - today * (1.0 - fall)).abs().idxmin())
    at = float(with_vol.loc[row, "price"])
    added = {}
    for mode in modes:
        column = f"maintenance_{mode}"
        if column in with_vol and column in without_vol:
            added[mode] = float(with_vol.loc[row, column]) - float(without_vol.loc[row, column])
    if not added:
        return ""
    parts = " and ".join(f"{'adds' if value >= 0 else 'takes'} {money(abs(value))} {'to' if value >= 0 else 'off'} "
                         f"{mode} maintenance" for mode, value in added.items())
    # Named as a test point ("a 20 % fall"): a user walk read "At $70,632 (19.7 % below today)" beside a
    # liquidation card of $70,223 as that card's price.
    sentence = (f"For a fall of about {percent(fall, decimals=0)} (a test point: {price(at)}, {percent(1.0 - at / today)} "
                f"below today), volatility rising as the price falls {parts}, against the same price with "
                "volatility unchanged.")
    if {"cross", "portfolio"} <= added.keys():
        cross, portfolio = added["cross"], added["portfolio"]
        if abs(cross - portfolio) < 0.5:
            sentence += " Both modes feel it alike here."
        elif portfolio > cross:
            sentence += (" Portfolio margin feels it more: its scan range and vol scenarios grow with volatility, "
                         "while cross margin feels volatility only through option marks.")
        else:
            sentence += (" Cross margin feels it more here: the option marks it charges in full rise with "
                         "volatility, more than the portfolio scenarios widen.")
    return sentence
