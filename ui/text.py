"""Plain-language readings: each function turns numbers into one sentence. Pure; no streamlit.

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


def money(value: float | None, decimals: int = 0) -> str:
    """'$1,100', '−$250' (a true minus sign), '—' for None or non-finite values."""
    if value is None or not math.isfinite(value):
        return "—"
    sign = "−" if value < 0 and round(abs(value), decimals) != 0 else ""
    return f"{sign}${abs(value):,.{decimals}f}"


def signed_money(value: float) -> str:
    """'+$5,187' / '-$5,736' with ASCII signs, as st.metric reads the sign of a delta from its text."""
    return f"{'-' if round(value) < 0 else '+'}${abs(value):,.0f}"


def versus_cross(portfolio_value: float, cross_value: float) -> str:
    """The delta under a portfolio card: '-$5,736 vs cross' (negative: portfolio margin asks less)."""
    return f"{signed_money(portfolio_value - cross_value)} vs cross"


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


def read_hedging_benefit(usd: float, fraction: float | None) -> str:
    share = f" ({percent(abs(fraction))} of the cross requirement)" if fraction is not None else ""
    if abs(usd) < 0.5:
        return "Both modes ask the same initial margin for this book."
    if usd > 0:
        return (f"Portfolio margin asks {money(usd)} less up front than cross margin{share}, because it "
                "lets positions that hedge each other offset.")
    return (f"Portfolio margin costs MORE here: {money(-usd)} above cross margin{share}. It charges the "
            "full stress loss of unhedged risk, which cross margin prices at a flat rate.")


def read_binding(label: str | None) -> str:
    if not label:
        return "No scenario sets the portfolio requirement: nothing in the book moves with prices."
    return f"The portfolio requirement is set by this scenario: {label}."


def read_liquidation(mode: str, asset: str, liquidation: float | None, today: float, already: bool,
                     other: float | None = None) -> str:
    """The nearest liquidation price in words; ``other`` is the crossing on the far side, if any."""
    if already:
        return f"Under {mode_name(mode)} the account is already below maintenance: it would be liquidated now."
    if liquidation is None:
        return (f"Under {mode_name(mode)} no {asset} price between 0 and 100× today's liquidates the account "
                "(others held as set).")
    direction = "falls" if liquidation < today else "rises"
    sentence = (f"Under {mode_name(mode)} the account is liquidated if {asset} {direction} to "
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


def read_distance(fraction: float | None, sigmas: float | None, daily_sigma: float, days_between: float | None) -> str:
    if fraction is None or sigmas is None:
        return "No liquidation price in range, so there is no distance to measure."
    if sigmas == 0:
        return "No distance left: the account is at or past its liquidation point."
    often = _every(days_between) if days_between is not None else ""
    return (f"That is {percent(abs(fraction))} away, {sigmas:.1f} daily standard deviations "
            f"(one daily σ = {percent(daily_sigma)}); a one-day move that large comes {often} "
            "(normal model; crypto has fatter tails).")


def read_var(method: str, value: float, confidence: float = 0.99) -> str:
    label = {"delta-normal": "delta-normal", "monte-carlo": "Monte Carlo"}.get(method, method)
    days = round(confidence * 100)
    return (f"{label}: on {days} days out of 100 the book should lose less than {money(value)} in one day; "
            f"on the other {100 - days} it loses more.")


def read_worst_cell(unit: str, move: float, vol_label: str, pnl: float) -> str:
    if pnl >= 0:
        return f"No cell of the {unit} grid loses money: the unit gains or breaks even in every scenario."
    return (f"The worst cell of the {unit} unit is a {percent(move, signed=True)} price move with {vol_label}: "
            f"a loss of {money(-pnl)}.")


def read_jump(along: str, at: float, scenario_after: str, reason: str) -> str:
    """One jump of ``detect_jumps``: vol lines are read upward, correlation lines from +1 toward −1."""
    if along == "vol_mult":
        where = f"Past ×{at:g} volatility"
    else:
        where = f"Below a correlation shock of {at:+.1f} (hedges weakening)".replace("-", "−")
    if reason == "binding scenario changes":
        return f"{where} the binding scenario becomes: {scenario_after}."
    return f"{where} the requirement starts rising faster; binding: {scenario_after}."


def read_sweep_extremes(column_label: str, low: float, high: float) -> str:
    if low <= 0:
        return f"{column_label} ranges up to {money(high)} over the grid."
    return f"{column_label} ranges from {money(low)} to {money(high)} ({high / low:.1f}×) over the grid."
